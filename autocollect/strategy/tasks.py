"""Huey tasks: the nightly plan (after the nightly cycle), and a plan for one date on demand.
The plan's messages are dispatched at their moments by ``channels.tasks.outbox_dispatch_due``.

Huey keeps time in UTC (``utc=True``, its default), so a crontab would read "02:30" as UTC;
``at_beijing`` matches the wall clock in Beijing instead, whatever the server's zone.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from huey.contrib.djhuey import db_periodic_task, db_task

from autocollect.delinquency.services import cycle_run
from autocollect.strategy.services import plan_run

BUSINESS_ZONE = ZoneInfo("Asia/Shanghai")
PLAN_HOUR, PLAN_MINUTE = 2, 30


def at_beijing(hour: int, minute: int) -> Callable[[datetime], bool]:
    """A Huey schedule: true in the minute the Beijing wall clock reads ``hour:minute``. Huey
    passes naive UTC (or naive local time when configured with ``utc=False``, then as is)."""

    def matches(moment: datetime) -> bool:
        aware = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
        local = aware.astimezone(BUSINESS_ZONE)
        return (local.hour, local.minute) == (hour, minute)

    return matches


def business_today() -> date:
    return datetime.now(BUSINESS_ZONE).date()


@db_periodic_task(at_beijing(PLAN_HOUR, PLAN_MINUTE))
def nightly_plan() -> dict[str, Any]:
    """02:30 Beijing: make sure the cycle has brought the book up to today (it runs at 01:30;
    this is a no-op then), and plan today."""
    today = business_today()
    cycle_run(as_of=today)
    return plan_run(as_of=today)


@db_task()
def plan_for_date(as_of_iso: str) -> dict[str, Any]:
    return plan_run(as_of=date.fromisoformat(as_of_iso))
