"""Evidence packages (证据保全): export one case's package, and verify one (docs/evidence.md).

``evidence_export`` gathers the case (``selectors.case_record``), writes the CSVs, copies the
stored files, renders the Chinese summary PDF, seals everything with a manifest of SHA-256
digests and the audit chain's head at that moment, and records the manifest's own SHA-256 in
the audit event ``evidence.export``. ``evidence_verify`` finds any file changed, added or
missing, and a manifest the audit log never recorded.

Who may export: the roles that hold ``view_legal`` (legal), ``investigate_misconduct``
(compliance) or ``admin``, for a case they can see (``accounts.access.visible_cases``: legal
sees the cases referred to it). Personal data is masked unless the export asks for clear
values, which needs ``reveal_pii`` as well and a reason.
"""

from __future__ import annotations

import getpass
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from autocollect.accounts.access import has_permission
from autocollect.accounts.models import User
from autocollect.accounts.roles import Perm
from autocollect.audit.models import GENESIS_HASH, AuditChainHead, AuditEvent
from autocollect.audit.services import audit_record
from autocollect.cases.models import CollectionCase
from autocollect.cases.selectors import visible_cases
from autocollect.channels.selectors import business_today
from autocollect.core import clock
from autocollect.core.errors import ApplicationError, refuse
from autocollect.core.exports import csv_bytes
from autocollect.evidence.package import (
    FORMAT,
    MANIFEST_NAME,
    Problem,
    ProblemKind,
    file_entries,
    sha256_hex,
    verify_package,
    write_package,
)
from autocollect.evidence.permissions import evidence_export_refusal
from autocollect.evidence.selectors import CaseRecord, Pii, Table, case_for_contract, case_record
from autocollect.evidence.summary import BUSINESS_ZONE, SummaryContext, render_summary_pdf

EXPORT_ACTION = "evidence.export"
SUMMARY_NAME = "summary.pdf"


@dataclass(frozen=True, slots=True)
class ExportResult:
    path: Path
    manifest_sha256: str
    manifest: dict[str, Any]
    event: AuditEvent


def cli_actor() -> str:
    """Who runs the command line: the operating-system account, as a server operator."""
    try:
        name = getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (some containers)
        name = "unknown"
    return f"cli:{name}"


def table_csv(table: Table) -> bytes:
    """RFC 4180 CSV, UTF-8 with a byte-order mark so that spreadsheet software on Chinese
    Windows opens the Chinese text correctly; empty cells for missing values. Written by
    ``core.exports``: a text cell a spreadsheet would run as a formula starts with ``'``
    (docs/evidence.md, "Safe cells"). These are the very bytes the manifest hashes."""
    header = [table.columns]
    body = ([row.get(c) for c in table.columns] for row in table.rows)
    return csv_bytes([*header, *body])


def _audit_head() -> tuple[str, int, int]:
    """The chain head now: last hash, number of events, id of the last event (0 when empty)."""
    head = AuditChainHead.objects.filter(pk=1).first()
    if head is None or head.count == 0:
        return GENESIS_HASH, 0, 0
    last = AuditEvent.objects.filter(hash=head.last_hash).values_list("pk", flat=True).first()
    return head.last_hash, head.count, int(last or 0)


def _resolve_case(case: CollectionCase | None, contract_no: str | None) -> CollectionCase:
    if case is not None:
        return case
    if not contract_no:
        raise ApplicationError(_("请指定案件或合同编号。"))
    found = case_for_contract(contract_no)
    if found is None:
        raise ApplicationError(
            _("合同 %(contract_no)s 没有催收案件，无法导出证据包。") % {"contract_no": contract_no}
        )
    return found


def _check_actor(actor: User | str, case: CollectionCase, pii: Pii, reason: str) -> str:
    """The actor's name for the record, after the permission checks. A string actor is the
    system or the command line (a server operator); a user is checked against the matrix."""
    if isinstance(actor, str):
        if not actor:
            raise ApplicationError(_("导出人不能为空。"))
    else:
        refuse(evidence_export_refusal(actor))
        if not visible_cases(actor).filter(pk=case.pk).exists():
            # Same answer as a missing case: ids cannot be probed.
            raise ApplicationError(_("案件不存在。"))
        if pii is Pii.CLEAR and not has_permission(actor, Perm.REVEAL_PII):
            refuse(_("您的角色不能导出明文个人信息。"))
    if pii is Pii.CLEAR and not reason.strip():
        raise ApplicationError(_("导出明文个人信息须填写原因。"))
    return actor if isinstance(actor, str) else actor.get_username()


