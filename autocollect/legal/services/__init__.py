"""Writes for legal, one module per topic (docs/legal.md). Every write is one transaction and
one or more audit events; a refused move raises ``Refused`` and changes nothing.

- ``stages``: the stage table, the row lock and the stage move every move goes through;
- ``referrals``: referring a case to legal (the legal hold placed) and closing the referral
  (the hold released);
- ``mediation``: pre-litigation mediation and judicial confirmation of its agreement;
- ``litigation``: suing, hearings and the judgment, enforcement and what it recovers;
- ``costs``: costs recorded at any stage;
- ``deadlines``: opening and finishing deadlines, completing one, the daily check.
"""
