"""Writes for the hard cases (docs/hard-cases.md), one module per topic: ``skip_trace`` (the
trace and its states), ``skip_tasks`` (its tasks and what they found), ``nightly`` (the nightly
detection and legal proposals), ``agencies`` (investigation agencies and their authorisation
letters), ``vehicle_risk`` (a car sold or pledged: the hold, the referral) and ``exposure`` (the
exposure assessment); ``actors`` checks who acts. One transaction per use case, every write
audited. Who may act is ``hardcases.permissions``."""
