"""Reads for an evidence package: everything the book and the logs hold about one case, as
tables of plain values (docs/evidence.md, "Package layout").

Each table becomes one CSV (``Table.name``) and one section of the summary PDF. Rows are
dictionaries of strings, integers and ISO dates; money stays integer fen (the ``*_fen``
columns), as in the database, so a court expert can recompute every sum. Times are written in
UTC (ISO 8601 with offset) in the CSVs; the PDF shows them in the business zone.

Personal data (``Pii``): the national ID and every phone number or address appear masked
(``110105********002X``, ``138****1234``) unless the export asked for clear values, which
``services.evidence_export`` allows only to a user who may reveal personal data.

The casework apps (arrangements, hardship, legal, hard cases) contribute their own part through
the ``core.hooks.case_evidence`` hook (``cases.evidence``): this module imports none of them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from django.db.models import Q

from autocollect.audit.models import AuditEvent
from autocollect.cases.evidence import (
    Cell,
    EvidencePart,
    StoredFile,
    Table,
    model_table,
    stored_file,
)
from autocollect.cases.models import CaseOutcome, CollectionCase
from autocollect.channels.conf import media_dir
from autocollect.channels.models import OutboxMessage
from autocollect.channels.selectors import case_overdue_rows
from autocollect.compliance.models import ContactHold
from autocollect.core import hooks
from autocollect.core.masking import mask_national_id
from autocollect.portfolio.models import Loan, LoanDocument, Vehicle
from autocollect.privacy.fields import mask_channel_value, mask_contact_value


class Pii(StrEnum):
    MASKED = "masked"
    CLEAR = "clear"


@dataclass(slots=True)
class CaseRecord:
    """Everything gathered for one package."""

    case: CollectionCase
    loan: Loan
    as_of: date
    pii: Pii
    tables: list[Table] = field(default_factory=list)
    files: list[StoredFile] = field(default_factory=list)
    # Files a row names that are not there, or no longer match the fingerprint taken when
    # they were stored: reported in the summary and the manifest, never silently dropped.
    file_problems: list[str] = field(default_factory=list)

    def table(self, name: str) -> Table:
        return next(t for t in self.tables if t.name == name)


def _iso(value: datetime | date | None) -> str:
    if value is None:
        return ""
    return value.isoformat()


def _user(user: Any) -> str:
    return user.get_username() if user is not None else ""


def case_for_contract(contract_no: str) -> CollectionCase | None:
    """The case of a contract an evidence package is about: the open one, else the latest."""
    cases = CollectionCase.objects.filter(loan__contract_no=contract_no)
    return cases.filter(status="open").first() or cases.order_by("-opened_on", "-pk").first()


def _loan_table(case: CollectionCase, loan: Loan, pii: Pii) -> Table:
    borrower = loan.borrower
    national_id = borrower.national_id or ""
    vehicle = Vehicle.objects.filter(loan=loan).first()
    row: dict[str, Cell] = {
        "case_id": case.pk,
        "case_status": case.status,
        "case_opened_on": _iso(case.opened_on),
        "case_opened_dpd": case.opened_dpd,
        "case_opened_bucket": case.opened_bucket,
        "case_closed_on": _iso(case.closed_on),
        "legal_referred_at": _iso(case.legal_referred_at),
        "assigned_agent": _user(case.assigned_agent),
        "contract_no": loan.contract_no,
        "borrower_name": borrower.name,
        "borrower_national_id": national_id if pii is Pii.CLEAR else mask_national_id(national_id),
        "borrower_gender": borrower.gender,
        "borrower_birth_date": _iso(borrower.birth_date),
        "product_code": loan.product.code,
        "product_name": loan.product.name,
        "principal_fen": loan.principal_fen,
        "annual_rate": str(loan.annual_rate),
        "penalty_annual_rate": str(loan.product.penalty_annual_rate),
        "penalty_basis": loan.product.penalty_basis,
        "day_count": loan.product.day_count,
        "grace_days": loan.product.grace_days,
        "term_months": loan.term_months,
        "repayment_method": loan.repayment_method,
        "disbursed_on": _iso(loan.disbursed_on),
        "first_due_on": _iso(loan.first_due_on),
        "dealer": loan.dealer,
        "branch": loan.branch,
        "province": loan.province,
        "city": loan.city,
        "loan_status": loan.status,
        "paid_principal_fen": loan.paid_principal_fen,
        "credit_fen": loan.credit_fen,
        "vehicle_vin": vehicle.vin if vehicle else "",
        "vehicle_plate": vehicle.plate if vehicle else "",
        "vehicle_brand": vehicle.brand if vehicle else "",
        "vehicle_model": vehicle.model if vehicle else "",
        "vehicle_year": vehicle.year if vehicle else None,
        "vehicle_price_fen": vehicle.price_fen if vehicle else None,
        "vehicle_mortgage_status": vehicle.mortgage_status if vehicle else "",
        "vehicle_gps_tracker_id": vehicle.gps_tracker_id if vehicle else "",
    }
    return Table("loan", tuple(row), [row])


def _parties_table(loan: Loan, pii: Pii) -> Table:
    columns = ("owner", "owner_name", "relationship", "kind", "value", "status", "opted_out")
    rows: list[dict[str, Cell]] = []
    for contact in loan.borrower.contacts.order_by("owner", "kind", "pk"):
        value = contact.value or ""
        rows.append(
            {
                "owner": contact.owner,
                "owner_name": contact.owner_name
                or (loan.borrower.name if contact.owner == "borrower" else ""),
                "relationship": contact.relationship,
                "kind": contact.kind,
                "value": value if pii is Pii.CLEAR else mask_contact_value(contact.kind, value),
                "status": contact.status,
                "opted_out": ",".join(contact.opted_out_channels or []),
            }
        )
    return Table("parties", columns, rows)


def _schedule_table(loan: Loan) -> Table:
    columns = (
        "seq",
        "due_on",
        "principal_fen",
        "interest_fen",
        "penalty_fen",
        "paid_principal_fen",
        "paid_interest_fen",
        "paid_penalty_fen",
        "outstanding_fen",
        "paid_late",
    )
    rows: list[dict[str, Cell]] = [
        {
            "seq": i.seq,
            "due_on": _iso(i.due_on),
            "principal_fen": i.principal_fen,
            "interest_fen": i.interest_fen,
            "penalty_fen": i.penalty_fen,
            "paid_principal_fen": i.paid_principal_fen,
            "paid_interest_fen": i.paid_interest_fen,
            "paid_penalty_fen": i.paid_penalty_fen,
            "outstanding_fen": i.outstanding_fen,
            "paid_late": int(i.paid_late),
        }
        for i in loan.installments.order_by("seq")
    ]
    return Table("schedule", columns, rows)


def _payments_tables(loan: Loan) -> list[Table]:
    payments = list(loan.payments.order_by("paid_on", "pk"))
    payment_rows: list[dict[str, Cell]] = [
        {
            "payment_ref": p.payment_ref,
            "paid_on": _iso(p.paid_on),
            "amount_fen": p.amount_fen,
            "channel": p.channel,
            "credit_fen": p.credit_fen,
            "recorded_at": _iso(p.created_at),
        }
        for p in payments
    ]
    allocation_rows: list[dict[str, Cell]] = []
    for p in payments:
        for a in p.allocations.select_related("installment").order_by("installment__seq", "pk"):
            allocation_rows.append(
                {
                    "payment_ref": p.payment_ref,
                    "paid_on": _iso(p.paid_on),
                    "installment_seq": a.installment.seq,
                    "component": a.component,
                    "amount_fen": a.amount_fen,
                    "late": int(a.is_late),
                }
            )
    return [
        Table(
            "payments",
            ("payment_ref", "paid_on", "amount_fen", "channel", "credit_fen", "recorded_at"),
            payment_rows,
        ),
        Table(
            "allocations",
            ("payment_ref", "paid_on", "installment_seq", "component", "amount_fen", "late"),
            allocation_rows,
        ),
    ]


def _arrears_table(case: CollectionCase, as_of: date) -> Table:
    """What is overdue on ``as_of``: the installments due by then with something unpaid, each
    with its days past due. The same rows a collection notice prints (``case_overdue_rows``);
    penalty is what the daily cycle has accrued (docs/delinquency.md)."""
    rows: list[dict[str, Cell]] = []
    for row in case_overdue_rows(case, as_of=as_of):
        due_on = date.fromisoformat(str(row["due_on"]))
        rows.append(
            {
                "as_of": _iso(as_of),
                "seq": int(row["seq"]),
                "due_on": _iso(due_on),
                "days_past_due": (as_of - due_on).days,
                "principal_fen": int(row["principal_fen"]),
                "interest_fen": int(row["interest_fen"]),
                "penalty_fen": int(row["penalty_fen"]),
                "total_fen": int(row["total_fen"]),
            }
        )
    columns = (
        "as_of",
        "seq",
        "due_on",
        "days_past_due",
        "principal_fen",
        "interest_fen",
        "penalty_fen",
        "total_fen",
    )
    return Table("arrears", columns, rows)


def _contacts_table(case: CollectionCase, pii: Pii) -> Table:
    outcomes = {
        o.interaction_id: o
        for o in CaseOutcome.objects.filter(case=case).select_related("agent", "promise")
    }
    rows: list[dict[str, Cell]] = []
    for i in case.interactions.select_related("agent").order_by("at", "pk"):
        outcome = outcomes.get(i.pk)
        number = i.number or ""
        rows.append(
            {
                "interaction_id": i.pk,
                "at": _iso(i.at),
                "channel": i.channel,
                "party": i.party,
                "to": number if pii is Pii.CLEAR else mask_channel_value(i.channel, number),
                "outcome": i.outcome,
                "result_code": outcome.code if outcome else "",
                "right_party": "" if outcome is None else int(outcome.right_party),
                "promise_id": outcome.promise_id if outcome and outcome.promise_id else None,
                "next_follow_up_on": _iso(outcome.next_follow_up_on) if outcome else "",
                "agent": _user(i.agent),
                "notes": i.notes,
            }
        )
    columns = (
        "interaction_id",
        "at",
        "channel",
        "party",
        "to",
        "outcome",
        "result_code",
        "right_party",
        "promise_id",
        "next_follow_up_on",
        "agent",
        "notes",
    )
    return Table("contacts", columns, rows)


def _notices(case: CollectionCase, pii: Pii, record: CaseRecord) -> Table:
    """Every message the outbox holds for the case, sent or not, with its file when it has one
    (the letter PDF, the robot call's audio): copied under ``files/`` in the package."""
    root = media_dir()
    rows: list[dict[str, Cell]] = []
    messages = OutboxMessage.objects.filter(case=case).select_related("template")
    for m in messages.order_by("created_at", "pk"):
        packaged = ""
        if m.artifact:
            source = (root / m.artifact).resolve()
            # Artifacts are relative to the media dir; anything pointing outside it is ignored.
            inside = source.is_relative_to(root.resolve())
            if inside and source.is_file():
                packaged = f"files/{Path(m.artifact).as_posix()}"
                record.files.append(StoredFile(packaged, source, m.channel))
            else:
                record.file_problems.append(f"{m.artifact}: missing")
        to = m.to or ""
        rows.append(
            {
                "key": m.idempotency_key,
                "created_at": _iso(m.created_at),
                "channel": m.channel,
                "party": m.party,
                "to": to if pii is Pii.CLEAR else mask_channel_value(m.channel, to),
                "template": f"{m.template.code} v{m.template.version}",
                "language": m.language,
                "subject": m.subject,
                "body": m.body,
                "status": m.status,
                "attempts": m.attempts,
                "sent_at": _iso(m.sent_at),
                "delivered_at": _iso(m.delivered_at),
                "provider_message_id": m.provider_message_id,
                "file": packaged or m.artifact,
            }
        )
    columns = (
        "key",
        "created_at",
        "channel",
        "party",
        "to",
        "template",
        "language",
        "subject",
        "body",
        "status",
        "attempts",
        "sent_at",
        "delivered_at",
        "provider_message_id",
        "file",
    )
    return Table("notices", columns, rows)


def _promises_table(case: CollectionCase) -> Table:
    rows: list[dict[str, Cell]] = [
        {
            "promise_id": p.pk,
            "promised_on": _iso(p.promised_on),
            "due_on": _iso(p.due_on),
            "amount_fen": p.amount_fen,
            "status": p.status,
            "paid_fen": p.paid_fen,
            "paid_share_bp": p.paid_share_bp,
            "evaluated_on": _iso(p.evaluated_on),
            "created_by": p.created_by,
            "created_at": _iso(p.created_at),
        }
        for p in case.promises.order_by("promised_on", "pk")
    ]
    columns = (
        "promise_id",
        "promised_on",
        "due_on",
        "amount_fen",
        "status",
        "paid_fen",
        "paid_share_bp",
        "evaluated_on",
        "created_by",
        "created_at",
    )
    return Table("promises", columns, rows)


def _holds_and_flags_table(case: CollectionCase) -> Table:
    rows: list[dict[str, Cell]] = []
    for h in ContactHold.objects.filter(case=case).order_by("placed_at", "pk"):
        rows.append(
            {
                "kind": "hold",
                "code": h.reason,
                "started_at": _iso(h.placed_at),
                "started_by": h.placed_by,
                "ended_at": _iso(h.released_at),
                "ended_by": h.released_by,
                "note": h.note,
            }
        )
    for f in case.flags.order_by("set_at", "pk"):
        rows.append(
            {
                "kind": "flag",
                "code": f.kind,
                "started_at": _iso(f.set_at),
                "started_by": f.set_by,
                "ended_at": _iso(f.cleared_at),
                "ended_by": "",
                "note": f.note,
            }
        )
    rows.sort(key=lambda r: (str(r["started_at"]), str(r["kind"])))
    columns = ("kind", "code", "started_at", "started_by", "ended_at", "ended_by", "note")
    return Table("holds_flags", columns, rows)


def _audit_table(case: CollectionCase, loan: Loan, upto_id: int) -> Table:
    """The audit events about the case, its loan and its promises, in chain order, up to the
    chain head the manifest names: each with its own hash, so the log at export can be matched
    event by event."""
    promise_ids = [str(pk) for pk in case.promises.values_list("pk", flat=True)]
    events = AuditEvent.objects.filter(
        Q(object_type="cases.collectioncase", object_id=str(case.pk))
        | Q(object_type="portfolio.loan", object_id=str(loan.pk))
        | Q(object_type="cases.promise", object_id__in=promise_ids),
        id__lte=upto_id,
    ).order_by("id")
    rows: list[dict[str, Cell]] = [
        {
            "event_id": e.pk,
            "at": _iso(e.at),
            "actor": e.actor,
            "action": e.action,
            "object": f"{e.object_type}:{e.object_id}",
            "reason": e.reason,
            "hash": e.hash,
        }
        for e in events
    ]
    return Table("audit", ("event_id", "at", "actor", "action", "object", "reason", "hash"), rows)


def _loan_documents(loan: Loan, record: CaseRecord) -> Table:
    """The loan's own documents (the contract copy, 贷款合同副本) with their stored files."""
    documents = list(LoanDocument.objects.filter(loan=loan).order_by("pk"))
    part = EvidencePart(tables=[model_table("portfolio", LoanDocument, documents)])
    for document in documents:
        stored_file(
            part,
            app_label="portfolio",
            obj=document,
            stored_path=document.stored_path,
            sha256=document.sha256,
        )
    record.files.extend(part.files)
    record.file_problems.extend(part.file_problems)
    return part.tables[0]


def contributed(case: CollectionCase, record: CaseRecord) -> None:
    """What the casework apps registered on ``core.hooks.case_evidence`` keep about the case:
    their tables (each app's in name order) and their checked files."""
    for part in hooks.case_evidence.call(case=case).values():
        record.tables.extend(sorted(part.tables, key=lambda table: table.name))
        record.files.extend(part.files)
        record.file_problems.extend(part.file_problems)


def case_record(case: CollectionCase, *, as_of: date, pii: Pii, audit_upto_id: int) -> CaseRecord:
    """Gather the tables and files of one case's package."""
    loan = Loan.objects.select_related("borrower", "product").get(pk=case.loan_id)
    record = CaseRecord(case=case, loan=loan, as_of=as_of, pii=pii)
    record.tables.extend(
        [
            _loan_table(case, loan, pii),
            _loan_documents(loan, record),
            _parties_table(loan, pii),
            _schedule_table(loan),
            *_payments_tables(loan),
            _arrears_table(case, as_of),
            _contacts_table(case, pii),
            _notices(case, pii, record),
            _promises_table(case),
            _holds_and_flags_table(case),
            _audit_table(case, loan, audit_upto_id),
        ]
    )
    contributed(case, record)
    return record
