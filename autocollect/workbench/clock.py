"""The workbench's "now", with a test-only seam.

Every page that decides something by the clock (the compliance indicator, logging an outcome,
today's queue) asks ``request_now(request)``. It is ``clock.now()`` — unless the setting
``AUTOCOLLECT_ALLOW_CLOCK_OVERRIDE`` is true, which only tests set, in which case an ISO-8601
instant with a zone in the query parameter ``now`` or the cookie ``autocollect_now`` is used
instead. The browser tests need it to show a call blocked at 22:30 debtor time whatever the hour
of the test run. No shipped settings module sets the flag, so production never honours it.
"""

from __future__ import annotations

from datetime import date, datetime

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone

from autocollect.core import clock

OVERRIDE_PARAM = "now"
OVERRIDE_COOKIE = "autocollect_now"


def override_allowed() -> bool:
    return bool(getattr(settings, "AUTOCOLLECT_ALLOW_CLOCK_OVERRIDE", False))


def _parse(raw: str) -> datetime | None:
    try:
        value = datetime.fromisoformat(raw.strip())
    except ValueError:
        return None
    return value if value.tzinfo is not None else None


def request_now(request: HttpRequest) -> datetime:
    if override_allowed():
        raw = request.GET.get(OVERRIDE_PARAM) or request.COOKIES.get(OVERRIDE_COOKIE)
        overridden = _parse(raw) if raw else None
        if overridden is not None:
            return overridden
    return clock.now()


def request_today(request: HttpRequest) -> date:
    """Today in the service's zone (``TIME_ZONE``): the date of the day's plan and queue."""
    return timezone.localdate(request_now(request))
