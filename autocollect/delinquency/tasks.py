"""Huey tasks: the nightly cycle."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from autocollect.delinquency.services import cycle_run

# Business dates are Beijing dates whatever the server's zone (docs/delinquency.md).
BUSINESS_ZONE = ZoneInfo("Asia/Shanghai")


def today_in_business_zone() -> date:
    return datetime.now(BUSINESS_ZONE).date()


@db_task()
def cycle_for_date(as_of_iso: str) -> dict[str, Any]:
    return cycle_run(as_of=date.fromisoformat(as_of_iso)).last


# Huey evaluates crontabs in UTC: 17:30 UTC is 01:30 in Beijing (no daylight saving there).
@db_periodic_task(crontab(hour="17", minute="30"))
def nightly_cycle() -> dict[str, Any]:
    """01:30 Beijing: bring the book up to today (payments of yesterday are in by then)."""
    return cycle_run(as_of=today_in_business_zone()).last
