"""Huey task: every hour, the sweep of files no row names (``storage.documents_sweep``)."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from autocollect.documents.storage import documents_sweep


@db_periodic_task(crontab(minute="17"))
def documents_sweeper() -> int:
    """Hourly: pending files and stored files no row names, older than the sweep age."""
    report = documents_sweep()
    return len(report.pending) + len(report.unreferenced)
