"""Delinquency for an as-of date: DPD, bucket, overdue amounts, penalty and movement per loan.

Definitions (docs/delinquency.md):

* An installment is *late* when its due date is before the as-of date and what remains unpaid of
  its principal and interest is above the product's tolerance (default ¥1.00).
* DPD is the as-of date minus the due date of the oldest late installment, less the days of any
  pause between them; 0 when nothing is late.
* The bucket comes from the bucket table applied to the DPD, except that a DPD within the
  product's grace days counts as current (M0) for bucketing; the DPD itself is still reported.
* Movement compares today's bucket with yesterday's: new, stayed, rolled_forward, rolled_back,
  cured, or current (current both days).

"What has been paid" is what was paid on or before the as-of date: allocations paid after it are
taken back out, so that a past date can be recomputed (catch-up) exactly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import polars as pl

from autocollect.engine import frames
from autocollect.engine.buckets import DEFAULT_BUCKETS, Bucket, bucket_expr, bucket_rank_expr
from autocollect.engine.penalties import accrue_penalties

_KEY = ["loan_id", "seq"]


@dataclass(frozen=True, slots=True)
class DelinquencyResult:
    loans: pl.DataFrame  # frames.LOAN_STATE, one row per loan
    installment_penalties: pl.DataFrame  # frames.INSTALLMENT_PENALTY, installments with penalty


def _installment_key() -> pl.Expr:
    # One integer per installment (terms are at most 360 months, so seq < 1000).
    return pl.col("loan_id") * 1000 + pl.col("seq")


def _component_sums(late: pl.LazyFrame, prefix: str) -> pl.LazyFrame:
    return late.group_by(_KEY).agg(
        *(
            pl.col("amount_fen").filter(pl.col("component") == c).sum().alias(f"{prefix}_{c}_fen")
            for c in ("principal", "interest", "penalty")
        )
    )


def _relevant_installments(
    installments: pl.LazyFrame, late: pl.LazyFrame, *, as_of: date
) -> pl.LazyFrame:
    """Only installments already due can be late; of those, only the ones unpaid now or paid
    after their due date can have been unpaid on the as-of date or carry penalty. This one pass
    over the whole schedule is the only full scan: everything after it works on the few
    installments it keeps."""
    as_of_lit = pl.lit(as_of, dtype=pl.Date)
    late_keys = late.select(_installment_key().alias("key")).unique().collect().to_series()
    return (
        installments.select(list(frames.INSTALLMENTS))
        .filter(
            (pl.col("due_on") < as_of_lit)
            & (
                (
                    pl.col("principal_fen") + pl.col("interest_fen")
                    > pl.col("paid_principal_fen") + pl.col("paid_interest_fen")
                )
                | _installment_key().is_in(late_keys.implode())
            )
        )
        .collect()
        .lazy()
    )


def _installment_amounts(
    relevant: pl.LazyFrame,
    late: pl.LazyFrame,
    loans: pl.LazyFrame,
    products: pl.LazyFrame,
    *,
    as_of: date,
) -> pl.LazyFrame:
    """Each relevant installment with its product's terms, what was paid on it by the as-of date
    and by its due date, what is unpaid, the penalty basis at the due date and the first day
    penalty accrues."""
    as_of_lit = pl.lit(as_of, dtype=pl.Date)
    after = _component_sums(late.filter(pl.col("paid_on") > as_of_lit), "after")
    late_sums = _component_sums(late, "late")
    product_of_loan = (
        loans.select(list(frames.LOANS))
        .join(relevant.select("loan_id").unique(), on="loan_id", how="semi")
        .join(products.select(list(frames.PRODUCTS)), on="product_id", how="left")
    )
    return (
        relevant.join(after, on=_KEY, how="left")
        .join(late_sums, on=_KEY, how="left")
        .with_columns(pl.col(pl.Int64).fill_null(0))
        .join(product_of_loan, on="loan_id", how="inner")
        .with_columns(
            # Paid on or before the as-of date.
            (pl.col("paid_principal_fen") - pl.col("after_principal_fen")).alias("paid_p"),
            (pl.col("paid_interest_fen") - pl.col("after_interest_fen")).alias("paid_i"),
            (pl.col("paid_penalty_fen") - pl.col("after_penalty_fen")).alias("paid_pen"),
            # Paid on or before the due date.
            (pl.col("paid_principal_fen") - pl.col("late_principal_fen")).alias("paid_p_at_due"),
            (pl.col("paid_interest_fen") - pl.col("late_interest_fen")).alias("paid_i_at_due"),
        )
        .with_columns(
            (pl.col("principal_fen") - pl.col("paid_p")).alias("unpaid_p"),
            (pl.col("interest_fen") - pl.col("paid_i")).alias("unpaid_i"),
            pl.when(pl.col("penalty_basis") == "overdue_installment")
            .then(
                pl.col("principal_fen")
                + pl.col("interest_fen")
                - pl.col("paid_p_at_due")
                - pl.col("paid_i_at_due")
            )
            .otherwise(pl.col("principal_fen") - pl.col("paid_p_at_due"))
            .alias("basis_at_due"),
            (pl.col("due_on") + pl.duration(days=1) * (pl.col("grace_days") + 1)).alias(
                "accrual_start"
            ),
        )
    )


def _with_penalties(inst: pl.LazyFrame, late: pl.LazyFrame, *, as_of: date) -> pl.LazyFrame:
    """``penalty_cum_fen`` (accrued to the as-of date) and ``penalty_today_fen`` per
    installment: the installments with a basis whose accrual has started, reduced by the
    payments on the basis made after the due date."""
    as_of_lit = pl.lit(as_of, dtype=pl.Date)
    candidates = inst.filter(
        (pl.col("basis_at_due") > 0) & (pl.col("accrual_start") <= as_of_lit)
    ).select(
        "loan_id",
        "seq",
        "accrual_start",
        "basis_at_due",
        "penalty_rate_ppm",
        "day_count_days",
        "penalty_basis",
    )
    basis_payments = (
        late.filter(pl.col("paid_on") <= as_of_lit)
        .join(candidates.select("loan_id", "seq", "penalty_basis"), on=_KEY)
        .filter(
            (pl.col("component") == "principal")
            | (
                (pl.col("component") == "interest")
                & (pl.col("penalty_basis") == "overdue_installment")
            )
        )
        .group_by("loan_id", "seq", "paid_on")
        .agg(pl.col("amount_fen").sum().alias("reduction_fen"))
    )
    penalties = accrue_penalties(candidates, basis_payments, as_of=as_of)
    return inst.join(
        penalties.rename({"penalty_fen": "penalty_cum_fen"}), on=_KEY, how="left"
    ).with_columns(
        pl.col("penalty_cum_fen").fill_null(0),
        pl.col("penalty_today_fen").fill_null(0),
    )


def _loan_amounts(inst: pl.LazyFrame) -> pl.LazyFrame:
    """Per loan: overdue principal, interest and penalty, today's penalty, grace days."""
    return inst.group_by("loan_id").agg(
        pl.col("unpaid_p").clip(lower_bound=0).sum().alias("overdue_principal_fen"),
        pl.col("unpaid_i").clip(lower_bound=0).sum().alias("overdue_interest_fen"),
        (pl.col("penalty_cum_fen") - pl.col("paid_pen"))
        .clip(lower_bound=0)
        .sum()
        .alias("overdue_penalty_fen"),
        pl.col("penalty_today_fen").sum(),
        pl.col("grace_days").first(),
    )


