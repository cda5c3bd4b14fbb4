"""Daily-cycle benchmark: engine-only on in-memory frames, and end to end on PostgreSQL.

    .venv/bin/python benchmarks/cycle_bench.py --loans 1000000
    .venv/bin/python benchmarks/cycle_bench.py --loans 1000000 --database-url postgres://postgres@127.0.0.1:5432/postgres

The synthetic book: N loans of 36 monthly installments, disbursed over the 36 months before the
as-of date (so about half the installments are due), 96% paying on time, 2% paying some
installments late, 2% that stopped paying 1–12 installments ago. Prints seconds and peak memory.
The end-to-end part loads that book into a scratch database ``autocollect_cycle_bench`` with
COPY (not timed), then times ``cycle_run_date`` (load → engine → write-back, one transaction).
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from autocollect.engine import frames
from autocollect.engine.delinquency import compute_delinquency

AS_OF = date(2026, 11, 1)
TERM = 36


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def synthetic_book(n: int, seed: int = 7) -> dict[str, pl.DataFrame]:
    rng = np.random.default_rng(seed)
    loan_id = np.arange(1, n + 1, dtype=np.int64)
    # First due date: a day of month 1–28 in one of the 36 months before the as-of date.
    months_back = rng.integers(0, 36, n)
    day = rng.integers(1, 29, n)
    first_due = (
        pl.DataFrame({"m": months_back, "d": day})
        .select(
            pl.date(AS_OF.year, AS_OF.month, 1).dt.offset_by(pl.format("-{}mo", pl.col("m")))
            + pl.duration(days=pl.col("d") - 1)
        )
        .to_series()
    )
    behaviour = rng.random(n)
    stopped_after = rng.integers(1, 13, n)
    principal = (rng.integers(40_000, 300_000, n) * 100 // TERM).astype(np.int64)
    interest = (principal * rng.integers(30, 150, n) // 1000).astype(np.int64)
    loans = pl.DataFrame({"loan_id": loan_id, "product_id": np.ones(n, dtype=np.int64)})
    inst = (
        pl.DataFrame(
            {
                "loan_id": loan_id,
                "first_due": first_due,
                "behaviour": behaviour,
                "stopped_after": stopped_after,
                "p": principal,
                "i": interest,
            }
        )
        .with_columns(pl.int_ranges(0, TERM).alias("k"))
        .explode("k")
        .with_columns(
            (pl.col("k") + 1).alias("seq"),
            pl.col("first_due").dt.offset_by(pl.format("{}mo", pl.col("k"))).alias("due_on"),
        )
    )
    due_count = (
        inst.filter(pl.col("due_on") < AS_OF).group_by("loan_id").agg(pl.len().alias("n_due"))
    )
    inst = inst.join(due_count, on="loan_id", how="left").with_columns(pl.col("n_due").fill_null(0))
    stopped = (pl.col("behaviour") > 0.98) & (
        pl.col("seq") > pl.col("n_due") - pl.col("stopped_after")
    )
    late = (pl.col("behaviour") > 0.96) & (pl.col("behaviour") <= 0.98) & (pl.col("seq") % 4 == 0)
    paid = (pl.col("due_on") < AS_OF) & ~stopped
    inst = inst.with_columns(
        pl.when(paid).then(pl.col("p")).otherwise(0).alias("paid_principal_fen"),
        pl.when(paid).then(pl.col("i")).otherwise(0).alias("paid_interest_fen"),
        late.and_(paid).alias("late"),
    )
    installments = inst.select(
        pl.col("loan_id"),
        pl.col("seq").cast(pl.Int64),
        "due_on",
        pl.col("p").alias("principal_fen"),
        pl.col("i").alias("interest_fen"),
        "paid_principal_fen",
        "paid_interest_fen",
        pl.lit(0, dtype=pl.Int64).alias("paid_penalty_fen"),
    )
    late_rows = inst.filter(pl.col("late")).with_columns(
        (pl.col("due_on") + pl.duration(days=pl.col("seq") % 20 + 1)).alias("paid_on")
    )
    late_allocations = pl.concat(
        [
            late_rows.select(
                "loan_id",
                pl.col("seq").cast(pl.Int64),
                pl.lit(c).alias("component"),
                pl.col(src).alias("amount_fen"),
                "paid_on",
            )
            for c, src in (("principal", "p"), ("interest", "i"))
        ]
    ).filter(pl.col("paid_on") <= AS_OF)
    products = pl.DataFrame(
        [
            {
                "product_id": 1,
                "penalty_rate_ppm": 180_000,
                "penalty_basis": "overdue_principal",
                "day_count_days": 360,
                "grace_days": 3,
                "tolerance_fen": 100,
            }
        ],
        schema=dict(frames.PRODUCTS),
    )
    return {
        "loans": loans,
        "installments": installments,
        "late_allocations": late_allocations,
        "products": products,
    }


def engine_only(book: dict[str, pl.DataFrame], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        result = compute_delinquency(
            installments=book["installments"].lazy(),
            late_allocations=book["late_allocations"].lazy(),
            loans=book["loans"].lazy(),
            products=book["products"].lazy(),
            pauses=pl.LazyFrame(schema=dict(frames.PAUSES)),
            previous=pl.LazyFrame(schema=dict(frames.PREVIOUS_STATE)),
            as_of=AS_OF,
        )
        best = min(best, time.perf_counter() - start)
    delinquent = result.loans.filter(pl.col("bucket") != "M0")
    print(
        f"engine: {book['loans'].height:,} loans, {book['installments'].height:,} installments, "
        f"{book['late_allocations'].height:,} late allocations → {delinquent.height:,} delinquent "
        f"({delinquent.height / book['loans'].height:.2%}); best of {repeat}: {best:.2f} s"
    )
    print("engine: by bucket", dict(delinquent.group_by("bucket").len().sort("bucket").iter_rows()))
    return best


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--loans", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--database-url", help="PostgreSQL server for the end-to-end run (its maintenance DB)"
    )
    parser.add_argument(
        "--reuse", action="store_true", help="keep the scratch database if it is already filled"
    )
    args = parser.parse_args()
    start = time.perf_counter()
    book = synthetic_book(args.loans)
    print(
        f"generated in {time.perf_counter() - start:.1f} s; peak memory so far {peak_mb():.0f} MB"
    )
    engine_only(book, args.repeat)
    print(f"engine: peak memory {peak_mb():.0f} MB (process, including the generated book)")
    if args.database_url:
        from benchmarks.cycle_bench_db import end_to_end

        end_to_end(book, args.database_url, AS_OF, reuse=args.reuse)
        print(f"end to end: peak memory {peak_mb():.0f} MB (process)")


if __name__ == "__main__":
    os.environ.setdefault("POLARS_MAX_THREADS", str(os.cpu_count() or 2))
    main()
