"""``autocollect scripts load-defaults [--actor NAME]``: load the shipped scripts through the
audited services (each as a new version, activated through the content checker); scripts
whose active version already has the shipped text are left alone."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from autocollect.core.errors import ApplicationError
from autocollect.scripts.services import script_load_defaults


class Command(BaseCommand):
    help = "Script library (话术库): load-defaults"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        load = sub.add_parser("load-defaults", help="load the shipped scripts")
        load.add_argument("--actor", default="system", help="recorded as the activating user")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            loaded = script_load_defaults(actor=options["actor"])
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        for script in loaded:
            self.stdout.write(f"activated {script}")
        self.stdout.write(f"{len(loaded)} scripts activated")