def _oldest_late(inst: pl.LazyFrame) -> pl.LazyFrame:
    """Per loan with a late installment (unpaid above the tolerance): the oldest due date."""
    late_inst = inst.filter(pl.col("unpaid_p") + pl.col("unpaid_i") > pl.col("tolerance_fen"))
    return late_inst.group_by("loan_id").agg(pl.col("due_on").min().alias("oldest_due_on"))


def _paused_days(pauses: pl.LazyFrame, oldest: pl.LazyFrame, *, as_of: date) -> pl.LazyFrame:
    """Per late loan: the days of its pauses after the oldest due date, up to the as-of date."""
    as_of_lit = pl.lit(as_of, dtype=pl.Date)
    return (
        pauses.select(list(frames.PAUSES))
        .join(oldest, on="loan_id")
        .select(
            "loan_id",
            (
                (
                    pl.min_horizontal("end_on", as_of_lit)
                    - pl.max_horizontal("start_on", pl.col("oldest_due_on") + pl.duration(days=1))
                ).dt.total_days()
                + 1
            )
            .clip(lower_bound=0)
            .alias("paused_days"),
        )
        .group_by("loan_id")
        .agg(pl.col("paused_days").sum())
    )


def _touched_state(
    touched: pl.LazyFrame,
    previous: pl.LazyFrame,
    amounts: pl.LazyFrame,
    oldest: pl.LazyFrame,
    paused: pl.LazyFrame,
    *,
    as_of: date,
    buckets: Sequence[Bucket],
) -> pl.LazyFrame:
    """``LOAN_STATE`` of the ``touched`` loans: DPD, bucket, overdue amounts and movement."""
    as_of_lit = pl.lit(as_of, dtype=pl.Date)
    return (
        touched.join(amounts, on="loan_id", how="left")
        .join(oldest, on="loan_id", how="left")
        .join(paused, on="loan_id", how="left")
        .join(
            previous.select("loan_id", pl.col("bucket").alias("previous_bucket")),
            on="loan_id",
            how="left",
        )
        .with_columns(
            pl.col(
                "overdue_principal_fen",
                "overdue_interest_fen",
                "overdue_penalty_fen",
                "penalty_today_fen",
                "grace_days",
                "paused_days",
            ).fill_null(0),
        )
        .with_columns(
            pl.when(pl.col("oldest_due_on").is_null())
            .then(0)
            .otherwise(
                (as_of_lit - pl.col("oldest_due_on")).dt.total_days() - pl.col("paused_days")
            )
            .clip(lower_bound=0)
            .cast(pl.Int64)
            .alias("dpd"),
        )
        .with_columns(
            bucket_expr(
                pl.when(pl.col("dpd") > pl.col("grace_days")).then(pl.col("dpd")).otherwise(0),
                buckets,
            ).alias("bucket"),
            (
                pl.col("overdue_principal_fen")
                + pl.col("overdue_interest_fen")
                + pl.col("overdue_penalty_fen")
            ).alias("overdue_total_fen"),
        )
        .with_columns(_movement(buckets))
        .select(list(frames.LOAN_STATE))
    )


