"""``autocollect legal deadlines [--as-of DATE] [--days N] [--json] [--strict]``: list overdue
and due-soon legal deadlines, and raise the overdue alerts (docs/legal.md)."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from autocollect.core import clock
from autocollect.legal.models import LegalDeadline
from autocollect.legal.services.deadlines import DEFAULT_SOON_DAYS, deadline_scan


def _row(deadline: LegalDeadline, as_of: date) -> dict[str, Any]:
    referral = deadline.referral
    return {
        "id": deadline.pk,
        "referral": referral.pk,
        "case": referral.case_id,
        "contract_no": referral.case.loan.contract_no,
        "kind": deadline.kind,
        "due_on": deadline.due_on.isoformat(),
        "days_left": (deadline.due_on - as_of).days,
    }


class Command(BaseCommand):
    help = "Legal tools: list and alert overdue and due-soon deadlines."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        deadlines = sub.add_parser("deadlines", help="overdue and due-soon deadlines")
        deadlines.add_argument("--as-of", type=date.fromisoformat, default=None)
        deadlines.add_argument("--days", type=int, default=DEFAULT_SOON_DAYS)
        deadlines.add_argument("--json", action="store_true")
        deadlines.add_argument(
            "--strict", action="store_true", help="exit with an error when any is overdue"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        as_of: date = options["as_of"] or clock.localdate()
        report = deadline_scan(as_of=as_of, soon_days=options["days"])
        overdue = [_row(d, as_of) for d in report.overdue]
        soon = [_row(d, as_of) for d in report.due_soon]
        if options["json"]:
            payload = {
                "as_of": as_of.isoformat(),
                "overdue": overdue,
                "due_soon": soon,
                "newly_alerted": report.newly_alerted,
            }
            self.stdout.write(json.dumps(payload, ensure_ascii=False))
        else:
            self.stdout.write(f"as of {as_of}: {len(overdue)} overdue, {len(soon)} due soon")
            for label, rows in (("OVERDUE", overdue), ("due", soon)):
                for row in rows:
                    self.stdout.write(
                        f"{label:8} {row['due_on']} ({row['days_left']:+d}d) {row['kind']:24} "
                        f"referral {row['referral']} case {row['case']} {row['contract_no']}"
                    )
        if options["strict"] and overdue:
            raise CommandError(f"{len(overdue)} legal deadline(s) overdue")
