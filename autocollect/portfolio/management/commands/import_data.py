"""``autocollect import loans|payments FILE``: the command-line face of the importers."""

from __future__ import annotations

import json
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import IntegrityError

from autocollect.portfolio.importers import (
    ImportFileError,
    ImportResult,
    import_loans,
    import_payments,
)

IMPORTERS = {"loans": import_loans, "payments": import_payments}


class Command(BaseCommand):
    help = (
        "Import loans or payments from CSV (UTF-8 or GBK), .xlsx or .parquet. Bad rows go to a "
        "rejects CSV; exit status 1 only when the file cannot be read at all."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("kind", choices=sorted(IMPORTERS), help="what the file holds")
        parser.add_argument("file", type=Path, help="CSV, .xlsx or .parquet file")
        parser.add_argument(
            "--json", action="store_true", help="print one JSON object with the counts"
        )
        parser.add_argument(
            "--rejects", type=Path, default=None, help="where to write rejected rows (CSV)"
        )
        parser.add_argument(
            "--encoding",
            default=None,
            help="CSV encoding; default: UTF-8, falling back to GB18030 (GBK)",
        )
        parser.add_argument(
            "--actor", default="system", help="who runs the import, recorded on the batch"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        importer = IMPORTERS[options["kind"]]
        try:
            result: ImportResult = importer(
                options["file"],
                rejects_path=options["rejects"],
                encoding=options["encoding"],
                actor=options["actor"],
            )
        except ImportFileError as exc:
            raise CommandError(exc.message) from exc
        except IntegrityError as exc:
            # Validation saw the database before writing; a unique key taken in between means
            # another import ran at the same time. The transaction rolled back as a whole.
            raise CommandError(
                f"another import wrote the same contracts or payments meanwhile ({exc}); "
                "nothing was imported, run the import again"
            ) from exc
        if options["json"]:
            self.stdout.write(json.dumps(result.to_json(), ensure_ascii=False))
        else:
            self.stdout.write(result.summary())
