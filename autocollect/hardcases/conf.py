"""Settings of the hard cases, read from ``settings.AUTOCOLLECT["HARDCASES"]``, all optional
(docs/hard-cases.md, the settings under "Lost contact")."""

from __future__ import annotations

from datetime import date

from django.conf import settings

DEFAULTS: dict[str, int] = {
    # "Every known number fails": at least this many voice attempts on each of the borrower's
    # numbers within the window, none of them answered (a wrong number fails at once).
    "LOST_CONTACT_ATTEMPTS": 3,
    "LOST_CONTACT_DAYS": 14,
    # An open skip trace without success for this long is proposed for the legal route.
    "LEGAL_AFTER_DAYS": 60,
}

# The day the stored letter became required (docs/hard-cases.md, "Agencies"; overridable).
LETTER_REQUIRED_FROM = date(2026, 12, 1)


def hardcases_config() -> dict[str, int]:
    configured = dict(getattr(settings, "AUTOCOLLECT", {}).get("HARDCASES") or {})
    return {key: int(configured.get(key, value)) for key, value in DEFAULTS.items()}


def letter_required_from() -> date:
    """The first day of an authorisation period that needs the stored letter: a row registered
    before the letter was required (no ``stored_path``) keeps a period that began earlier, to
    its end; a period beginning on or after this day needs the letter (docs/hard-cases.md,
    "Agencies"). ``AUTOCOLLECT["HARDCASES"]["AGENCY_LETTER_REQUIRED_FROM"]``, ISO date."""
    configured = (getattr(settings, "AUTOCOLLECT", {}).get("HARDCASES") or {}).get(
        "AGENCY_LETTER_REQUIRED_FROM"
    )
    return date.fromisoformat(str(configured)) if configured else LETTER_REQUIRED_FROM
