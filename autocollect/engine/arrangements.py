"""The new schedule of a repayment arrangement, exact to the fen. Pure Python, no Django.

The agreed total is the balance the arrangement covers less the discount on each component
(减免: penalty, interest, principal). What the borrower already paid since the arrangement's
``counted_from`` date counts towards it; the rest is split into ``installments`` monthly
amounts with the loan rule for equal principal (``loanmath.principal_interest_split`` at a zero
rate): each installment is the total divided by N rounded half-up to the fen, never more than
what is left, and the last takes whatever is left. So, always::

    sum(new schedule) + already paid == agreed total        (to the fen)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from autocollect.engine.loanmath import RepaymentMethod, due_dates, principal_interest_split


@dataclass(frozen=True, slots=True)
class Components:
    """An amount by component, in fen."""

    penalty_fen: int = 0
    interest_fen: int = 0
    principal_fen: int = 0

    @property
    def total_fen(self) -> int:
        return self.penalty_fen + self.interest_fen + self.principal_fen


@dataclass(frozen=True, slots=True)
class NewInstallment:
    seq: int
    due_on: date
    amount_fen: int


@dataclass(frozen=True, slots=True)
class Terms:
    balance: Components
    discount: Components
    already_paid_fen: int
    installments: tuple[NewInstallment, ...]

    @property
    def agreed_total_fen(self) -> int:
        return self.balance.total_fen - self.discount.total_fen

    @property
    def scheduled_fen(self) -> int:
        return sum(row.amount_fen for row in self.installments)

    @property
    def discount_bp(self) -> int:
        return discount_bp(self.discount.total_fen, self.balance.total_fen)


def discount_bp(discount_fen: int, balance_fen: int) -> int:
    """The discount as a share of the balance, in basis points, rounded up: a limit of 20 %
    is never passed by a rounding."""
    if balance_fen <= 0:
        return 0
    return -((-discount_fen * 10_000) // balance_fen)


def split_evenly(total_fen: int, count: int) -> list[int]:
    """``total_fen`` in ``count`` amounts by the loan rule (equal principal, zero rate)."""
    if count < 1:
        raise ValueError("at least one installment")
    if total_fen < 0:
        raise ValueError("a negative amount cannot be scheduled")
    rows = principal_interest_split(
        principal_fen=total_fen,
        annual_rate=Decimal(0),
        term=count,
        method=RepaymentMethod.EQUAL_PRINCIPAL,
    )
    return [principal for principal, _ in rows]


def arrangement_terms(
    *,
    balance: Components,
    discount: Components,
    already_paid_fen: int,
    installments: int,
    first_due_on: date,
    adjust: Callable[[date], date] | None = None,
) -> Terms:
    """The agreed total and the new schedule. Raises ``ValueError`` saying which input is wrong."""
    for name in ("penalty_fen", "interest_fen", "principal_fen"):
        owed, off = getattr(balance, name), getattr(discount, name)
        if owed < 0:
            raise ValueError(f"balance {name} is negative")
        if off < 0:
            raise ValueError(f"discount {name} is negative")
        if off > owed:
            raise ValueError(f"discount {name} ({off}) is more than owed ({owed})")
    if already_paid_fen < 0:
        raise ValueError("already paid is negative")
    agreed = balance.total_fen - discount.total_fen
    remaining = agreed - already_paid_fen
    if remaining <= 0:
        raise ValueError("nothing is left to schedule: already paid covers the agreed total")
    amounts = split_evenly(remaining, installments)
    dates = due_dates(first_due_on, installments, adjust)
    rows = tuple(
        NewInstallment(seq=k + 1, due_on=day, amount_fen=amount)
        for k, (day, amount) in enumerate(zip(dates, amounts, strict=True))
    )
    return Terms(
        balance=balance, discount=discount, already_paid_fen=already_paid_fen, installments=rows
    )
