"""The summary PDF of an evidence package (证据包摘要), in Chinese, rendered with WeasyPrint.

The same approach as the collection notice (``autocollect/channels/letters.py``): an HTML
template (``templates/evidence/summary.html``) in Noto Serif/Sans CJK SC, found through
fontconfig and embedded (subset) in the PDF, so the document prints the same in any court.
The summary is read by people; the CSVs beside it carry the same facts for machines.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import TextChoices
from django.template.loader import render_to_string
from django.utils import translation

from autocollect.cases.models import (
    CaseStatus,
    FlagKind,
    InteractionOutcome,
    InteractionParty,
    OutcomeCode,
    PromiseStatus,
)
from autocollect.channels.conf import lender_config
from autocollect.channels.models import OutboxStatus
from autocollect.compliance.models import HoldReason
from autocollect.core.money import format_yuan
from autocollect.evidence.selectors import CaseRecord, Cell
from autocollect.portfolio.models import (
    REPAYMENT_METHOD_CHOICES,
    Channel,
    ContactKind,
    ContactOwner,
    ContactStatus,
    Gender,
    LoanStatus,
    MortgageStatus,
)

BUSINESS_ZONE = ZoneInfo("Asia/Shanghai")

COMPONENTS = {"penalty": "罚息", "interest": "利息", "principal": "本金"}
TABLE_TITLES = {
    "arrangements": "还款安排",
    "hardship": "困难申请",
    "legal": "法务处理",
}
# The tables the summary lays out section by section; any other is shown as it is.
CORE_TABLES = frozenset(
    {
        "loan",
        "parties",
        "schedule",
        "payments",
        "allocations",
        "arrears",
        "contacts",
        "notices",
        "promises",
        "holds_flags",
        "audit",
    }
)


@dataclass(frozen=True, slots=True)
class SummaryContext:
    record: CaseRecord
    exported_at: datetime
    actor: str
    audit_head: str
    audit_count: int
    # Every other file of the package with its SHA-256 (the summary cannot list its own).
    files: Sequence[tuple[str, str, int]]


def _choice(choices: type[TextChoices], code: Cell) -> str:
    text = str(code or "")
    try:
        return str(choices(text).label)
    except ValueError:
        return text


def _when(value: Cell) -> str:
    """An ISO timestamp from a table, shown in the business zone to the minute."""
    if not value:
        return ""
    moment = datetime.fromisoformat(str(value))
    if moment.tzinfo is None:
        return moment.strftime("%Y-%m-%d %H:%M")
    return moment.astimezone(BUSINESS_ZONE).strftime("%Y-%m-%d %H:%M")


def _yuan(value: Cell) -> str:
    return "" if value is None or value == "" else format_yuan(int(value))


def _rows(record: CaseRecord, name: str) -> list[dict[str, Cell]]:
    return next((t.rows for t in record.tables if t.name == name), [])


def _context(ctx: SummaryContext) -> dict[str, Any]:
    """The summary's sections, in the order the template lays them out."""
    record = ctx.record
    loan = _rows(record, "loan")[0]
    return {
        **_header(ctx),
        "case": _case_section(loan),
        "borrower": _borrower_section(loan),
        "parties": _parties_section(record),
        "loan": _loan_section(loan),
        "vehicle": _vehicle_section(loan),
        "schedule": _schedule_section(record),
        **_payments_section(record),
        **_arrears_section(record),
        "contacts": _contacts_section(record),
        "notices": _notices_section(record),
        "promises": _promises_section(record),
        "holds_flags": _holds_flags_section(record),
        "optional": _optional_sections(record),
        "file_problems": record.file_problems,
        "files": [
            {"path": path, "sha256": digest, "size": size} for path, digest, size in ctx.files
        ],
    }


def _header(ctx: SummaryContext) -> dict[str, Any]:
    """Who exported the package, when, as of which date, and the audit chain's head."""
    return {
        "lender": lender_config().name_in("zh-hans"),
        "exported_at": ctx.exported_at.astimezone(BUSINESS_ZONE).strftime("%Y-%m-%d %H:%M:%S"),
        "actor": ctx.actor,
        "audit_head": ctx.audit_head,
        "audit_count": ctx.audit_count,
        "as_of": ctx.record.as_of.isoformat(),
        "pii_clear": ctx.record.pii == "clear",
    }


