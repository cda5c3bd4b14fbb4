"""Delinquency buckets (M0…M7+) as a configurable table of DPD ranges."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl


@dataclass(frozen=True, slots=True)
class Bucket:
    name: str
    min_dpd: int
    max_dpd: int | None  # None: open-ended


DEFAULT_BUCKETS: tuple[Bucket, ...] = (
    Bucket("M0", 0, 0),
    Bucket("M1", 1, 30),
    Bucket("M2", 31, 60),
    Bucket("M3", 61, 90),
    Bucket("M4", 91, 120),
    Bucket("M5", 121, 150),
    Bucket("M6", 151, 180),
    Bucket("M7+", 181, None),
)


def validate_buckets(buckets: Sequence[Bucket]) -> tuple[Bucket, ...]:
    """Buckets must start at DPD 0, be contiguous, and only the last may be open-ended."""
    if not buckets:
        raise ValueError("the bucket table is empty")
    if buckets[0].min_dpd != 0:
        raise ValueError(f"the first bucket ({buckets[0].name}) must start at DPD 0")
    for prev, cur in itertools.pairwise(buckets):
        if prev.max_dpd is None:
            raise ValueError(f"only the last bucket may be open-ended, not {prev.name}")
        if cur.min_dpd != prev.max_dpd + 1:
            raise ValueError(f"{cur.name} must start at DPD {prev.max_dpd + 1}, not {cur.min_dpd}")
    if buckets[-1].max_dpd is not None:
        raise ValueError(f"the last bucket ({buckets[-1].name}) must be open-ended")
    names = [b.name for b in buckets]
    if len(set(names)) != len(names):
        raise ValueError("bucket names must be unique")
    return tuple(buckets)


def bucket_expr(dpd: pl.Expr, buckets: Sequence[Bucket]) -> pl.Expr:
    """The bucket name for a DPD expression."""
    expr: pl.Expr | None = None
    for bucket in reversed(buckets):
        if expr is None:
            expr = pl.lit(bucket.name)
        else:
            assert bucket.max_dpd is not None
            expr = pl.when(dpd <= bucket.max_dpd).then(pl.lit(bucket.name)).otherwise(expr)
    assert expr is not None
    return expr


def bucket_rank_expr(bucket: pl.Expr, buckets: Sequence[Bucket]) -> pl.Expr:
    """0 for the first bucket, 1 for the next…; unknown names (e.g. none yesterday) rank 0."""
    return bucket.replace_strict(
        [b.name for b in buckets], list(range(len(buckets))), default=0, return_dtype=pl.Int64
    )
