"""Huey tasks for legal: the daily deadline check."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from autocollect.legal.services.deadlines import deadline_scan

# Deadlines are court dates: Beijing dates whatever the server's zone.
BUSINESS_ZONE = ZoneInfo("Asia/Shanghai")


def legal_deadlines_run(now: datetime | None = None) -> dict[str, Any]:
    """What the periodic task does, callable with a controlled clock."""
    moment = now or datetime.now(BUSINESS_ZONE)
    report = deadline_scan(as_of=moment.astimezone(BUSINESS_ZONE).date())
    return {
        "as_of": report.as_of.isoformat(),
        "overdue": [d.pk for d in report.overdue],
        "due_soon": [d.pk for d in report.due_soon],
        "newly_alerted": report.newly_alerted,
    }


# Huey evaluates crontabs in UTC: 00:30 UTC is 08:30 in Beijing, before the legal team starts.
@db_periodic_task(crontab(hour="0", minute="30"))
def legal_deadlines_daily() -> dict[str, Any]:
    return legal_deadlines_run()
