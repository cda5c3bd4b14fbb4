"""``autocollect evidence export|verify``: evidence packages from the command line.

``export --contract HT… --out case.zip`` writes the package of the contract's case (the open one,
else the latest); ``verify case.zip`` exits 1 and names every file changed, added or missing,
and a manifest the audit log never recorded (``--offline`` skips that check, for a copy of the
package checked away from the lender's database).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError, CommandParser

from autocollect.accounts.models import User
from autocollect.core.errors import ApplicationError
from autocollect.evidence.selectors import Pii
from autocollect.evidence.services import cli_actor, evidence_export, evidence_verify


class Command(BaseCommand):
    help = "Evidence packages (证据保全): export a case's package, verify a package."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        export = sub.add_parser("export", help="write the evidence package of a contract's case")
        export.add_argument("--contract", required=True, help="contract number (合同编号)")
        export.add_argument("--out", required=True, type=Path, help="the zip to write")
        export.add_argument(
            "--user",
            default="",
            help="export as this user (checked against the role matrix); default: the "
            "operating-system account, as a server operator",
        )
        export.add_argument(
            "--clear-pii",
            action="store_true",
            help="clear national ID and numbers instead of masked ones (needs --reason)",
        )
        export.add_argument("--reason", default="", help="why (recorded in the audit event)")
        verify = sub.add_parser("verify", help="check a package against its manifest")
        verify.add_argument("zip", type=Path)
        verify.add_argument(
            "--offline",
            action="store_true",
            help="do not look the manifest up in this database's audit log",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "export":
            self._export(options)
        else:
            self._verify(options)

    def _export(self, options: dict[str, Any]) -> None:
        actor: User | str = cli_actor()
        if options["user"]:
            user = User.objects.filter(username=options["user"]).first()
            if user is None:
                raise CommandError(f"no user {options['user']!r}")
            actor = user
        try:
            result = evidence_export(
                contract_no=options["contract"],
                out_path=options["out"],
                actor=actor,
                pii=Pii.CLEAR if options["clear_pii"] else Pii.MASKED,
                reason=options["reason"],
            )
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        except PermissionDenied as exc:
            raise CommandError(f"not permitted: {exc}") from exc
        self.stdout.write(
            f"{result.path}: {len(result.manifest['files'])} files, "
            f"manifest sha256 {result.manifest_sha256}, audit event {result.event.pk}"
        )

    def _verify(self, options: dict[str, Any]) -> None:
        path: Path = options["zip"]
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        problems = evidence_verify(path, check_audit=not options["offline"])
        for problem in problems:
            self.stderr.write(str(problem))
        if problems:
            raise CommandError(f"{path}: {len(problems)} problem(s); the package is not intact")
        self.stdout.write(f"{path}: intact")
