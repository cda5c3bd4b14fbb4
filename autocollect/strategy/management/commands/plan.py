"""``autocollect plan --as-of YYYY-MM-DD [--json] [--strategy CODE]``: plan a date."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from autocollect.core.errors import ApplicationError
from autocollect.strategy.services import plan_run
from autocollect.strategy.tasks import business_today

JSON_KEYS = (
    "as_of",
    "cases",
    "actions",
    "by_channel",
    "by_queue",
    "blocked",
    "rescheduled",
    "overflow",
    "seconds",
)


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise CommandError(f"--as-of: '{text}' is not a date (YYYY-MM-DD)") from exc


class Command(BaseCommand):
    help = (
        "Plan a date after its cycle: today's actions for every open case, through the contact "
        "gate, to the outbox and the work queues. Re-running a date replaces its plan."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--as-of", dest="as_of", help="YYYY-MM-DD (default: today, Asia/Shanghai)"
        )
        parser.add_argument("--strategy", help="strategy code (default: settings, 'default')")
        parser.add_argument("--json", action="store_true", help="print one JSON object")

    def handle(self, *args: Any, **options: Any) -> None:
        as_of = _date(options["as_of"]) if options["as_of"] else business_today()
        try:
            stats = plan_run(as_of=as_of, strategy_code=options["strategy"])
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        if options["json"]:
            self.stdout.write(
                json.dumps({key: stats[key] for key in JSON_KEYS}, ensure_ascii=False)
            )
            return
        channels = ", ".join(f"{k} {v}" for k, v in stats["by_channel"].items())
        self.stdout.write(
            f"{stats['as_of']}: {stats['cases']} open cases, {stats['actions']} actions "
            f"({channels}); to the outbox {stats['outbox']}, blocked {stats['blocked']}, "
            f"rescheduled {stats['rescheduled']}, overflow {stats['overflow']}; "
            f"{stats['seconds']} s"
        )
        for code, load in stats["by_queue"].items():
            self.stdout.write(
                f"  {code}: {load['queued']} queued ({load['minutes']} min), "
                f"{load['overflow']} overflow"
            )
