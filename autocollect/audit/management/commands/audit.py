"""``autocollect audit verify``: check the hash chain of the audit log."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from autocollect.audit.services import audit_verify


class Command(BaseCommand):
    help = "Audit log tools: verify the hash chain."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        verify = sub.add_parser("verify", help="report the first broken link, if any")
        verify.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        report = audit_verify()
        if options.get("json"):
            self.stdout.write(
                json.dumps(
                    {
                        "ok": report.ok,
                        "events": report.events,
                        "first_broken_id": report.first_broken_id,
                        "problem": report.problem,
                    }
                )
            )
        elif report.ok:
            self.stdout.write(f"audit chain intact: {report.events} events")
        if not report.ok:
            where = f"event {report.first_broken_id}" if report.first_broken_id else "chain head"
            raise CommandError(f"audit chain broken at {where}: {report.problem}")
