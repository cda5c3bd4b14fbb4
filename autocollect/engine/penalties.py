"""Penalty interest (罚息), in closed form so that any as-of date can be recomputed exactly.

Rule (docs/delinquency.md):

* An installment accrues penalty for each day d with ``due_on + grace_days < d <= as_of``
  (days inside the grace period are free).
* The day's basis is what remains unpaid at the end of day d: the installment's principal
  (``overdue_principal``) or its principal plus interest (``overdue_installment``). Payments on
  day d count for day d.
* The day's penalty is ``round_half_up(basis × annual rate / days in year)`` per installment
  per day, in integer fen (the rate is held in millionths, so the arithmetic is exact).

Because the basis only changes on the days a late payment arrives, the cumulative penalty is a
sum over the intervals between those payments: ``days × daily amount`` per interval. Recomputing
it for a date, or for every date of a catch-up, gives exactly what accruing day by day gives.
"""

from __future__ import annotations

from datetime import date

import polars as pl

PPM = 1_000_000


def daily_penalty_expr(basis: pl.Expr, rate_ppm: pl.Expr, days_in_year: pl.Expr) -> pl.Expr:
    """ROUND_HALF_UP(basis × rate_ppm / (days × 10⁶)) with non-negative integers."""
    den = days_in_year * PPM
    return (2 * basis * rate_ppm + den) // (2 * den)


def accrue_penalties(candidates: pl.LazyFrame, late: pl.LazyFrame, *, as_of: date) -> pl.LazyFrame:
    """Cumulative penalty per installment as of ``as_of`` and the amount accrued that day.

    ``candidates``: one row per installment that could carry penalty, with loan_id, seq,
    accrual_start (first day that accrues), basis_at_due (basis unpaid at the end of the due
    date), penalty_rate_ppm, day_count_days, basis_kind.
    ``late``: per (loan_id, seq, paid_on) the amount of late payments reducing the basis,
    already restricted to ``paid_on <= as_of``.
    Returns loan_id, seq, penalty_fen, penalty_today_fen.
    """
    as_of_lit = pl.lit(as_of, dtype=pl.Date)
    starts = candidates.select(
        "loan_id",
        "seq",
        pl.col("accrual_start").alias("event_on"),
        pl.lit(0, dtype=pl.Int64).alias("reduction_fen"),
    )
    events = late.join(
        candidates.select("loan_id", "seq", "accrual_start"), on=["loan_id", "seq"]
    ).select(
        "loan_id",
        "seq",
        # A payment inside the grace period lowers the basis from the first accruing day.
        pl.max_horizontal("paid_on", "accrual_start").alias("event_on"),
        "reduction_fen",
    )
    steps = (
        pl.concat([starts, events])
        .group_by("loan_id", "seq", "event_on")
        .agg(pl.col("reduction_fen").sum())
        .sort("loan_id", "seq", "event_on")
        .with_columns(
            pl.col("reduction_fen").cum_sum().over("loan_id", "seq").alias("reduced_fen"),
            pl.col("event_on").shift(-1).over("loan_id", "seq").alias("next_on"),
        )
        .join(candidates, on=["loan_id", "seq"])
        .with_columns(
            (pl.col("basis_at_due") - pl.col("reduced_fen")).clip(lower_bound=0).alias("basis_fen"),
            (
                pl.min_horizontal(
                    pl.col("next_on").fill_null(as_of_lit + pl.duration(days=1)),
                    as_of_lit + pl.duration(days=1),
                )
                - pl.col("event_on")
            )
            .dt.total_days()
            .clip(lower_bound=0)
            .alias("days"),
        )
        .with_columns(
            daily_penalty_expr(
                pl.col("basis_fen"), pl.col("penalty_rate_ppm"), pl.col("day_count_days")
            ).alias("daily_fen")
        )
    )
    return steps.group_by("loan_id", "seq").agg(
        (pl.col("days") * pl.col("daily_fen")).sum().alias("penalty_fen"),
        # The step in force on as_of is the last one whose interval reaches it.
        pl.when(
            (pl.col("event_on") <= as_of_lit)
            & (pl.col("days") > 0)
            & (pl.col("next_on").is_null() | (pl.col("next_on") > as_of_lit))
        )
        .then(pl.col("daily_fen"))
        .otherwise(0)
        .sum()
        .alias("penalty_today_fen"),
    )
