"""Promises to pay (承诺还款): kept, partly kept or broken, decided from payments.

A promise made on ``promised_on`` for ``amount_fen`` by ``due_on`` is judged on the payments of
its loan dated from ``promised_on`` to ``due_on + tolerance_days`` inclusive:

* kept: they reach the promised amount less ``tolerance_fen`` (decided as soon as they do,
  even before the due date);
* partly kept / broken: once ``due_on + tolerance_days`` has passed, some / no money came;
* pending: otherwise (not yet due, or inside the tolerance days).
"""

from __future__ import annotations

from datetime import date

import polars as pl

from autocollect.engine import frames

# A promise is kept when the payments in its window reach its amount: the window ends this many
# days after the promised date, and a shortfall up to this many fen is forgiven. The daily cycle
# and the KPIs judge with these same figures.
PROMISE_TOLERANCE_DAYS = 1
PROMISE_TOLERANCE_FEN = 100


def evaluate_promises(
    *,
    promises: pl.LazyFrame,
    payments: pl.LazyFrame,
    as_of: date,
    tolerance_days: int = PROMISE_TOLERANCE_DAYS,
    tolerance_fen: int = PROMISE_TOLERANCE_FEN,
) -> pl.DataFrame:
    frames.require(promises, frames.PROMISES, "promises")
    frames.require(payments, frames.PAYMENTS, "payments")
    as_of_lit = pl.lit(as_of, dtype=pl.Date)
    window_end = pl.col("due_on") + pl.duration(days=tolerance_days)
    paid = (
        promises.select(list(frames.PROMISES))
        .join(
            payments.select(list(frames.PAYMENTS)).rename({"amount_fen": "payment_fen"}),
            on="loan_id",
            how="left",
        )
        .filter(
            pl.col("paid_on").is_null()
            | (
                (pl.col("paid_on") >= pl.col("promised_on"))
                & (pl.col("paid_on") <= window_end)
                & (pl.col("paid_on") <= as_of_lit)
            )
        )
        .group_by("promise_id")
        .agg(pl.col("payment_fen").sum().alias("paid_fen"))
    )
    return (
        promises.select(list(frames.PROMISES))
        .join(paid, on="promise_id", how="left")
        .with_columns(pl.col("paid_fen").fill_null(0))
        .with_columns(
            pl.when(pl.col("paid_fen") >= pl.col("amount_fen") - tolerance_fen)
            .then(pl.lit("kept"))
            .when(as_of_lit <= window_end)
            .then(pl.lit("pending"))
            .when(pl.col("paid_fen") > 0)
            .then(pl.lit("partly_kept"))
            .otherwise(pl.lit("broken"))
            .alias("status"),
            (
                pl.min_horizontal(
                    pl.col("paid_fen") * 10_000 // pl.col("amount_fen"), pl.lit(10_000)
                )
            ).alias("paid_share_bp"),
        )
        .select(list(frames.PROMISE_RESULT))
        .sort("promise_id")
        .collect()
    )
