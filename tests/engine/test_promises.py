"""Promise evaluation: kept, partly kept, broken, pending."""

from __future__ import annotations

from datetime import date

import polars as pl

from autocollect.engine import frames
from autocollect.engine.promises import evaluate_promises

D = date.fromisoformat


def _evaluate(
    payments: list[tuple[str, int]], as_of: str, amount: int = 100_000
) -> dict[str, object]:
    promises = pl.LazyFrame(
        [
            {
                "promise_id": 7,
                "loan_id": 1,
                "promised_on": D("2026-03-01"),
                "due_on": D("2026-03-05"),
                "amount_fen": amount,
            }
        ],
        schema=dict(frames.PROMISES),
    )
    pays = pl.LazyFrame(
        [{"loan_id": 1, "paid_on": D(on), "amount_fen": fen} for on, fen in payments]
        + [{"loan_id": 2, "paid_on": D("2026-03-02"), "amount_fen": 999_999}],
        schema=dict(frames.PAYMENTS),
    )
    result = evaluate_promises(promises=promises, payments=pays, as_of=D(as_of), tolerance_days=1)
    return result.to_dicts()[0]


def test_kept_when_paid_in_full_by_the_due_date() -> None:
    r = _evaluate([("2026-03-03", 60_000), ("2026-03-05", 40_000)], "2026-03-05")
    assert (r["status"], r["paid_fen"], r["paid_share_bp"]) == ("kept", 100_000, 10_000)


def test_kept_within_the_tolerance_days_and_fen() -> None:
    r = _evaluate([("2026-03-06", 99_950)], "2026-03-08")
    assert r["status"] == "kept"


def test_pending_until_the_tolerance_days_pass() -> None:
    assert _evaluate([], "2026-03-06")["status"] == "pending"
    assert _evaluate([], "2026-03-07")["status"] == "broken"


def test_partly_kept_reports_the_paid_share() -> None:
    r = _evaluate([("2026-03-04", 25_000)], "2026-03-10")
    assert (r["status"], r["paid_fen"], r["paid_share_bp"]) == ("partly_kept", 25_000, 2_500)


def test_payments_outside_the_window_do_not_count() -> None:
    r = _evaluate([("2026-02-28", 100_000), ("2026-03-07", 100_000)], "2026-03-10")
    assert (r["status"], r["paid_fen"]) == ("broken", 0)


def test_a_payment_after_as_of_is_not_seen_yet() -> None:
    assert _evaluate([("2026-03-05", 100_000)], "2026-03-04")["status"] == "pending"
