"""``autocollect audit``: the audit trail's tools (docs/audit.md).

* ``verify`` — walk the keyed chain and compare it with every checkpoint; exit 1 on any problem.
* ``checkpoint [--sign [--key FILE]]`` — write a checkpoint of the chain head now (signed with
  the Ed25519 private key on request).
* ``signing-key --out FILE`` — make an Ed25519 key pair for signed checkpoints.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, CommandParser

from autocollect.audit import conf
from autocollect.audit.checkpoints import checkpoint_write
from autocollect.audit.keys import signing_key_generate, signing_key_load, verify_key_load
from autocollect.audit.services import TrailReport, trail_verify


class Command(BaseCommand):
    help = "Audit trail tools: verify the chain against its checkpoints, write a checkpoint."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        verify = sub.add_parser("verify", help="check the chain and every checkpoint")
        verify.add_argument("--json", action="store_true")
        verify.add_argument(
            "--public-key", help="Ed25519 public key (PEM) of signed checkpoints", default=None
        )
        checkpoint = sub.add_parser("checkpoint", help="write a checkpoint of the chain head")
        checkpoint.add_argument("--sign", action="store_true", help="sign it (Ed25519)")
        checkpoint.add_argument("--key", help="the private key (PEM) to sign with", default=None)
        keygen = sub.add_parser("signing-key", help="make an Ed25519 key pair for --sign")
        keygen.add_argument("--out", required=True, help="file for the private key")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["action"] == "checkpoint":
                self._checkpoint(sign=options["sign"], key=options["key"])
            elif options["action"] == "signing-key":
                self._signing_key(Path(options["out"]))
            else:
                self._verify(as_json=options["json"], public_key=options["public_key"])
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from exc

    def _verify(self, *, as_json: bool, public_key: str | None) -> None:
        path = Path(public_key) if public_key else conf.optional_path("VERIFY_KEY_PATH")
        report = trail_verify(verify_key_load(path) if path else None)
        if as_json:
            self.stdout.write(json.dumps(_as_dict(report)))
        elif report.ok:
            self.stdout.write(_intact(report))
        if not report.ok:
            raise CommandError("\n".join(report.problems))

    def _checkpoint(self, *, sign: bool, key: str | None) -> None:
        signer = None
        if sign:
            path = Path(key) if key else conf.optional_path("SIGNING_KEY_PATH")
            if path is None:
                raise CommandError(
                    "--sign needs a private key: --key FILE or AUTOCOLLECT_AUDIT_SIGNING_KEY"
                )
            signer = signing_key_load(path)
        result = checkpoint_write(signer=signer)
        if result is None:
            raise CommandError("no checkpoint sink is configured (AUTOCOLLECT['AUDIT'])")
        if not result.written:
            if result.behind:
                raise CommandError(f"checkpoint not written: {result.reason}")
            self.stdout.write(f"no checkpoint written: {result.reason}")
            return
        line = result.line or {}
        signed = f", signed with key {line.get('sig_key')}" if "sig" in line else ""
        self.stdout.write(
            f"checkpoint written: {result.count} events ending in id {line.get('last_id')} "
            f"({str(line.get('last_hash'))[:12]}…){signed}"
        )

    def _signing_key(self, out: Path) -> None:
        if out.exists():
            raise CommandError(f"{out} exists: not overwritten")
        public = signing_key_generate(out)
        self.stdout.write(
            f"private key: {out} (keep it off the application servers' database and backups)\n"
            f"public key: {public} (AUTOCOLLECT_AUDIT_VERIFY_KEY, or verify --public-key)"
        )


def _intact(report: TrailReport) -> str:
    by_key = report.chain.by_key
    parts = [f"{by_key['']} legacy"] if by_key.get("") else []
    parts += [f"{n} under key {kid}" for kid, n in by_key.items() if kid]
    detail = f" ({', '.join(parts)})" if parts else ""
    if report.sink:
        where = (
            f"; {report.checkpoints} checkpoints agree ({report.signed} signed) in {report.sink}"
        )
    else:
        where = "; no checkpoint sink configured: a deleted tail is caught only by the head row"
    return f"audit chain intact: {report.chain.events} events{detail}{where}"


def _as_dict(report: TrailReport) -> dict[str, Any]:
    return {
        "ok": report.ok,
        "events": report.chain.events,
        "first_broken_id": report.chain.first_broken_id,
        "problem": report.chain.problem,
        "events_by_key": report.chain.by_key,
        "checkpoint_sink": report.sink,
        "checkpoints": report.checkpoints,
        "signed": report.signed,
        "problems": report.problems,
    }
