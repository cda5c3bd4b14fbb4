"""``autocollect documents sweep [--older-than MINUTES] [--dry-run]``: remove the files no row
names (pending files a crash left, stored files whose transaction rolled back), once they are
older than ``--older-than`` minutes (default ``AUTOCOLLECT["DOCUMENTS"]["SWEEP_AFTER_MINUTES"]``).
docs/architecture.md, "The document store"."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from autocollect.documents.storage import documents_sweep


class Command(BaseCommand):
    help = "Document store tools: sweep files that no row names."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sweep = sub.add_parser("sweep", help="remove pending and unreferenced stored files")
        sweep.add_argument("--older-than", type=int, default=None, metavar="MINUTES")
        sweep.add_argument("--dry-run", action="store_true", help="list, remove nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        minutes = options["older_than"]
        if minutes is not None and minutes < 0:
            raise CommandError("--older-than must be 0 or more minutes")
        report = documents_sweep(
            older_than=None if minutes is None else timedelta(minutes=minutes),
            dry_run=options["dry_run"],
        )
        verb = "would remove" if options["dry_run"] else "removed"
        self.stdout.write(
            f"{verb} {len(report.pending)} pending and "
            f"{len(report.unreferenced)} unreferenced file(s)"
        )
        for path in [*report.pending, *report.unreferenced]:
            self.stdout.write(f"  {path}")