def _case_section(loan: dict[str, Cell]) -> dict[str, Any]:
    return {
        "id": loan["case_id"],
        "status": _choice(CaseStatus, loan["case_status"]),
        "opened_on": loan["case_opened_on"],
        "opened_dpd": loan["case_opened_dpd"],
        "opened_bucket": loan["case_opened_bucket"],
        "closed_on": loan["case_closed_on"],
        "legal_referred_at": _when(loan["legal_referred_at"]),
        "agent": loan["assigned_agent"],
    }


def _borrower_section(loan: dict[str, Cell]) -> dict[str, Any]:
    return {
        "name": loan["borrower_name"],
        "national_id": loan["borrower_national_id"],
        "gender": _choice(Gender, loan["borrower_gender"]),
        "birth_date": loan["borrower_birth_date"],
    }


def _parties_section(record: CaseRecord) -> list[dict[str, Any]]:
    """The borrower's contact points and those of the guarantors and emergency contacts."""
    return [
        {
            "owner": _choice(ContactOwner, p["owner"]),
            "name": p["owner_name"],
            "relationship": p["relationship"],
            "kind": _choice(ContactKind, p["kind"]),
            "value": p["value"],
            "status": _choice(ContactStatus, p["status"]),
        }
        for p in _rows(record, "parties")
    ]


def _loan_section(loan: dict[str, Cell]) -> dict[str, Any]:
    methods = {code: str(label) for code, label in REPAYMENT_METHOD_CHOICES}
    return {
        "contract_no": loan["contract_no"],
        "product": f"{loan['product_code']} {loan['product_name']}",
        "principal": _yuan(loan["principal_fen"]),
        "annual_rate": loan["annual_rate"],
        "penalty_rate": loan["penalty_annual_rate"],
        "term": loan["term_months"],
        "method": methods.get(str(loan["repayment_method"]), loan["repayment_method"]),
        "disbursed_on": loan["disbursed_on"],
        "first_due_on": loan["first_due_on"],
        "dealer": loan["dealer"],
        "branch": loan["branch"],
        "place": f"{loan['province']}{loan['city']}",
        "status": _choice(LoanStatus, loan["loan_status"]),
        "paid_principal": _yuan(loan["paid_principal_fen"]),
        "outstanding_principal": _yuan(
            int(loan["principal_fen"] or 0) - int(loan["paid_principal_fen"] or 0)
        ),
        "credit": _yuan(loan["credit_fen"]),
    }


def _vehicle_section(loan: dict[str, Cell]) -> dict[str, Any] | None:
    """The pledged vehicle, or None for a loan without one."""
    if not loan["vehicle_vin"]:
        return None
    return {
        "vin": loan["vehicle_vin"],
        "plate": loan["vehicle_plate"],
        "model": f"{loan['vehicle_brand']} {loan['vehicle_model']} {loan['vehicle_year']}",
        "price": _yuan(loan["vehicle_price_fen"]),
        "mortgage": _choice(MortgageStatus, loan["vehicle_mortgage_status"]),
        "gps": loan["vehicle_gps_tracker_id"],
    }


def _schedule_section(record: CaseRecord) -> list[dict[str, Any]]:
    return [
        {
            "seq": s["seq"],
            "due_on": s["due_on"],
            "principal": _yuan(s["principal_fen"]),
            "interest": _yuan(s["interest_fen"]),
            "penalty": _yuan(s["penalty_fen"]),
            "paid": _yuan(
                int(s["paid_principal_fen"] or 0)
                + int(s["paid_interest_fen"] or 0)
                + int(s["paid_penalty_fen"] or 0)
            ),
            "outstanding": _yuan(s["outstanding_fen"]),
        }
        for s in _rows(record, "schedule")
    ]


def _payments_section(record: CaseRecord) -> dict[str, Any]:
    """``payments`` (each with what it paid, installment by installment) and their total."""
    payments = _rows(record, "payments")
    by_payment: dict[str, list[str]] = {}
    for a in _rows(record, "allocations"):
        by_payment.setdefault(str(a["payment_ref"]), []).append(
            f"第{a['installment_seq']}期{COMPONENTS.get(str(a['component']), a['component'])}"
            f" {_yuan(a['amount_fen'])}"
        )
    return {
        "payments": [
            {
                "ref": p["payment_ref"],
                "paid_on": p["paid_on"],
                "amount": _yuan(p["amount_fen"]),
                "channel": p["channel"],
                "credit": _yuan(p["credit_fen"]),
                "allocations": "；".join(by_payment.get(str(p["payment_ref"]), [])),
            }
            for p in payments
        ],
        "payments_total": _yuan(sum(int(p["amount_fen"] or 0) for p in payments)),
    }


