"""Bounds for values that enter the product: plausible dates and integers that fit their column.

Every importer, form and API endpoint that accepts a date, an instant or an integer id asks this
module, so that year 1, year 9999 and 2**70 are refused as input (a row error, a form error, a
422) instead of overflowing somewhere deeper (a 500).

**Date windows** are relative to today (``clock.localdate()``): ``(years_back, years_ahead)``.
Each field that takes a date names its window (``"loan.disbursed_on"``); a name that is not in
the table gets the ``"default"`` window. The table below is the product's default; a deployment
overrides or adds entries with ``AUTOCOLLECT["DATE_WINDOWS"] = {"loan.disbursed_on": (40, 0)}``
(docs/import-formats.md lists the fields).

**Integers**: ids are ``BigAutoField`` (1 … 2**63−1); counts and offsets are bounded by
``OFFSET_MAX``.
"""

from __future__ import annotations

from datetime import date, datetime

from django.conf import settings
from django.utils.translation import gettext as _

from autocollect.core import clock
from autocollect.core.errors import ApplicationError

ID_MAX = 2**63 - 1
INT32_MAX = 2**31 - 1
OFFSET_MAX = 10**9

# (years back, years ahead) from today.
DEFAULT_DATE_WINDOWS: dict[str, tuple[int, int]] = {
    "default": (50, 50),
    "loan.disbursed_on": (30, 0),
    "loan.due_on": (30, 40),
    "payment.paid_on": (30, 0),
    "pause": (5, 3),
    "promise.due_on": (0, 1),
    "follow_up.on": (0, 1),
    "compliance.at": (10, 10),
    "legal.on": (10, 2),
    "arrangement.first_due_on": (0, 5),
    "arrangement.counted_from": (10, 0),
}


def _years_before(day: date, years: int) -> date:
    """``day`` moved ``years`` back (forward when negative); a window reaching past year 1 or
    year 9999 stops at ``date.min`` / ``date.max``."""
    year = day.year - years
    if year < date.min.year:
        return date.min
    if year > date.max.year:
        return date.max
    try:
        return day.replace(year=year)
    except ValueError:  # 29 February
        return day.replace(year=year, day=28)


def _window_of(field: str) -> tuple[int, int]:
    configured = getattr(settings, "AUTOCOLLECT", {}).get("DATE_WINDOWS", {})
    return (
        configured.get(field) or DEFAULT_DATE_WINDOWS.get(field) or DEFAULT_DATE_WINDOWS["default"]
    )


def date_window(field: str, *, today: date | None = None) -> tuple[date, date]:
    """The earliest and the latest plausible date for ``field`` (both included)."""
    back, ahead = _window_of(field)
    today = today or clock.localdate()
    return _years_before(today, back), _years_before(today, -ahead)


def date_problem(value: date | datetime, field: str, *, today: date | None = None) -> str:
    """ "" when ``value`` lies in ``field``'s window, else a translated reason naming the window."""
    day = value.date() if isinstance(value, datetime) else value
    earliest, latest = date_window(field, today=today)
    if earliest <= day <= latest:
        return ""
    return _("日期 %(value)s 不在合理范围内（%(earliest)s 至 %(latest)s）") % {
        "value": day.isoformat(),
        "earliest": earliest.isoformat(),
        "latest": latest.isoformat(),
    }


def date_bounded(value: date | datetime, field: str, *, name: str | None = None) -> None:
    """Raise ``ApplicationError`` (a 422, a form error) when ``value`` is implausible for the
    window ``field``; the error names ``name`` (the input's own name, e.g. ``"start_on"``) or,
    without one, ``field``."""
    problem = date_problem(value, field)
    if problem:
        raise ApplicationError(problem, extra={"field": name or field})
