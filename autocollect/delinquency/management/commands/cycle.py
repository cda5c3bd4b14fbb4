"""``autocollect cycle --as-of YYYY-MM-DD [--json] [--force]``: run the daily cycle."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from autocollect.core.errors import ApplicationError
from autocollect.delinquency.services import cycle_run
from autocollect.delinquency.tasks import today_in_business_zone


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise CommandError(f"--as-of: '{text}' is not a date (YYYY-MM-DD)") from exc


class Command(BaseCommand):
    help = (
        "Compute delinquency for an as-of date (catching up day by day from the last completed "
        "date), store state, snapshots, cases and promise results."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--as-of", dest="as_of", help="YYYY-MM-DD (default: today, Asia/Shanghai)"
        )
        parser.add_argument("--json", action="store_true", help="print one JSON object")
        parser.add_argument(
            "--force", action="store_true", help="recompute a completed date and every later one"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        as_of = _date(options["as_of"]) if options["as_of"] else today_in_business_zone()
        progress = None if options["json"] else self.stdout.write
        try:
            outcome = cycle_run(as_of=as_of, force=options["force"], progress=progress)
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        stats = outcome.last
        if options["json"]:
            keys = (
                "as_of",
                "loans",
                "delinquent",
                "by_bucket",
                "cases_opened",
                "cases_closed",
                "promises",
                "seconds",
            )
            self.stdout.write(
                json.dumps({k: stats[k] for k in keys} | {"dates_run": len(outcome.runs)})
            )
        else:
            buckets = ", ".join(f"{k} {v}" for k, v in stats["by_bucket"].items())
            cases = f"+{stats['cases_opened']} −{stats['cases_closed']}"
            self.stdout.write(
                f"{stats['as_of']}: {stats['loans']} loans, {stats['delinquent']} delinquent "
                f"({buckets}); cases {cases}; promises {stats['promises']}"
            )