def _package_files(record: CaseRecord) -> dict[str, bytes]:
    files: dict[str, bytes] = {f"{t.name}.csv": table_csv(t) for t in record.tables}
    for stored in record.files:
        files[stored.arcname] = stored.source.read_bytes()
    return files


def evidence_export(
    *,
    out_path: Path,
    actor: User | str,
    case: CollectionCase | None = None,
    contract_no: str | None = None,
    pii: Pii | str = Pii.MASKED,
    reason: str = "",
    as_of: date | None = None,
) -> ExportResult:
    """Write the evidence package of one case to ``out_path`` (a zip) and audit it.

    The audit event is written only once the zip is complete; if writing it fails the zip is
    removed, so no package exists that the log does not know of.
    """
    pii = Pii(pii)
    target = _resolve_case(case, contract_no)
    name = _check_actor(actor, target, pii, reason)
    exported_at = clock.now().replace(microsecond=0)
    day = as_of or business_today()
    head_hash, head_count, head_id = _audit_head()
    record = case_record(target, as_of=day, pii=pii, audit_upto_id=head_id)
    files = _package_files(record)
    summary = SummaryContext(
        record=record,
        exported_at=exported_at,
        actor=name,
        audit_head=head_hash,
        audit_count=head_count,
        files=[(e["path"], e["sha256"], e["size"]) for e in file_entries(files)],
    )
    files[SUMMARY_NAME] = render_summary_pdf(summary)
    manifest: dict[str, Any] = {
        "format": FORMAT,
        "exported_at": exported_at.isoformat(),
        "actor": name,
        "case_id": target.pk,
        "contract_no": record.loan.contract_no,
        "as_of": day.isoformat(),
        "pii": pii.value,
        "reason": reason,
        "audit_chain": {"head_hash": head_hash, "count": head_count},
        "file_problems": sorted(record.file_problems),
        "files": file_entries(files),
    }
    local = exported_at.astimezone(BUSINESS_ZONE)
    data = write_package(out_path, files=files, manifest=manifest, at=local)
    digest = sha256_hex(data)
    try:
        with transaction.atomic():
            event = audit_record(
                actor=name,
                action=EXPORT_ACTION,
                obj=target,
                after={
                    "manifest_sha256": digest,
                    "contract_no": record.loan.contract_no,
                    "files": len(manifest["files"]),
                    "pii": pii.value,
                    "audit_head_hash": head_hash,
                    "audit_count": head_count,
                    "package": out_path.name,
                },
                reason=reason or "证据保全导出",
            )
    except BaseException:
        out_path.unlink(missing_ok=True)
        raise
    return ExportResult(path=out_path, manifest_sha256=digest, manifest=manifest, event=event)


def export_recorded(manifest_sha256: str) -> AuditEvent | None:
    """The audit event that recorded a manifest with this SHA-256, if any."""
    return (
        AuditEvent.objects.filter(action=EXPORT_ACTION, after__manifest_sha256=manifest_sha256)
        .order_by("id")
        .first()
    )


def evidence_verify(path: Path, *, check_audit: bool = True) -> list[Problem]:
    """Every problem with the package at ``path``: files changed, added or missing against
    its manifest, an unreadable manifest and, with ``check_audit``, a manifest the audit log
    of this database never recorded (the way a manifest rewritten to match altered files is
    caught)."""
    problems, manifest, raw = verify_package(path)
    if manifest is not None and check_audit and export_recorded(sha256_hex(raw)) is None:
        problems.append(
            Problem(
                MANIFEST_NAME,
                ProblemKind.MANIFEST,
                "its SHA-256 is not recorded by any evidence.export audit event",
            )
        )
    return problems


def case_exports(case: CollectionCase, *, limit: int = 20) -> list[AuditEvent]:
    """The case's earlier exports, newest first (for the page)."""
    return list(
        AuditEvent.objects.filter(
            action=EXPORT_ACTION, object_type="cases.collectioncase", object_id=str(case.pk)
        ).order_by("-id")[:limit]
    )
