"""The arrangement schedule, exact to the fen for any balance, discount, amount already paid and
number of installments (pure, no database)."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from autocollect.engine.arrangements import (
    Components,
    arrangement_terms,
    discount_bp,
    split_evenly,
)

fen = st.integers(min_value=0, max_value=2_000_000_000)


@st.composite
def cases(draw: st.DrawFn) -> tuple[Components, Components, int, int]:
    balance = Components(penalty_fen=draw(fen), interest_fen=draw(fen), principal_fen=draw(fen))
    discount = Components(
        penalty_fen=draw(st.integers(0, balance.penalty_fen)),
        interest_fen=draw(st.integers(0, balance.interest_fen)),
        principal_fen=draw(st.integers(0, balance.principal_fen)),
    )
    agreed = balance.total_fen - discount.total_fen
    assume(agreed > 0)
    already = draw(st.integers(0, agreed - 1))
    n = draw(st.integers(1, 60))
    return balance, discount, already, n


@given(cases())
def test_schedule_plus_already_paid_is_the_agreed_total(
    case: tuple[Components, Components, int, int],
) -> None:
    balance, discount, already, n = case
    terms = arrangement_terms(
        balance=balance,
        discount=discount,
        already_paid_fen=already,
        installments=n,
        first_due_on=date(2026, 1, 31),
    )
    amounts = [row.amount_fen for row in terms.installments]
    assert len(amounts) == n
    assert sum(amounts) + already == terms.agreed_total_fen
    assert terms.agreed_total_fen == balance.total_fen - discount.total_fen
    assert all(a >= 0 for a in amounts)
    # All but the last are the same rounded share (or what was left); the last absorbs the rest.
    share = amounts[0]
    assert all(a <= share for a in amounts[1:-1])
    remaining = terms.agreed_total_fen - already
    assert abs(share * n - remaining) <= n  # each share is within a fen of total / n
    assert [row.seq for row in terms.installments] == list(range(1, n + 1))


@given(st.integers(0, 10**12), st.integers(1, 120))
def test_an_even_split_sums_to_the_total(total: int, n: int) -> None:
    amounts = split_evenly(total, n)
    assert sum(amounts) == total
    assert min(amounts) >= 0


def test_a_small_total_over_many_installments_stays_non_negative() -> None:
    assert split_evenly(2, 4) == [1, 1, 0, 0]


def test_monthly_due_dates_clamp_to_the_month_end() -> None:
    terms = arrangement_terms(
        balance=Components(principal_fen=300),
        discount=Components(),
        already_paid_fen=0,
        installments=3,
        first_due_on=date(2026, 1, 31),
    )
    assert [r.due_on for r in terms.installments] == [
        date(2026, 1, 31),
        date(2026, 2, 28),
        date(2026, 3, 31),
    ]
    assert [r.amount_fen for r in terms.installments] == [100, 100, 100]


@pytest.mark.parametrize(
    ("discount", "message"),
    [
        (Components(penalty_fen=11), "discount penalty_fen"),
        (Components(interest_fen=-1), "negative"),
    ],
)
def test_a_discount_beyond_the_balance_is_refused(discount: Components, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        arrangement_terms(
            balance=Components(penalty_fen=10, interest_fen=10, principal_fen=10),
            discount=discount,
            already_paid_fen=0,
            installments=1,
            first_due_on=date(2026, 1, 1),
        )


def test_already_paid_covering_the_total_leaves_nothing_to_schedule() -> None:
    with pytest.raises(ValueError, match="nothing is left"):
        arrangement_terms(
            balance=Components(principal_fen=100),
            discount=Components(principal_fen=10),
            already_paid_fen=90,
            installments=1,
            first_due_on=date(2026, 1, 1),
        )


def test_the_discount_share_rounds_up() -> None:
    assert discount_bp(2000, 10_000) == 2000
    assert discount_bp(2001, 10_000) == 2001
    assert discount_bp(1, 30_000) == 1
    assert discount_bp(0, 0) == 0
