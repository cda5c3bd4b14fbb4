"""Reads for legal: what a loan still owes, referral lists, deadlines due."""

from __future__ import annotations

from datetime import date, timedelta

from django.db.models import QuerySet, Sum

from autocollect.accounts.models import User
from autocollect.cases.selectors import visible_cases
from autocollect.legal.models import LegalCost, LegalDeadline, LegalReferral, Stage
from autocollect.portfolio.models import Installment, Loan


def loan_balance_fen(loan: Loan, *, as_of: date) -> int:
    """What the borrower owes on ``as_of``: all principal not yet repaid (the whole remaining
    principal falls due when the lender accelerates the loan, as a claim in court does), plus
    interest and penalty interest outstanding on installments already due, less the loan's
    credit (overpayment). Integer fen."""
    total = 0
    for row in Installment.objects.filter(loan=loan).values(
        "due_on",
        "principal_fen",
        "paid_principal_fen",
        "interest_fen",
        "paid_interest_fen",
        "penalty_fen",
        "paid_penalty_fen",
    ):
        total += row["principal_fen"] - row["paid_principal_fen"]
        if row["due_on"] < as_of:
            total += row["interest_fen"] - row["paid_interest_fen"]
            total += row["penalty_fen"] - row["paid_penalty_fen"]
    return max(total - loan.credit_fen, 0)


def referral_costs_fen(referral: LegalReferral) -> int:
    value = LegalCost.objects.filter(referral=referral).aggregate(total=Sum("amount_fen"))["total"]
    return int(value or 0)


def referral_list(user: User, *, stage: str = "") -> QuerySet[LegalReferral]:
    """Referrals of the cases ``user`` may see, newest first."""
    referrals = LegalReferral.objects.filter(case__in=visible_cases(user)).select_related(
        "case__loan__borrower", "referred_by"
    )
    if stage:
        referrals = referrals.filter(stage=stage)
    return referrals.order_by("-referred_at", "-id")


def open_referral(case_id: int) -> LegalReferral | None:
    return LegalReferral.objects.filter(case_id=case_id).exclude(stage=Stage.CLOSED).first()


def deadlines_open(*, due_by: date) -> QuerySet[LegalDeadline]:
    """Open deadlines due on or before ``due_by``, earliest first."""
    return (
        LegalDeadline.objects.filter(done_at__isnull=True, due_on__lte=due_by)
        .select_related("referral__case__loan")
        .order_by("due_on", "id")
    )


def deadlines_due_soon(
    *, as_of: date, days: int
) -> tuple[list[LegalDeadline], list[LegalDeadline]]:
    """(overdue, due soon): open deadlines before ``as_of``, and from ``as_of`` to ``as_of +
    days`` inclusive. A deadline due today is not yet overdue: it can still be met today."""
    rows = list(deadlines_open(due_by=as_of + timedelta(days=days)))
    return [d for d in rows if d.due_on < as_of], [d for d in rows if d.due_on >= as_of]
