"""Huey tasks for the hard cases: the nightly lost-contact detection and legal proposals."""

from __future__ import annotations

from typing import Any

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from autocollect.hardcases.services.nightly import skip_trace_nightly


# 18:30 UTC is 02:30 in Beijing: after the daily cycle (01:30), before the working day.
@db_periodic_task(crontab(hour="18", minute="30"))
def skip_trace_daily() -> dict[str, Any]:
    result = skip_trace_nightly()
    return {"opened": result.opened, "proposed": result.proposed}