def _every_loan(
    loans: pl.LazyFrame, touched: pl.LazyFrame, buckets: Sequence[Bucket]
) -> pl.LazyFrame:
    """One row per loan, by id: the touched loans' state, every other loan current."""
    return (
        loans.select("loan_id")
        .join(touched, on="loan_id", how="left")
        .with_columns(
            pl.col(
                "dpd",
                "overdue_principal_fen",
                "overdue_interest_fen",
                "overdue_penalty_fen",
                "overdue_total_fen",
                "penalty_today_fen",
            ).fill_null(0),
            pl.col("bucket").fill_null(pl.lit(buckets[0].name)),
            pl.col("movement").fill_null(pl.lit("current")),
        )
        .sort("loan_id")
    )


def compute_delinquency(
    *,
    installments: pl.LazyFrame,
    late_allocations: pl.LazyFrame,
    loans: pl.LazyFrame,
    products: pl.LazyFrame,
    pauses: pl.LazyFrame,
    previous: pl.LazyFrame,
    as_of: date,
    buckets: Sequence[Bucket] = DEFAULT_BUCKETS,
) -> DelinquencyResult:
    for frame, contract, name in (
        (installments, frames.INSTALLMENTS, "installments"),
        (late_allocations, frames.LATE_ALLOCATIONS, "late_allocations"),
        (loans, frames.LOANS, "loans"),
        (products, frames.PRODUCTS, "products"),
        (pauses, frames.PAUSES, "pauses"),
        (previous, frames.PREVIOUS_STATE, "previous"),
    ):
        frames.require(frame, contract, name)

    late = late_allocations.select(list(frames.LATE_ALLOCATIONS)).collect().lazy()
    relevant = _relevant_installments(installments, late, as_of=as_of)
    inst = _installment_amounts(relevant, late, loans, products, as_of=as_of)
    inst = _with_penalties(inst, late, as_of=as_of)
    oldest = _oldest_late(inst)
    # Loans with a due installment unpaid or paid late, or delinquent yesterday: the only ones
    # whose state can differ from "current, nothing overdue".
    touched = pl.concat([relevant.select("loan_id").unique(), previous.select("loan_id")]).unique()
    touched = _touched_state(
        touched,
        previous,
        _loan_amounts(inst),
        oldest,
        _paused_days(pauses, oldest, as_of=as_of),
        as_of=as_of,
        buckets=buckets,
    )
    installment_penalties = (
        inst.filter(pl.col("penalty_cum_fen") > 0)
        .select("loan_id", "seq", pl.col("penalty_cum_fen").alias("penalty_fen"))
        .sort(_KEY)
    )
    loans_df, penalties_df = pl.collect_all(
        [_every_loan(loans, touched, buckets), installment_penalties]
    )
    return DelinquencyResult(loans=loans_df, installment_penalties=penalties_df)


def _movement(buckets: Sequence[Bucket]) -> pl.Expr:
    today = bucket_rank_expr(pl.col("bucket"), buckets)
    yesterday = bucket_rank_expr(pl.col("previous_bucket").fill_null(buckets[0].name), buckets)
    return (
        pl.when((yesterday == 0) & (today == 0))
        .then(pl.lit("current"))
        .when(yesterday == 0)
        .then(pl.lit("new"))
        .when(today == 0)
        .then(pl.lit("cured"))
        .when(today > yesterday)
        .then(pl.lit("rolled_forward"))
        .when(today < yesterday)
        .then(pl.lit("rolled_back"))
        .otherwise(pl.lit("stayed"))
        .alias("movement")
    )
