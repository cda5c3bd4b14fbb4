"""Reads for the channels: the values a message about a case is filled with, what is due."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Q

from autocollect.cases.models import CollectionCase
from autocollect.channels.conf import lender_config
from autocollect.channels.models import OutboxMessage, OutboxStatus
from autocollect.channels.templating import format_due_date, opt_out_line
from autocollect.core import clock
from autocollect.core.money import format_yuan

BUSINESS_ZONE = ZoneInfo("Asia/Shanghai")


def business_today() -> date:
    return datetime.now(BUSINESS_ZONE).date()


def case_overdue_rows(case: CollectionCase, *, as_of: date | None = None) -> list[dict[str, Any]]:
    """The case's installments due on or before ``as_of`` with something left to pay, oldest
    first, in fen (the table of a collection notice)."""
    day = as_of or business_today()
    rows = []
    for inst in case.loan.installments.filter(due_on__lte=day).order_by("seq"):
        principal = inst.principal_fen - inst.paid_principal_fen
        interest = inst.interest_fen - inst.paid_interest_fen
        penalty = inst.penalty_fen - inst.paid_penalty_fen
        total = principal + interest + penalty
        if total <= 0:
            continue
        rows.append(
            {
                "seq": inst.seq,
                "due_on": inst.due_on.isoformat(),
                "principal_fen": principal,
                "interest_fen": interest,
                "penalty_fen": penalty,
                "total_fen": total,
            }
        )
    return rows


def case_message_variables(
    case: CollectionCase, *, language: str, channel: str, as_of: date | None = None
) -> dict[str, str]:
    """Every template variable for a message about ``case`` in ``language``: the borrower and
    contract from the book, amounts formatted from fen, the lender's details from settings."""
    loan = case.loan
    lender = lender_config()
    rows = case_overdue_rows(case, as_of=as_of)
    overdue_fen = sum(int(row["total_fen"]) for row in rows)
    oldest = date.fromisoformat(rows[0]["due_on"]) if rows else case.opened_on
    return {
        "borrower_name": loan.borrower.name,
        "contract_no": loan.contract_no,
        "overdue_amount": format_yuan(overdue_fen),
        "due_date": format_due_date(oldest, language),
        "lender_name": lender.name_in(language),
        "lender_hotline": lender.hotline,
        "payment_channels": lender.payment_channels_in(language),
        "opt_out_line": opt_out_line(channel, language),
    }


def outbox_due_ids(*, limit: int, now: datetime | None = None) -> list[int]:
    """Rows a dispatcher may take now: pending and due, or sending with a lapsed claim (their
    dispatcher died), oldest first."""
    at = now or clock.now()
    return list(
        OutboxMessage.objects.filter(
            status__in=[OutboxStatus.PENDING, OutboxStatus.SENDING], next_attempt_at__lte=at
        )
        .order_by("next_attempt_at", "id")
        .values_list("id", flat=True)[:limit]
    )


def outbox_unfinished_count() -> int:
    """Rows that still need a dispatcher: pending (due or waiting for a retry) or sending."""
    return OutboxMessage.objects.filter(
        Q(status=OutboxStatus.PENDING) | Q(status=OutboxStatus.SENDING)
    ).count()
