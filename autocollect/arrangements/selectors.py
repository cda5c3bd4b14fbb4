"""Reads for repayment arrangements: what a loan owes (the balance an arrangement covers),
what was paid, and which arrangements a user sees or may approve."""

from __future__ import annotations

from datetime import date

from django.db.models import F, QuerySet, Sum
from django.db.models.functions import Coalesce

from autocollect.accounts.models import User
from autocollect.arrangements import conf
from autocollect.arrangements.models import Arrangement, ArrangementKind, ArrangementState
from autocollect.cases.models import CollectionCase
from autocollect.cases.selectors import visible_cases
from autocollect.engine.arrangements import Components
from autocollect.portfolio.models import Allocation, Installment, Loan, Payment


def covers_whole_balance(kind: str) -> bool:
    """A settlement pays the loan off (arrears and the principal not yet due); an installment
    plan and a deferral cover the arrears only, and the contract's later installments stay due
    as scheduled."""
    return kind == ArrangementKind.SETTLEMENT


def loan_balance(
    *, loan: Loan, as_of: date, kind: str, counted_from: date | None = None
) -> tuple[Components, int]:
    """The balance by component an arrangement of ``kind`` covers as of ``as_of``, and the part
    of it already paid since ``counted_from`` (added back into the balance, so that the
    borrower's payments since then count towards the agreed total rather than vanish).

    Arrears are what fell due by ``as_of`` and is unpaid: penalty, interest and principal. A
    settlement adds the principal not yet due; interest not yet due is not owed."""
    whole = covers_whole_balance(kind)
    penalty = interest = principal = 0
    for row in Installment.objects.filter(loan=loan).values(
        "due_on",
        "principal_fen",
        "interest_fen",
        "penalty_fen",
        "paid_principal_fen",
        "paid_interest_fen",
        "paid_penalty_fen",
    ):
        if row["due_on"] <= as_of:
            penalty += max(row["penalty_fen"] - row["paid_penalty_fen"], 0)
            interest += max(row["interest_fen"] - row["paid_interest_fen"], 0)
            principal += max(row["principal_fen"] - row["paid_principal_fen"], 0)
        elif whole:
            principal += max(row["principal_fen"] - row["paid_principal_fen"], 0)
    added = {"penalty": 0, "interest": 0, "principal": 0}
    if counted_from is not None and counted_from <= as_of:
        lines = Allocation.objects.filter(
            payment__loan=loan, payment__paid_on__gte=counted_from, payment__paid_on__lte=as_of
        )
        if not whole:
            lines = lines.filter(installment__due_on__lte=as_of)
        for component, amount in lines.values_list("component").annotate(total=Sum("amount_fen")):
            added[component] += int(amount or 0)
    balance = Components(
        penalty_fen=penalty + added["penalty"],
        interest_fen=interest + added["interest"],
        principal_fen=principal + added["principal"],
    )
    return balance, sum(added.values())


def paid_between(*, loan_id: int, start: date, end: date) -> int:
    """Payments received on the loan from ``start`` to ``end`` (inclusive), in fen."""
    total = Payment.objects.filter(loan_id=loan_id, paid_on__gte=start, paid_on__lte=end).aggregate(
        total=Coalesce(Sum("amount_fen"), 0)
    )["total"]
    return int(total)


def contract_due_between(*, loan_id: int, after: date, through: date) -> int:
    """What the loan contract itself asks between two dates (principal and interest of the
    installments falling due after ``after`` up to ``through``): an arrears arrangement comes
    on top of these."""
    if through <= after:
        return 0
    total = Installment.objects.filter(
        loan_id=loan_id, due_on__gt=after, due_on__lte=through
    ).aggregate(total=Coalesce(Sum(F("principal_fen") + F("interest_fen")), 0))["total"]
    return int(total)


def required_approver_role(*, discount_bp: int, balance_fen: int, discount_fen: int) -> str:
    """The first role of the approval matrix whose limits cover the arrangement; "" when none
    does (nobody may approve it)."""
    for limit in conf.approver_limits():
        if limit.covers(
            discount_bp=discount_bp, balance_fen=balance_fen, discount_fen=discount_fen
        ):
            return limit.role
    return ""


def approver_may_approve(user: User, arrangement: Arrangement) -> bool:
    role = user.effective_role
    for limit in conf.approver_limits():
        if limit.role == role:
            return limit.covers(
                discount_bp=arrangement.discount_bp,
                balance_fen=arrangement.balance_fen,
                discount_fen=arrangement.discount_fen,
            )
    return False


def is_approver(user: User) -> bool:
    return any(limit.role == user.effective_role for limit in conf.approver_limits())


def arrangements_for_case(case: CollectionCase) -> QuerySet[Arrangement]:
    return (
        Arrangement.objects.filter(case=case)
        .select_related("proposed_by", "decided_by")
        .order_by("-proposed_at")
    )


def visible_arrangements(user: User) -> QuerySet[Arrangement]:
    return Arrangement.objects.filter(case__in=visible_cases(user).values("pk"))


def arrangements_awaiting(user: User) -> list[Arrangement]:
    """Proposals ``user`` may approve now: visible, within their limits, not their own."""
    if not is_approver(user):
        return []
    pending = (
        visible_arrangements(user)
        .filter(state=ArrangementState.PROPOSED)
        .exclude(proposed_by=user)
        .select_related("case__loan", "proposed_by")
        .order_by("proposed_at")
    )
    return [a for a in pending if approver_may_approve(user, a)]