def _arrears_section(record: CaseRecord) -> dict[str, Any]:
    """``arrears`` by installment, their totals by component and the highest days past due."""
    arrears = _rows(record, "arrears")
    totals = {
        key: sum(int(r[key] or 0) for r in arrears)
        for key in ("principal_fen", "interest_fen", "penalty_fen", "total_fen")
    }
    return {
        "arrears": [
            {
                "seq": a["seq"],
                "due_on": a["due_on"],
                "dpd": a["days_past_due"],
                "principal": _yuan(a["principal_fen"]),
                "interest": _yuan(a["interest_fen"]),
                "penalty": _yuan(a["penalty_fen"]),
                "total": _yuan(a["total_fen"]),
            }
            for a in arrears
        ],
        "arrears_total": {k.removesuffix("_fen"): _yuan(v) for k, v in totals.items()},
        "max_dpd": max((int(a["days_past_due"] or 0) for a in arrears), default=0),
    }


def _contacts_section(record: CaseRecord) -> list[dict[str, Any]]:
    return [
        {
            "at": _when(c["at"]),
            "channel": _choice(Channel, c["channel"]),
            "party": _choice(InteractionParty, c["party"]),
            "to": c["to"],
            "outcome": _choice(InteractionOutcome, c["outcome"]),
            "result": _choice(OutcomeCode, c["result_code"]),
            "agent": c["agent"] or "系统",
            "notes": c["notes"],
        }
        for c in _rows(record, "contacts")
    ]


def _notices_section(record: CaseRecord) -> list[dict[str, Any]]:
    return [
        {
            "created_at": _when(n["created_at"]),
            "channel": _choice(Channel, n["channel"]),
            "to": n["to"],
            "template": n["template"],
            "subject": n["subject"],
            "body": n["body"],
            "status": _choice(OutboxStatus, n["status"]),
            "sent_at": _when(n["sent_at"]),
            "delivered_at": _when(n["delivered_at"]),
            "file": n["file"],
        }
        for n in _rows(record, "notices")
    ]


def _promises_section(record: CaseRecord) -> list[dict[str, Any]]:
    return [
        {
            "promised_on": p["promised_on"],
            "due_on": p["due_on"],
            "amount": _yuan(p["amount_fen"]),
            "status": _choice(PromiseStatus, p["status"]),
            "paid": _yuan(p["paid_fen"]),
            "by": p["created_by"],
        }
        for p in _rows(record, "promises")
    ]


def _holds_flags_section(record: CaseRecord) -> list[dict[str, Any]]:
    return [
        {
            "kind": "联系暂停" if h["kind"] == "hold" else "案件标记",
            "code": _choice(HoldReason, h["code"])
            if h["kind"] == "hold"
            else _choice(FlagKind, h["code"]),
            "started_at": _when(h["started_at"]),
            "started_by": h["started_by"],
            "ended_at": _when(h["ended_at"]) or "仍有效",
            "note": h["note"],
        }
        for h in _rows(record, "holds_flags")
    ]


def _optional_sections(record: CaseRecord) -> list[dict[str, Any]]:
    """The tables other apps contribute (arrangements, hardship, legal …), each as it is."""
    optional: list[dict[str, Any]] = []
    for table in record.tables:
        if table.name in CORE_TABLES:
            continue
        app = table.name.split("_", 1)[0]
        optional.append(
            {
                "title": f"{TABLE_TITLES.get(app, app)}（{table.name}.csv）",
                "columns": table.columns,
                "rows": [
                    [("" if r.get(c) is None else r.get(c)) for c in table.columns]
                    for r in table.rows
                ],
            }
        )
    return optional


def summary_html(ctx: SummaryContext) -> str:
    with translation.override("zh-hans"):
        return render_to_string("evidence/summary.html", _context(ctx))


def render_summary_pdf(ctx: SummaryContext) -> bytes:
    # Imported here: WeasyPrint loads Pango and fonts, which only the export needs.
    from weasyprint import HTML

    html = summary_html(ctx)
    pdf = HTML(string=html, base_url=str(Path(__file__).parent)).write_pdf()
    assert pdf is not None  # write_pdf() without a target returns the bytes
    return pdf
