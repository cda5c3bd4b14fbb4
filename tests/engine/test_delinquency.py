"""The delinquency engine on tiny in-memory frames: DPD, buckets, amounts, penalty, movement."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import polars as pl
import pytest

from autocollect.engine import frames
from autocollect.engine.buckets import Bucket, validate_buckets
from autocollect.engine.delinquency import DelinquencyResult, compute_delinquency

D = date.fromisoformat


@dataclass
class Book:
    """A little loan book: one product, installments of 1,000.00 principal + 100.00 interest."""

    rate_ppm: int = 180_000  # 18% a year
    basis: str = "overdue_principal"
    days: int = 360
    grace: int = 0
    tolerance: int = 100
    installments: list[dict[str, object]] = field(default_factory=list)
    allocations: list[dict[str, object]] = field(default_factory=list)
    pauses: list[dict[str, object]] = field(default_factory=list)
    loans: set[int] = field(default_factory=set)

    def installment(
        self, loan: int, seq: int, due: str, principal: int = 100_000, interest: int = 10_000
    ) -> None:
        self.loans.add(loan)
        self.installments.append(
            {
                "loan_id": loan,
                "seq": seq,
                "due_on": D(due),
                "principal_fen": principal,
                "interest_fen": interest,
                "paid_principal_fen": 0,
                "paid_interest_fen": 0,
                "paid_penalty_fen": 0,
            }
        )

    def pay(
        self, loan: int, seq: int, on: str, principal: int = 0, interest: int = 0, penalty: int = 0
    ) -> None:
        row = next(r for r in self.installments if r["loan_id"] == loan and r["seq"] == seq)
        for component, amount in (
            ("principal", principal),
            ("interest", interest),
            ("penalty", penalty),
        ):
            if not amount:
                continue
            row[f"paid_{component}_fen"] = int(row[f"paid_{component}_fen"]) + amount  # type: ignore[call-overload]
            if D(on) > row["due_on"]:  # type: ignore[operator]
                self.allocations.append(
                    {
                        "loan_id": loan,
                        "seq": seq,
                        "component": component,
                        "amount_fen": amount,
                        "paid_on": D(on),
                    }
                )

    def pause(self, loan: int, start: str, end: str) -> None:
        self.pauses.append({"loan_id": loan, "start_on": D(start), "end_on": D(end)})

    def run(self, as_of: str, previous: dict[int, str] | None = None) -> DelinquencyResult:
        return compute_delinquency(
            installments=pl.LazyFrame(self.installments, schema=dict(frames.INSTALLMENTS)),
            late_allocations=pl.LazyFrame(self.allocations, schema=dict(frames.LATE_ALLOCATIONS)),
            loans=pl.LazyFrame(
                [{"loan_id": i, "product_id": 1} for i in sorted(self.loans)],
                schema=dict(frames.LOANS),
            ),
            products=pl.LazyFrame(
                [
                    {
                        "product_id": 1,
                        "penalty_rate_ppm": self.rate_ppm,
                        "penalty_basis": self.basis,
                        "day_count_days": self.days,
                        "grace_days": self.grace,
                        "tolerance_fen": self.tolerance,
                    }
                ],
                schema=dict(frames.PRODUCTS),
            ),
            pauses=pl.LazyFrame(self.pauses, schema=dict(frames.PAUSES)),
            previous=pl.LazyFrame(
                [{"loan_id": k, "bucket": v} for k, v in (previous or {}).items()],
                schema=dict(frames.PREVIOUS_STATE),
            ),
            as_of=D(as_of),
        )


def state(result: DelinquencyResult, loan: int = 1) -> dict[str, object]:
    return result.loans.filter(pl.col("loan_id") == loan).to_dicts()[0]


def test_on_time_loan_is_current_with_nothing_overdue() -> None:
    book = Book()
    book.installment(1, 1, "2026-01-10")
    book.installment(1, 2, "2026-02-10")
    book.pay(1, 1, "2026-01-09", principal=100_000, interest=10_000)
    s = state(book.run("2026-01-20"))
    assert (s["dpd"], s["bucket"], s["overdue_total_fen"], s["movement"]) == (0, "M0", 0, "current")
    assert s["oldest_due_on"] is None


def test_due_today_is_not_late() -> None:
    book = Book()
    book.installment(1, 1, "2026-01-10")
    assert state(book.run("2026-01-10"))["dpd"] == 0
    assert state(book.run("2026-01-11"))["dpd"] == 1


def test_paid_one_day_late_counts_a_day_then_cures() -> None:
    book = Book()
    book.installment(1, 1, "2026-01-10")
    book.pay(1, 1, "2026-01-11", principal=100_000, interest=10_000)
    # Recomputing the day before the payment sees it unpaid (catch-up correctness).
    before = state(book.run("2026-01-11"))
    assert before["dpd"] == 0  # paid on the 11th: counts for the 11th
    assert state(book.run("2026-01-10"))["dpd"] == 0
    late = Book()
    late.installment(1, 1, "2026-01-10")
    late.pay(1, 1, "2026-01-12", principal=100_000, interest=10_000)
    assert state(late.run("2026-01-11"))["dpd"] == 1
    assert state(late.run("2026-01-11"))["bucket"] == "M1"
    after = state(late.run("2026-01-12", previous={1: "M1"}))
    assert (after["dpd"], after["bucket"], after["movement"]) == (0, "M0", "cured")


def test_partial_payment_leaving_less_than_tolerance_is_not_late() -> None:
    book = Book()
    book.installment(1, 1, "2026-01-10")
    book.pay(1, 1, "2026-01-10", principal=100_000, interest=9_900)  # ¥1.00 short: within tolerance
    s = state(book.run("2026-02-01"))
    assert s["dpd"] == 0
    assert s["overdue_interest_fen"] == 100  # still owed and reported, just not delinquent


def test_partial_payment_leaving_more_than_tolerance_is_late() -> None:
    book = Book()
    book.installment(1, 1, "2026-01-10")
    book.pay(1, 1, "2026-01-10", principal=100_000, interest=9_899)  # ¥1.01 short
    s = state(book.run("2026-02-01"))
    assert s["dpd"] == 22
    assert s["overdue_interest_fen"] == 101


def test_grace_days_keep_the_bucket_current_but_report_dpd() -> None:
    book = Book(grace=3)
    book.installment(1, 1, "2026-01-10")
    inside = state(book.run("2026-01-13"))
    assert (inside["dpd"], inside["bucket"]) == (3, "M0")
    past = state(book.run("2026-01-14"))
    assert (past["dpd"], past["bucket"], past["movement"]) == (4, "M1", "new")


def test_two_missed_installments_count_from_the_older() -> None:
    book = Book()
    book.installment(1, 1, "2026-01-10")
    book.installment(1, 2, "2026-02-10")
    book.installment(1, 3, "2026-03-10")
    s = state(book.run("2026-02-20"))
    assert s["dpd"] == 41
    assert s["bucket"] == "M2"
    assert s["overdue_principal_fen"] == 200_000
    assert s["overdue_interest_fen"] == 20_000


def test_paying_the_older_installment_moves_dpd_to_the_next_one() -> None:
    book = Book()
    book.installment(1, 1, "2026-01-10")
    book.installment(1, 2, "2026-02-10")
    book.pay(1, 1, "2026-02-15", principal=100_000, interest=10_000)
    s = state(book.run("2026-02-20", previous={1: "M2"}))
    assert (s["dpd"], s["bucket"], s["movement"]) == (10, "M1", "rolled_back")


def test_penalty_on_overdue_principal_accrues_daily_with_half_up_rounding() -> None:
    book = Book()
    book.installment(1, 1, "2026-01-10")  # 1,000.00 principal
    # 100,000 fen × 18% / 360 = 50 fen a day exactly.
    s = state(book.run("2026-01-20"))
    assert s["penalty_today_fen"] == 50
    assert s["overdue_penalty_fen"] == 500  # 10 days
    odd = Book(days=365)
    odd.installment(1, 1, "2026-01-10", principal=123_457)
    # 123,457 × 0.18 / 365 = 60.88… → 61 a day.
    assert state(odd.run("2026-01-13"))["overdue_penalty_fen"] == 3 * 61


def test_penalty_on_overdue_installment_basis_includes_interest() -> None:
    book = Book(basis="overdue_installment")
    book.installment(1, 1, "2026-01-10")  # 1,100.00 due
    # 110,000 × 0.18 / 360 = 55 fen a day.
    assert state(book.run("2026-01-20"))["overdue_penalty_fen"] == 550


def test_penalty_basis_falls_with_partial_late_payment_and_stops_when_paid() -> None:
    book = Book()
    book.installment(1, 1, "2026-01-10")
    book.pay(1, 1, "2026-01-15", principal=50_000)  # from the 15th the basis is 500.00 → 25/day
    book.pay(1, 1, "2026-01-20", principal=50_000, interest=10_000)  # paid off on the 20th
    result = book.run("2026-01-25")
    # 11th–14th: 4 × 50; 15th–19th: 5 × 25; from the 20th nothing.
    assert state(result)["overdue_penalty_fen"] == 4 * 50 + 5 * 25
    assert state(result)["penalty_today_fen"] == 0
    assert result.installment_penalties.to_dicts() == [{"loan_id": 1, "seq": 1, "penalty_fen": 325}]


def test_penalty_catch_up_equals_day_by_day_accrual() -> None:
    book = Book(days=365, rate_ppm=240_000)
    book.installment(1, 1, "2026-01-10", principal=98_765)
    book.installment(1, 2, "2026-02-10", principal=98_765)
    book.pay(1, 1, "2026-02-03", principal=40_000)
    book.pay(1, 2, "2026-02-25", principal=98_765)
    day = D("2026-01-11")
    total = 0
    while day <= D("2026-03-05"):
        total += int(state(book.run(day.isoformat()))["penalty_today_fen"])  # type: ignore[call-overload]
        day += timedelta(days=1)
    cumulative = book.run("2026-03-05").installment_penalties["penalty_fen"].sum()
    assert cumulative == total
    assert total > 0


def test_no_penalty_inside_grace_days() -> None:
    book = Book(grace=3)
    book.installment(1, 1, "2026-01-10")
    assert state(book.run("2026-01-13"))["overdue_penalty_fen"] == 0
    assert state(book.run("2026-01-14"))["overdue_penalty_fen"] == 50


def test_paid_penalty_reduces_overdue_penalty() -> None:
    book = Book()
    book.installment(1, 1, "2026-01-10")
    book.pay(1, 1, "2026-01-21", penalty=300)
    s = state(book.run("2026-01-21"))
    assert s["overdue_penalty_fen"] == 11 * 50 - 300


def test_pause_days_do_not_add_to_dpd() -> None:
    book = Book()
    book.installment(1, 1, "2026-01-10")
    book.pause(1, "2026-01-15", "2026-01-24")  # 10 days
    assert state(book.run("2026-01-14"))["dpd"] == 4
    assert state(book.run("2026-01-20"))["dpd"] == 4
    assert state(book.run("2026-02-01"))["dpd"] == 22 - 10
    # A pause entirely before the due date changes nothing.
    other = Book()
    other.installment(1, 1, "2026-01-10")
    other.pause(1, "2026-01-01", "2026-01-09")
    assert state(other.run("2026-02-01"))["dpd"] == 22


def test_cure_then_reopen_shows_cured_then_new() -> None:
    book = Book()
    book.installment(1, 1, "2026-01-10")
    book.installment(1, 2, "2026-02-10")
    book.pay(1, 1, "2026-01-20", principal=100_000, interest=10_000)
    assert state(book.run("2026-01-19"))["bucket"] == "M1"
    assert state(book.run("2026-01-20", previous={1: "M1"}))["movement"] == "cured"
    assert state(book.run("2026-02-11", previous={1: "M0"}))["movement"] == "new"


def test_movement_forward_and_stayed() -> None:
    book = Book()
    book.installment(1, 1, "2026-01-10")
    assert state(book.run("2026-02-10", previous={1: "M1"}))["movement"] == "rolled_forward"
    assert state(book.run("2026-02-09", previous={1: "M1"}))["movement"] == "stayed"


def test_every_loan_gets_a_row_and_loans_are_independent() -> None:
    book = Book()
    book.installment(1, 1, "2026-01-10")
    book.installment(2, 1, "2026-01-10")
    book.installment(3, 1, "2026-05-10")
    book.pay(2, 1, "2026-01-10", principal=100_000, interest=10_000)
    result = book.run("2026-01-31")
    assert result.loans.select("loan_id", "dpd").to_dicts() == [
        {"loan_id": 1, "dpd": 21},
        {"loan_id": 2, "dpd": 0},
        {"loan_id": 3, "dpd": 0},
    ]
    assert result.loans.schema == pl.Schema(frames.LOAN_STATE)


def test_buckets_cover_the_dpd_ranges() -> None:
    book = Book()
    book.installment(1, 1, "2025-01-01")
    expected = {
        30: "M1",
        31: "M2",
        60: "M2",
        61: "M3",
        90: "M3",
        91: "M4",
        121: "M5",
        151: "M6",
        180: "M6",
        181: "M7+",
    }
    for dpd, bucket in expected.items():
        as_of = D("2025-01-01") + timedelta(days=dpd)
        assert state(book.run(as_of.isoformat()))["bucket"] == bucket, dpd


def test_bucket_table_is_validated() -> None:
    with pytest.raises(ValueError, match="must start at DPD 31"):
        validate_buckets([Bucket("M0", 0, 0), Bucket("M1", 1, 30), Bucket("M2", 32, None)])
    with pytest.raises(ValueError, match="must be open-ended"):
        validate_buckets([Bucket("M0", 0, 0), Bucket("M1", 1, 30)])


def test_missing_column_is_a_clear_error() -> None:
    with pytest.raises(frames.FrameContractError, match="installments: missing column"):
        compute_delinquency(
            installments=pl.LazyFrame({"loan_id": [1]}),
            late_allocations=pl.LazyFrame(schema=dict(frames.LATE_ALLOCATIONS)),
            loans=pl.LazyFrame(schema=dict(frames.LOANS)),
            products=pl.LazyFrame(schema=dict(frames.PRODUCTS)),
            pauses=pl.LazyFrame(schema=dict(frames.PAUSES)),
            previous=pl.LazyFrame(schema=dict(frames.PREVIOUS_STATE)),
            as_of=D("2026-01-01"),
        )
