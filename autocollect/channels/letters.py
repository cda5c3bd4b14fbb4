"""Letters: collection notices (催收通知函) as PDF, from HTML with WeasyPrint.

The layout is ``templates/channels/letter.html``: the lender's header, the borrower, the
contract, the checked text of the template, the table of overdue installments, the official
payment channels, the hotline and the date. Fonts are Noto Serif/Sans CJK SC (Debian
``fonts-noto-cjk``), found through fontconfig and embedded (subset) in the PDF, so the letter
prints the same anywhere. ``docs/channels.md`` says how a rendered letter is checked.

Posting it is a boundary (a print-and-mail house): ``Mailroom``. ``FolderMailroom`` leaves the
PDF in the outgoing folder and reports ``accepted``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Protocol

from django.template.loader import render_to_string

from autocollect.channels.base import OutboundMessage, SendResult, artifact_name
from autocollect.channels.conf import lender_config, media_dir
from autocollect.channels.selectors import business_today
from autocollect.channels.templating import format_due_date
from autocollect.core.money import format_yuan

LABELS = {
    "zh-hans": {
        "title": "催收通知函",
        "reference": "函号",
        "to": "致",
        "contract": "合同编号",
        "seq": "期次",
        "due_on": "应还日",
        "principal": "本金",
        "interest": "利息",
        "penalty": "罚息",
        "total": "合计",
        "sum": "逾期应还合计",
        "channels": "官方还款渠道",
        "hotline": "客服热线",
        "seal": "（盖章）",
        "date": "日期",
    },
    "en": {
        "title": "Notice of Overdue Payment",
        "reference": "Ref.",
        "to": "To",
        "contract": "Contract no.",
        "seq": "No.",
        "due_on": "Due date",
        "principal": "Principal",
        "interest": "Interest",
        "penalty": "Penalty",
        "total": "Total",
        "sum": "Total overdue",
        "channels": "Official payment channels",
        "hotline": "Hotline",
        "seal": "(seal)",
        "date": "Date",
    },
}


@dataclass(frozen=True, slots=True)
class Letter:
    language: str
    reference: str
    lender_name: str
    lender_address: str
    hotline: str
    borrower_name: str
    address: str
    contract_no: str
    title: str
    body: str
    payment_channels: str
    rows: Sequence[Mapping[str, Any]] = field(default_factory=list)
    dated: date = field(default_factory=business_today)


def letter_html(letter: Letter) -> str:
    labels = LABELS.get(letter.language, LABELS["zh-hans"])
    rows = [
        {
            "seq": row["seq"],
            "due_on": format_due_date(date.fromisoformat(str(row["due_on"])), letter.language),
            "principal": format_yuan(int(row["principal_fen"])),
            "interest": format_yuan(int(row["interest_fen"])),
            "penalty": format_yuan(int(row["penalty_fen"])),
            "total": format_yuan(int(row["total_fen"])),
        }
        for row in letter.rows
    ]
    total = sum(int(row["total_fen"]) for row in letter.rows)
    paragraphs = [p.strip() for p in letter.body.split("\n") if p.strip()]
    return render_to_string(
        "channels/letter.html",
        {
            "letter": letter,
            "labels": labels,
            "rows": rows,
            "total": format_yuan(total),
            "paragraphs": paragraphs,
            "dated": format_due_date(letter.dated, letter.language),
            "lang": "zh-Hans" if letter.language.startswith("zh") else "en",
        },
    )


def render_letter_pdf(letter: Letter) -> bytes:
    # Imported here: WeasyPrint loads Pango and fonts, which only letter dispatch needs.
    from weasyprint import HTML

    pdf = HTML(string=letter_html(letter), base_url=str(Path(__file__).parent)).write_pdf()
    assert pdf is not None  # write_pdf() without a target returns the bytes
    return pdf


class Mailroom(Protocol):
    def post(self, *, pdf: Path, address: str, idempotency_key: str) -> SendResult: ...


class FolderMailroom:
    """Leaves the PDF in ``<media>/letters`` for printing and posting; reports ``accepted``."""

    def post(self, *, pdf: Path, address: str, idempotency_key: str) -> SendResult:
        return SendResult(
            "accepted", provider_message_id=f"letter:{idempotency_key}", detail="PDF filed"
        )


def letter_for_message(message: OutboundMessage) -> Letter:
    """The letter of an outbox row: its checked text, with the values and the overdue table
    captured when it was enqueued."""
    lender = lender_config()
    variables: Mapping[str, str] = message.payload.get("variables", {})
    return Letter(
        language=message.language,
        reference=message.idempotency_key,
        lender_name=variables.get("lender_name") or lender.name_in(message.language),
        lender_address=lender.address_in(message.language),
        hotline=variables.get("lender_hotline") or lender.hotline,
        borrower_name=variables.get("borrower_name", ""),
        address=message.to,
        contract_no=variables.get("contract_no", ""),
        title=message.subject or LABELS.get(message.language, LABELS["zh-hans"])["title"],
        body=message.body,
        payment_channels=variables.get("payment_channels")
        or lender.payment_channels_in(message.language),
        rows=list(message.payload.get("rows", [])),
    )


class LetterAdapter:
    channel = "letter"

    def __init__(self, mailroom: Mailroom, *, out_dir: Path | None = None) -> None:
        self.mailroom = mailroom
        self.out_dir = out_dir

    def send(self, message: OutboundMessage) -> SendResult:
        root = self.out_dir or media_dir()
        relative = artifact_name("letters", message.idempotency_key, ".pdf")
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{os.getpid()}.part")
        partial.write_bytes(render_letter_pdf(letter_for_message(message)))
        partial.replace(path)
        result = self.mailroom.post(
            pdf=path, address=message.to, idempotency_key=message.idempotency_key
        )
        return SendResult(
            result.status,
            provider_message_id=result.provider_message_id,
            detail=result.detail,
            artifact=str(relative),
        )


def build_adapter() -> LetterAdapter:
    return LetterAdapter(FolderMailroom())
