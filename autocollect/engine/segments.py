"""Segmentation and due steps: which segment each case is in, and what its path says today.

Pure Polars (no Django). The strategy app turns a validated definition into the ``SEGMENT_RULES``
and ``STEPS`` frames (``autocollect.strategy.definitions``); several strategy versions travel in
the same frames, keyed by ``version_id`` (champion and challenger), and each case names the
version it is planned with.

* ``assign_segments``: each case goes to the first segment of its version, in definition order,
  whose conditions all hold. A condition left out (null) holds for every case; a case with no
  value for a field that a segment conditions on (no risk band yet) does not match it.
* ``due_steps``: the steps of the case's path due on the as-of date. The case day is
  ``as_of - opened_on + 1`` (1 on the day the case opens). A ``day`` step is due on that case
  day, and with ``every`` again every that many days (through ``until``); a ``trigger`` step is
  due when its trigger fired for the case on the as-of date (``TRIGGERS`` frame).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

import polars as pl

from autocollect.engine import frames

STRINGS = pl.List(pl.String())

# One row per open case.
SEGMENT_CASES: Mapping[str, pl.DataType] = {
    "case_id": pl.Int64(),
    "version_id": pl.Int64(),
    "opened_on": pl.Date(),
    "dpd": pl.Int64(),
    "bucket": pl.String(),
    "overdue_total_fen": pl.Int64(),
    "product": pl.String(),
    "region": pl.String(),
    "risk_band": pl.String(),
    "flags": STRINGS,
}

# One row per segment, ``order`` ascending within a version; null conditions hold always.
SEGMENT_RULES: Mapping[str, pl.DataType] = {
    "version_id": pl.Int64(),
    "order": pl.Int64(),
    "segment_id": pl.String(),
    "path_id": pl.String(),
    "buckets": STRINGS,
    "dpd_min": pl.Int64(),
    "dpd_max": pl.Int64(),
    "overdue_min_fen": pl.Int64(),
    "overdue_max_fen": pl.Int64(),
    "products": STRINGS,
    "regions": STRINGS,
    "risk_bands": STRINGS,
    "flags_present": STRINGS,
    "flags_absent": STRINGS,
}

SEGMENTED: Mapping[str, pl.DataType] = {
    "case_id": pl.Int64(),
    "segment_id": pl.String(),
    "path_id": pl.String(),
}

STEPS: Mapping[str, pl.DataType] = {
    "version_id": pl.Int64(),
    "path_id": pl.String(),
    "step_id": pl.String(),
    "channel": pl.String(),
    "template": pl.String(),
    "queue": pl.String(),
    "priority": pl.Int64(),
    "minutes": pl.Int64(),
    "local_time": pl.Time(),
    "day": pl.Int64(),
    "every": pl.Int64(),
    "until": pl.Int64(),
    "trigger": pl.String(),
    "valid_days": pl.Int64(),
}

# Triggers that fired for a case on the as-of date.
TRIGGERS: Mapping[str, pl.DataType] = {
    "case_id": pl.Int64(),
    "trigger": pl.String(),
}

# The cases to find due steps for: their version, path and opening date.
PATH_CASES: Mapping[str, pl.DataType] = {
    "case_id": pl.Int64(),
    "version_id": pl.Int64(),
    "path_id": pl.String(),
    "opened_on": pl.Date(),
}

DUE: Mapping[str, pl.DataType] = {
    "case_id": pl.Int64(),
    "step_id": pl.String(),
    "channel": pl.String(),
    "template": pl.String(),
    "queue": pl.String(),
    "priority": pl.Int64(),
    "minutes": pl.Int64(),
    "local_time": pl.Time(),
    "valid_days": pl.Int64(),
    # "day" for a day step, else the trigger's name.
    "reason": pl.String(),
}


def _in_list(values: str, value: str) -> pl.Expr:
    """The list condition holds: no list, or the value is in it (a null value is in none)."""
    return pl.col(values).is_null() | pl.col(values).list.contains(pl.col(value)).fill_null(False)


def _at_least(bound: str, value: str) -> pl.Expr:
    return pl.col(bound).is_null() | (pl.col(value) >= pl.col(bound))


def _at_most(bound: str, value: str) -> pl.Expr:
    return pl.col(bound).is_null() | (pl.col(value) <= pl.col(bound))


def segment_matches() -> pl.Expr:
    """Whether a (case, segment) row satisfies every condition of the segment."""
    flags = pl.col("flags").fill_null(pl.lit([], dtype=STRINGS))
    present = pl.col("flags_present").fill_null(pl.lit([], dtype=STRINGS))
    absent = pl.col("flags_absent").fill_null(pl.lit([], dtype=STRINGS))
    return (
        _in_list("buckets", "bucket")
        & _at_least("dpd_min", "dpd")
        & _at_most("dpd_max", "dpd")
        & _at_least("overdue_min_fen", "overdue_total_fen")
        & _at_most("overdue_max_fen", "overdue_total_fen")
        & _in_list("products", "product")
        & _in_list("regions", "region")
        & _in_list("risk_bands", "risk_band")
        & (present.list.set_difference(flags).list.len() == 0)
        & (absent.list.set_intersection(flags).list.len() == 0)
    )


def assign_segments(cases: pl.DataFrame, rules: pl.DataFrame) -> pl.DataFrame:
    """``SEGMENTED``: every case with its first matching segment and path (null when none)."""
    frames.require(cases, SEGMENT_CASES, "cases")
    frames.require(rules, SEGMENT_RULES, "segment rules")
    candidates = (
        cases.select(list(SEGMENT_CASES))
        .join(rules.select(list(SEGMENT_RULES)), on="version_id", how="inner")
        .filter(segment_matches())
        .select("case_id", "order", "segment_id", "path_id")
        .sort("case_id", "order")
        .unique("case_id", keep="first")
        .select("case_id", "segment_id", "path_id")
    )
    return (
        cases.select("case_id")
        .join(candidates, on="case_id", how="left")
        .select(list(SEGMENTED))
        .cast(pl.Schema(SEGMENTED))
    )


def due_steps(
    cases: pl.DataFrame, steps: pl.DataFrame, triggers: pl.DataFrame, *, as_of: date
) -> pl.DataFrame:
    """``DUE``: the steps due on ``as_of`` for each case's path, sorted by case and step."""
    frames.require(cases, PATH_CASES, "cases")
    frames.require(steps, STEPS, "steps")
    frames.require(triggers, TRIGGERS, "triggers")
    with_day = cases.select(list(PATH_CASES)).with_columns(
        ((pl.lit(as_of, dtype=pl.Date) - pl.col("opened_on")).dt.total_days() + 1)
        .cast(pl.Int64)
        .alias("case_day")
    )
    joined = with_day.join(steps.select(list(STEPS)), on=["version_id", "path_id"], how="inner")
    since = pl.col("case_day") - pl.col("day")
    by_day = joined.filter(
        pl.col("day").is_not_null()
        & (
            (pl.col("case_day") == pl.col("day"))
            | (
                pl.col("every").is_not_null()
                & (since >= 0)
                & (since % pl.col("every") == 0)
                & (pl.col("until").is_null() | (pl.col("case_day") <= pl.col("until")))
            )
        )
    ).with_columns(pl.lit("day").alias("reason"))
    fired = triggers.select(list(TRIGGERS)).unique()
    by_trigger = joined.filter(pl.col("trigger").is_not_null()).join(
        fired, on=["case_id", "trigger"], how="semi"
    )
    by_trigger = by_trigger.with_columns(pl.col("trigger").alias("reason"))
    columns = list(DUE)
    return (
        pl.concat([by_day.select(columns), by_trigger.select(columns)])
        .cast(pl.Schema(DUE))
        .sort("case_id", "step_id")
    )
