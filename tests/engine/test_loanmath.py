"""Loan math: rounding to the fen, schedules to the fen and payment allocation that never loses
or invents money."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from fractions import Fraction

import numpy_financial as npf
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autocollect.core.calendar import HolidayRule, adjust_due_date
from autocollect.engine.loanmath import (
    Component,
    OpenInstallment,
    RepaymentMethod,
    add_months,
    allocate_payment,
    build_schedule,
    equal_installment_payment_fen,
    round_half_up,
)

principals = st.integers(min_value=100_000, max_value=500_000_000)  # ¥1,000 – ¥5,000,000
rates = st.integers(min_value=1, max_value=3600).map(lambda bp: Decimal(bp) / 10000)  # 0.01%–36%
terms = st.integers(min_value=1, max_value=360)
# Auto loans run up to 60 months; 120 leaves room. Beyond that, at extreme rates, the half-fen
# rounding of the installment compounds enough to retire the balance before maturity (see
# docs/loan-math.md), so the installments no longer all equal the exact payment.
auto_terms = st.integers(min_value=1, max_value=120)
methods = st.sampled_from(list(RepaymentMethod))


def test_round_half_up_on_fractions_and_decimals() -> None:
    assert round_half_up(Fraction(5, 2)) == 3
    assert round_half_up(Fraction(-5, 2)) == -3
    assert round_half_up(Fraction(249, 100)) == 2
    assert round_half_up(Decimal("2.5")) == 3


def _numpy_payment_fen(principal_fen: int, rate: Decimal, term: int) -> Decimal:
    return Decimal(repr(float(-npf.pmt(float(rate) / 12, term, principal_fen))))


@settings(max_examples=400, deadline=None)
@given(principal=principals, rate=rates, term=auto_terms)
def test_equal_installment_matches_numpy_financial_for_every_installment_but_last(
    principal: int, rate: Decimal, term: int
) -> None:
    schedule = build_schedule(
        principal_fen=principal,
        annual_rate=rate,
        term=term,
        method=RepaymentMethod.EQUAL_INSTALLMENT,
        first_due_on=date(2025, 1, 15),
    )
    reference = _numpy_payment_fen(principal, rate, term)
    distance_from_half = abs(
        reference - reference.to_integral_value(rounding="ROUND_FLOOR") - Decimal("0.5")
    )
    for row in schedule[:-1]:
        # numpy works in binary floating point: only a value within a hair of half a fen could
        # round the other way, and then only by that hair.
        assert abs(row.amount_fen - reference) <= Decimal("0.5") + Decimal("1e-6")
        if distance_from_half > Decimal("1e-6"):
            assert row.amount_fen == round_half_up(reference)


@settings(max_examples=400, deadline=None)
@given(principal=principals, rate=rates, term=terms, method=methods)
def test_schedule_principal_sums_to_the_loan_exactly(
    principal: int, rate: Decimal, term: int, method: RepaymentMethod
) -> None:
    schedule = build_schedule(
        principal_fen=principal,
        annual_rate=rate,
        term=term,
        method=method,
        first_due_on=date(2025, 1, 31),
    )
    assert len(schedule) == term
    assert sum(row.principal_fen for row in schedule) == principal
    assert all(row.principal_fen >= 0 and row.interest_fen >= 0 for row in schedule)
    # Each period's interest is the half-up rounding of the balance times the monthly rate.
    balance = principal
    for row in schedule:
        assert row.interest_fen == round_half_up(balance * Fraction(rate) / 12)
        balance -= row.principal_fen
    assert balance == 0


def test_equal_installment_known_contract() -> None:
    # ¥100,000 at 6.88% over 36 months: 3,082.23 a month (as any bank calculator shows).
    assert equal_installment_payment_fen(10_000_000, Decimal("0.0688"), 36) == 308_223


def test_equal_principal_repays_the_same_principal_each_month_with_falling_interest() -> None:
    schedule = build_schedule(
        principal_fen=12_000_000,
        annual_rate=Decimal("0.06"),
        term=12,
        method=RepaymentMethod.EQUAL_PRINCIPAL,
        first_due_on=date(2025, 3, 10),
    )
    assert {row.principal_fen for row in schedule} == {1_000_000}
    assert [row.interest_fen for row in schedule[:3]] == [60_000, 55_000, 50_000]
    assert schedule[-1].interest_fen == 5_000


def test_equal_principal_last_installment_absorbs_rounding() -> None:
    schedule = build_schedule(
        principal_fen=1_000_000,
        annual_rate=Decimal("0.05"),
        term=3,
        method=RepaymentMethod.EQUAL_PRINCIPAL,
        first_due_on=date(2025, 3, 10),
    )
    assert [row.principal_fen for row in schedule] == [333_333, 333_333, 333_334]


def test_interest_first_pays_principal_only_at_maturity() -> None:
    schedule = build_schedule(
        principal_fen=5_000_000,
        annual_rate=Decimal("0.0725"),
        term=24,
        method=RepaymentMethod.INTEREST_FIRST,
        first_due_on=date(2025, 3, 10),
    )
    assert [row.principal_fen for row in schedule[:-1]] == [0] * 23
    assert schedule[-1].principal_fen == 5_000_000
    # 50,000 × 7.25% / 12 = 302.083… → 302.08
    assert {row.interest_fen for row in schedule} == {30_208}


def test_zero_rate_loan_has_no_interest() -> None:
    schedule = build_schedule(
        principal_fen=1_000_001,
        annual_rate=Decimal(0),
        term=10,
        method=RepaymentMethod.EQUAL_INSTALLMENT,
        first_due_on=date(2025, 3, 10),
    )
    assert sum(row.interest_fen for row in schedule) == 0
    assert sum(row.principal_fen for row in schedule) == 1_000_001


def test_month_end_due_dates_clamp_without_drifting() -> None:
    assert add_months(date(2025, 1, 31), 1) == date(2025, 2, 28)
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    schedule = build_schedule(
        principal_fen=1_000_000,
        annual_rate=Decimal("0.05"),
        term=4,
        method=RepaymentMethod.EQUAL_INSTALLMENT,
        first_due_on=date(2025, 1, 31),
    )
    assert [row.due_on for row in schedule] == [
        date(2025, 1, 31),
        date(2025, 2, 28),
        date(2025, 3, 31),
        date(2025, 4, 30),
    ]


def test_holiday_rule_moves_national_day_due_date_to_next_working_day() -> None:
    # 2025-10-01..08 is the National Day holiday; 2025-10-11 (Saturday) is an adjusted workday.
    def move(day: date) -> date:
        return adjust_due_date(day, HolidayRule.NEXT_WORKDAY)

    schedule = build_schedule(
        principal_fen=1_000_000,
        annual_rate=Decimal("0.05"),
        term=2,
        method=RepaymentMethod.EQUAL_INSTALLMENT,
        first_due_on=date(2025, 9, 1),
        adjust=move,
    )
    assert schedule[1].due_on == date(2025, 10, 9)
    assert adjust_due_date(date(2025, 10, 11), HolidayRule.NEXT_WORKDAY) == date(2025, 10, 11)
    assert adjust_due_date(date(2025, 10, 3), HolidayRule.PREVIOUS_WORKDAY) == date(2025, 9, 30)
    assert adjust_due_date(date(2025, 10, 3), HolidayRule.NONE) == date(2025, 10, 3)


@pytest.mark.parametrize(
    "bad", [{"principal_fen": 0}, {"term": 0}, {"annual_rate": Decimal("-0.01")}]
)
def test_build_schedule_refuses_impossible_terms(bad: dict[str, object]) -> None:
    args: dict[str, object] = {
        "principal_fen": 1_000_000,
        "annual_rate": Decimal("0.05"),
        "term": 12,
        "method": RepaymentMethod.EQUAL_INSTALLMENT,
        "first_due_on": date(2025, 1, 1),
    }
    args.update(bad)
    with pytest.raises(ValueError, match="must"):
        build_schedule(**args)  # type: ignore[arg-type]


installment_lists = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=50_000),
        st.integers(min_value=0, max_value=500_000),
        st.integers(min_value=0, max_value=5_000_000),
    ),
    min_size=0,
    max_size=12,
)
orders = st.permutations([Component.PENALTY, Component.INTEREST, Component.PRINCIPAL])


@settings(max_examples=500, deadline=None)
@given(owed=installment_lists, amount=st.integers(min_value=0, max_value=80_000_000), order=orders)
def test_allocation_never_loses_or_invents_a_fen(
    owed: list[tuple[int, int, int]], amount: int, order: list[Component]
) -> None:
    installments = [
        OpenInstallment(
            installment_id=100 + i, seq=i + 1, penalty_fen=p, interest_fen=r, principal_fen=c
        )
        for i, (p, r, c) in enumerate(owed)
    ]
    total_owed = sum(p + r + c for p, r, c in owed)
    lines, credit = allocate_payment(amount, installments, order)
    assert sum(line.amount_fen for line in lines) + credit == amount
    assert credit == max(0, amount - total_owed)
    assert all(line.amount_fen > 0 for line in lines)
    # Nothing is paid past what was owed, and what remains owed is never negative.
    assert all(
        i.penalty_fen >= 0 and i.interest_fen >= 0 and i.principal_fen >= 0 for i in installments
    )
    # Order: once money reached a (installment, component), every earlier one is settled.
    rank = {c: k for k, c in enumerate(order)}
    by_id = {i.installment_id: i for i in installments}
    last_line = lines[-1] if lines else None
    if last_line is not None:
        last_key = (by_id[last_line.installment_id].seq, rank[last_line.component])
        for inst in installments:
            for component in order:
                if (inst.seq, rank[component]) < last_key:
                    assert inst.owed(component) == 0


def test_allocation_default_order_pays_penalty_then_interest_then_principal_oldest_first() -> None:
    first = OpenInstallment(
        installment_id=1, seq=1, penalty_fen=500, interest_fen=1_000, principal_fen=9_000
    )
    second = OpenInstallment(
        installment_id=2, seq=2, penalty_fen=0, interest_fen=900, principal_fen=9_100
    )
    lines, credit = allocate_payment(11_000, [second, first])
    assert [(line.installment_id, line.component, line.amount_fen) for line in lines] == [
        (1, Component.PENALTY, 500),
        (1, Component.INTEREST, 1_000),
        (1, Component.PRINCIPAL, 9_000),
        (2, Component.INTEREST, 500),
    ]
    assert credit == 0
    assert second.interest_fen == 400


def test_overpayment_becomes_credit() -> None:
    only = OpenInstallment(
        installment_id=1, seq=1, penalty_fen=0, interest_fen=100, principal_fen=900
    )
    lines, credit = allocate_payment(1_234, [only])
    assert sum(line.amount_fen for line in lines) == 1_000
    assert credit == 234
