"""``autocollect simulate --days N [--as-of YYYY-MM-DD] [--seed S] [--json]``: run N days of
cycle, plan, sends and agents' calls on a simulated clock, ending on the as-of date
(``demo.simulation``). Starts after the last date the cycle completed, if any."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Max

from autocollect.core.errors import ApplicationError
from autocollect.delinquency.models import CycleRun
from autocollect.demo.simulation import simulate
from autocollect.strategy.tasks import business_today


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise CommandError(f"--as-of: '{text}' is not a date (YYYY-MM-DD)") from exc


class Command(BaseCommand):
    help = (
        "Simulate days of collection work (cycle, plan, sends, agents' calls through the "
        "contact gate) on a simulated clock, ending on --as-of. 模拟催收日常作业。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, default=90, help="days to simulate (default 90)")
        parser.add_argument(
            "--as-of", dest="as_of", help="last day, YYYY-MM-DD (default: yesterday, business)"
        )
        parser.add_argument("--seed", type=int, default=1, help="seed of the call outcomes")
        parser.add_argument(
            "--leave-last-day",
            action="store_true",
            help="cycle and plan the last day but leave its sends and calls undone",
        )
        parser.add_argument("--json", action="store_true", help="print one JSON object")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["days"] < 1:
            raise CommandError("--days must be at least 1")
        last = _date(options["as_of"]) if options["as_of"] else business_today() - timedelta(1)
        first = last - timedelta(days=options["days"] - 1)
        done = CycleRun.objects.aggregate(last=Max("as_of"))["last"]
        if done is not None:
            if done >= last:
                raise CommandError(
                    f"the cycle already ran through {done.isoformat()}; nothing to simulate "
                    f"up to {last.isoformat()}"
                )
            first = max(first, done + timedelta(days=1))
        quiet = options["json"]
        try:
            report = simulate(
                first=first,
                last=last,
                seed=options["seed"],
                plan_last_day_only=options["leave_last_day"],
                progress=None if quiet else self.stdout.write,
            )
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        summary = {
            "first": report.first.isoformat(),
            "last": report.last.isoformat(),
            "days": len(report.days),
            "sent": dict(sorted(report.sent.items())),
            "calls": report.calls,
            "calls_refused_by_gate": sum(d.calls_refused for d in report.days),
            "held_back_by_gate": sum(d.held_back for d in report.days),
            "promises": report.promises,
            "seconds": round(report.seconds, 1),
        }
        if quiet:
            self.stdout.write(json.dumps(summary, ensure_ascii=False))
        else:
            self.stdout.write(
                f"Simulated {summary['days']} days ({summary['first']} … {summary['last']}) in "
                f"{summary['seconds']} s: sent {summary['sent']}, {summary['calls']} calls "
                f"({summary['calls_refused_by_gate']} refused by the gate), "
                f"{summary['held_back_by_gate']} messages held back by the gate, "
                f"{summary['promises']} promises."
            )
