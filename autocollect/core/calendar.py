"""China working-day calendar for due dates.

Public holidays and the weekends the State Council moves to working days (调休) come from the
maintained ``chinesecalendar`` package. It only knows the years the State Council has announced;
for later years we fall back to "Saturday and Sunday are rest days" and say so through
:func:`calendar_is_official`, so that a schedule computed years ahead can be recomputed once the
official calendar is published.
"""

from __future__ import annotations

from datetime import date, timedelta
from enum import StrEnum
from functools import lru_cache

import chinese_calendar


class HolidayRule(StrEnum):
    """What to do with a due date that falls on a rest day."""

    NONE = "none"  # keep the contractual date
    NEXT_WORKDAY = "next_workday"  # 顺延: move to the next working day
    PREVIOUS_WORKDAY = "previous_workday"  # 提前: move to the previous working day


@lru_cache(maxsize=8192)
def calendar_is_official(day: date) -> bool:
    """True when the official China holiday calendar covers ``day``'s year."""
    try:
        chinese_calendar.is_workday(day)
    except NotImplementedError:
        return False
    return True


@lru_cache(maxsize=65536)
def is_workday(day: date) -> bool:
    """Working day in mainland China, including adjusted weekends (调休上班)."""
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        return day.weekday() < 5


def adjust_due_date(day: date, rule: HolidayRule | str) -> date:
    """Apply the product's holiday rule to a contractual due date."""
    rule = HolidayRule(rule)
    if rule is HolidayRule.NONE:
        return day
    step = timedelta(days=1 if rule is HolidayRule.NEXT_WORKDAY else -1)
    adjusted = day
    while not is_workday(adjusted):
        adjusted += step
    return adjusted
