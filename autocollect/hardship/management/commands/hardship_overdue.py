"""List hardship claims whose documents are overdue; ``--lapse`` closes them (audited)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from autocollect.core import clock
from autocollect.hardship.claim_types import REQUIRED_DOCUMENTS
from autocollect.hardship.selectors import claims_overdue, missing_documents
from autocollect.hardship.services import claims_lapse_overdue


class Command(BaseCommand):
    help = "Hardship claims past their document deadline (困难申请材料逾期)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--as-of", type=date.fromisoformat, default=None)
        parser.add_argument(
            "--lapse", action="store_true", help="close the overdue claims as lapsed"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        as_of: date = options["as_of"] or clock.localdate()
        overdue = list(claims_overdue(as_of=as_of))
        for claim in overdue:
            missing = ",".join(missing_documents(claim)) or "-"
            self.stdout.write(
                f"{claim.pk}\tcase={claim.case_id}\t{claim.claim_type}\t"
                f"due={claim.documents_due_on}\tmissing={missing}\t"
                f"required={len(REQUIRED_DOCUMENTS[claim.claim_type])}"
            )
        if options["lapse"]:
            lapsed = claims_lapse_overdue(as_of=as_of)
            self.stdout.write(f"lapsed {len(lapsed)} claim(s)")
        else:
            self.stdout.write(f"{len(overdue)} overdue claim(s) as of {as_of}")
