"""``autocollect keys``: encryption keys of personal data (docs/privacy.md).

* ``keys generate`` prints a new random key (for ``AUTOCOLLECT_FIELD_KEYS`` or
  ``AUTOCOLLECT_BLIND_INDEX_KEY``).
* ``keys rotate`` re-encrypts every value sealed with an older key under the current one
  (``--reindex``: also recompute every blind index and masked copy, after a new index key).
* ``keys status`` counts the values each key sealed, per column.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from autocollect.core import crypto
from autocollect.privacy.services import ROTATE_BATCH, keys_rotate, keys_status


class Command(BaseCommand):
    help = "Encryption keys of personal data: generate, rotate, status. 个人信息加密密钥管理。"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("generate", help="print a new random key")
        rotate = sub.add_parser("rotate", help="re-encrypt everything under the current key")
        rotate.add_argument(
            "--reindex",
            action="store_true",
            help="also recompute every blind index and masked copy (new index key)",
        )
        rotate.add_argument("--batch-size", type=int, default=ROTATE_BATCH)
        rotate.add_argument("--actor", default="keys-rotate", help="who, for the audit log")
        rotate.add_argument("--json", action="store_true")
        status = sub.add_parser("status", help="values sealed by each key, per column")
        status.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "generate":
            self.stdout.write(crypto.generate_key())
        elif action == "rotate":
            report = keys_rotate(
                actor=options["actor"],
                reindex=options["reindex"],
                batch=max(1, options["batch_size"]),
            )
            if options["json"]:
                self.stdout.write(
                    json.dumps(
                        {
                            "key": report.key_id,
                            "reindexed": report.reindexed,
                            "rows": report.rows,
                            "columns": report.columns,
                        }
                    )
                )
                return
            for label, count in report.columns.items():
                self.stdout.write(f"  {label}: {count}")
            self.stdout.write(
                self.style.SUCCESS(f"{report.rows} values now under key {report.key_id}.")
            )
        else:
            status = keys_status()
            if options["json"]:
                self.stdout.write(
                    json.dumps({"current": crypto.current_key_id(), "columns": status})
                )
                return
            self.stdout.write(f"current key: {crypto.current_key_id()}")
            for label, counts in status.items():
                shown = ", ".join(f"{kid} {n}" for kid, n in sorted(counts.items())) or "empty"
                self.stdout.write(f"  {label}: {shown}")
