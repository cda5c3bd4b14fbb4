"""Loan arithmetic, exact to the fen: rounding, schedules, allocation. Pure Python: no Django,
no floats.

Conventions (documented in docs/loan-math.md):

* the periodic rate is the annual rate divided by 12, kept as an exact fraction;
* every amount is rounded to the fen with ROUND_HALF_UP at the point it is written down
  (installment amount, each period's interest, each period's principal);
* the last installment takes whatever principal is left, so the principal of a schedule always
  sums to the loan amount exactly;
* the first period is a full month whatever the days between disbursement and first due date.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from fractions import Fraction


def round_half_up(value: Fraction | Decimal) -> int:
    """Round an exact quantity of fen to a whole fen, halves away from zero."""
    if isinstance(value, Decimal):
        return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))
    num, den = value.numerator, value.denominator
    if num >= 0:
        return (2 * num + den) // (2 * den)
    return -((-2 * num + den) // (2 * den))


class RepaymentMethod(StrEnum):
    EQUAL_INSTALLMENT = "equal_installment"  # 等额本息
    EQUAL_PRINCIPAL = "equal_principal"  # 等额本金
    INTEREST_FIRST = "interest_first"  # 先息后本


class Component(StrEnum):
    PENALTY = "penalty"
    INTEREST = "interest"
    PRINCIPAL = "principal"


DEFAULT_ALLOCATION_ORDER: tuple[Component, ...] = (
    Component.PENALTY,
    Component.INTEREST,
    Component.PRINCIPAL,
)


@dataclass(frozen=True, slots=True)
class ScheduledInstallment:
    seq: int
    due_on: date
    principal_fen: int
    interest_fen: int

    @property
    def amount_fen(self) -> int:
        return self.principal_fen + self.interest_fen


def monthly_rate(annual_rate: Decimal | Fraction | str) -> Fraction:
    return Fraction(str(annual_rate) if isinstance(annual_rate, str) else annual_rate) / 12


def equal_installment_payment_fen(principal_fen: int, annual_rate: Decimal, term: int) -> int:
    """The 等额本息 installment, exact then rounded half-up to the fen."""
    rate = monthly_rate(annual_rate)
    if rate == 0:
        return round_half_up(Fraction(principal_fen, term))
    growth = (1 + rate) ** term
    return round_half_up(principal_fen * rate * growth / (growth - 1))


def add_months(start: date, months: int) -> date:
    """``start`` plus whole months, clamped to the month's last day (Jan 31 + 1 → Feb 28/29)."""
    month_index = start.month - 1 + months
    year = start.year + month_index // 12
    month = month_index % 12 + 1
    day = min(start.day, calendar.monthrange(year, month)[1])
    return date(year, month, day)


def due_dates(
    first_due_on: date, term: int, adjust: Callable[[date], date] | None = None
) -> list[date]:
    """Contractual due dates, each counted from the first one so that clamping never drifts."""
    dates = [add_months(first_due_on, k) for k in range(term)]
    return [adjust(d) for d in dates] if adjust else dates


def build_schedule(
    *,
    principal_fen: int,
    annual_rate: Decimal,
    term: int,
    method: RepaymentMethod | str,
    first_due_on: date,
    adjust: Callable[[date], date] | None = None,
) -> list[ScheduledInstallment]:
    """The full repayment schedule of a loan."""
    if principal_fen <= 0:
        raise ValueError("principal must be positive")
    if term <= 0:
        raise ValueError("term must be at least one month")
    if annual_rate < 0:
        raise ValueError("rate must not be negative")
    dates = due_dates(first_due_on, term, adjust)
    splits = principal_interest_split(
        principal_fen=principal_fen, annual_rate=annual_rate, term=term, method=method
    )
    return [
        ScheduledInstallment(seq=i + 1, due_on=d, principal_fen=p, interest_fen=r)
        for i, (d, (p, r)) in enumerate(zip(dates, splits, strict=True))
    ]


def principal_interest_split(
    *, principal_fen: int, annual_rate: Decimal, term: int, method: RepaymentMethod | str
) -> list[tuple[int, int]]:
    """(principal, interest) per period in fen; integer arithmetic in the hot loop."""
    method = RepaymentMethod(method)
    rate = monthly_rate(annual_rate)
    num, den = rate.numerator, rate.denominator
    two_den = 2 * den

    def interest_on(balance: int) -> int:
        # ROUND_HALF_UP of balance * num / den, balance and rate both non-negative.
        return (2 * balance * num + den) // two_den

    rows: list[tuple[int, int]] = []
    balance = principal_fen
    if method is RepaymentMethod.EQUAL_INSTALLMENT:
        payment = equal_installment_payment_fen(principal_fen, annual_rate, term)
        for _ in range(term - 1):
            interest = interest_on(balance)
            principal = min(max(payment - interest, 0), balance)
            rows.append((principal, interest))
            balance -= principal
    elif method is RepaymentMethod.EQUAL_PRINCIPAL:
        share = round_half_up(Fraction(principal_fen, term))
        for _ in range(term - 1):
            principal = min(share, balance)
            rows.append((principal, interest_on(balance)))
            balance -= principal
    else:
        for _ in range(term - 1):
            rows.append((0, interest_on(balance)))
    rows.append((balance, interest_on(balance)))
    return rows


@dataclass(slots=True)
class OpenInstallment:
    """What is still owed on one installment, by component, in fen."""

    installment_id: int
    seq: int
    penalty_fen: int
    interest_fen: int
    principal_fen: int

    def owed(self, component: Component) -> int:
        if component is Component.PENALTY:
            return self.penalty_fen
        if component is Component.INTEREST:
            return self.interest_fen
        return self.principal_fen

    def reduce(self, component: Component, amount: int) -> None:
        if component is Component.PENALTY:
            self.penalty_fen -= amount
        elif component is Component.INTEREST:
            self.interest_fen -= amount
        else:
            self.principal_fen -= amount


@dataclass(frozen=True, slots=True)
class AllocationLine:
    installment_id: int
    component: Component
    amount_fen: int


def allocate_payment(
    amount_fen: int,
    installments: Sequence[OpenInstallment],
    order: Iterable[Component | str] = DEFAULT_ALLOCATION_ORDER,
) -> tuple[list[AllocationLine], int]:
    """Split a payment over installments, oldest first, components in the product's order.

    ``installments`` are mutated to what remains owed. Returns the allocation lines and the
    credit left over (overpayment), so that allocated + credit == amount, always.
    """
    if amount_fen < 0:
        raise ValueError("a payment cannot be negative")
    components = [Component(c) for c in order]
    remaining = amount_fen
    lines: list[AllocationLine] = []
    for inst in sorted(installments, key=lambda i: i.seq):
        if remaining == 0:
            break
        for component in components:
            owed = inst.owed(component)
            if owed <= 0 or remaining == 0:
                continue
            take = min(owed, remaining)
            inst.reduce(component, take)
            remaining -= take
            lines.append(AllocationLine(inst.installment_id, component, take))
    return lines, remaining
