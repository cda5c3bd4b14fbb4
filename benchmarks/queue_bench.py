"""Collector's queue page benchmark: ``GET /queue/`` with 100,000 open cases on PostgreSQL.

    .venv/bin/python benchmarks/queue_bench.py [--cases 100000] [--runs 50] [--database-url URL]
                                               [--reuse]

Setup (not timed) builds a scratch database ``autocollect_queue_bench`` (dropped and created
each run unless ``--reuse`` finds it filled) with the book of ``benchmarks/plan_bench.py``
(``build_tables``: one borrower, loan and open case per case, contacts, two overdue
installments, snapshots, about two contacts per case, flags, holds, promises) plus what the
queue reads: each loan's delinquency row (from the day's snapshot), 100 collectors with the
cases spread evenly over them (1 % of the book, 1,000 cases, is the measured collector's), the
day's plan and the day before's — per case one action: the first 70 of each collector's cases
by priority queued to them (a day's calls at capacity), the others sent to the outbox or over
capacity — open follow-ups on 5 % of the cases, due from three days ago to five days ahead, and
half of the book's pending promises (5 % of the cases) falling due on the day.

Timed: the Django test client, signed in as the collector, GETs ``/queue/`` ``--runs`` times
after three warm-up requests (the whole request: middleware, session, selectors, template).
Prints p50/p95/max in milliseconds, the number of SQL queries and the queue's size. The target
is p95 under 200 ms. The case page (``/cases/<id>/``: the account with the gate's answer for
each contact action) is timed the same way for information.

The book's date is 2026-03-16; the pages are asked at that date through the workbench's clock
seam (``AUTOCOLLECT_ALLOW_CLOCK_OVERRIDE``, set only in this process).
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import numpy as np
import polars as pl
import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.plan_bench import AS_OF, CREATED, _copy, build_tables

SCRATCH = "autocollect_queue_bench"
AGENTS = 100
DAILY_CALLS = 70
NOW = f"{AS_OF.isoformat()}T10:00:00+08:00"


def _plan(cases: pl.DataFrame, version_id: int, seed: int) -> pl.DataFrame:
    """One action per case for AS_OF and the day before: queued to the case's agent for the
    first DAILY_CALLS of each agent's cases by priority, else outbox or overflow."""
    rng = np.random.default_rng(seed)
    n = cases.height
    frames = []
    for day in (AS_OF - timedelta(days=1), AS_OF):
        priority = rng.integers(30, 95, n)
        frame = cases.with_columns(
            pl.Series("priority", priority),
            pl.Series("automated", rng.random(n) < 0.4),
        ).with_columns(
            pl.col("priority")
            .rank("ordinal", descending=True)
            .over(pl.when(pl.col("automated")).then(-1).otherwise(pl.col("agent_id")))
            .alias("rank")
        )
        queued = (~pl.col("automated")) & (pl.col("rank") <= DAILY_CALLS)
        frames.append(
            frame.select(
                pl.lit(day).alias("as_of"),
                pl.col("id").alias("case_id"),
                pl.col("loan_id").alias("borrower_id"),
                pl.lit(version_id).alias("version_id"),
                pl.lit("champion").alias("arm"),
                pl.lit("early").alias("segment"),
                pl.when(pl.col("automated"))
                .then(pl.lit("sms_d3"))
                .otherwise(pl.lit("call_d5"))
                .alias("step"),
                pl.lit("day").alias("reason"),
                pl.when(pl.col("automated"))
                .then(pl.lit("sms"))
                .otherwise(pl.lit("call"))
                .alias("channel"),
                pl.lit("").alias("template"),
                "priority",
                pl.when(pl.col("automated"))
                .then(pl.lit("sent_to_outbox"))
                .when(queued)
                .then(pl.lit("queued"))
                .otherwise(pl.lit("overflow"))
                .alias("status"),
                pl.lit("10:00:00").alias("local_time"),
                pl.lit(f"{day} 02:00:00+00").alias("planned_at"),
                pl.lit(f"{day} 02:00:00+00").alias("scheduled_at"),
                pl.lit(day).alias("valid_until"),
                pl.lit("[]").alias("gate_rules"),
                pl.when(queued).then(pl.col("agent_id")).otherwise(None).alias("agent_id"),
                pl.when(queued).then(pl.col("rank")).otherwise(None).alias("queue_rank"),
                pl.lit(6).alias("minutes"),
            )
        )
    return pl.concat(frames)


def _delinquency(snapshots: pl.DataFrame) -> pl.DataFrame:
    return snapshots.filter(pl.col("as_of") == AS_OF).select(
        "loan_id",
        "as_of",
        "dpd",
        "bucket",
        pl.lit(None, dtype=pl.Date).alias("oldest_due_on"),
        "overdue_principal_fen",
        "overdue_interest_fen",
        "overdue_penalty_fen",
        "overdue_total_fen",
        pl.lit(0).alias("penalty_today_fen"),
        "movement",
    )


def _follow_ups(cases: pl.DataFrame, seed: int) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    chosen = cases.filter(pl.Series(rng.random(cases.height) < 0.05))
    chosen = chosen.with_columns(pl.Series("offset", rng.integers(-3, 6, chosen.height)))
    return chosen.select(
        pl.col("id").alias("case_id"),
        (pl.lit(AS_OF) + pl.duration(days=pl.col("offset"))).alias("due_on"),
        "agent_id",
        pl.lit("bench").alias("created_by"),
        pl.lit(CREATED).alias("created_at"),
    )


def _seal(tables: dict[str, pl.DataFrame]) -> dict[str, pl.DataFrame]:
    """Personal data at rest as the application writes it (docs/privacy.md): every encrypted
    column of a table sealed, with its blind index and masked copy computed from the clear
    value. A column the book already wrote sealed (or a model without such fields) is left."""
    from types import SimpleNamespace

    from django.apps import apps

    from autocollect.core import crypto

    try:
        from autocollect.privacy.fields import derived_fields, encrypted_fields
    except ImportError:  # a tree without encryption at rest
        return tables
    models = {model._meta.db_table: model for model in apps.get_models()}
    for model, field in encrypted_fields():
        table = model._meta.db_table
        frame = tables.get(table)
        if frame is None or field.column not in frame.columns:
            continue
        derived = [
            f for f in derived_fields(models[table], field.name) if f.column not in frame.columns
        ]
        rows = [SimpleNamespace(**row) for row in frame.to_dicts()]
        columns = {
            f.column: [f.derive(row, getattr(row, field.column)) for row in rows]  # type: ignore[arg-type]
            for f in derived
        }
        sealed = [v if crypto.is_encrypted(v) else crypto.encrypt(v) for v in frame[field.column]]
        tables[table] = frame.with_columns(
            pl.Series(field.column, sealed), *(pl.Series(k, v) for k, v in columns.items())
        )
    return tables


def setup(server_url: str, n: int, reuse: bool) -> tuple[str, int]:
    base = server_url.rsplit("/", 1)[0]
    scratch_url = f"{base}/{SCRATCH}"
    with psycopg.connect(server_url, autocommit=True) as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [SCRATCH]).fetchone()
        if exists and not reuse:
            admin.execute(f"DROP DATABASE {SCRATCH} WITH (FORCE)")
            exists = None
        if not exists:
            admin.execute(f"CREATE DATABASE {SCRATCH}")
    os.environ["DATABASE_URL"] = scratch_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.default"
    os.environ["AUTOCOLLECT_DEBUG"] = "0"
    os.environ.setdefault("AUTOCOLLECT_VAR_DIR", tempfile.mkdtemp(prefix="queue-bench-"))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from autocollect.accounts.models import User
    from autocollect.cases.models import CollectionCase
    from autocollect.portfolio.models import Product
    from autocollect.strategy.models import Strategy, StrategyVersion

    call_command("migrate", verbosity=0)
    if CollectionCase.objects.exists():
        agent = User.objects.get(username="bench-agent-0")
        return scratch_url, agent.pk
    start = time.perf_counter()
    agents = [
        User.objects.create_user(
            username=f"bench-agent-{k}",
            collection_certified=True,
            collection_authorised=True,
        )
        for k in range(AGENTS)
    ]
    strategy = Strategy.objects.create(code="bench", name="bench")
    version = StrategyVersion.objects.create(
        strategy=strategy, version=1, definition={}, created_by="bench"
    )
    product = Product.objects.get(is_default=True)
    tables = build_tables(n, product.pk)
    ids = [a.pk for a in agents]
    cases = tables["cases_collectioncase"].with_columns(
        pl.Series("agent_id", [ids[i % AGENTS] for i in range(n)])
    )
    tables["cases_collectioncase"] = cases.rename({"agent_id": "assigned_agent_id"})
    tables["delinquency_loandelinquency"] = _delinquency(tables["delinquency_dailysnapshot"])
    tables["strategy_plannedaction"] = _plan(cases, version.pk, seed=11)
    tables["cases_followup"] = _follow_ups(cases, seed=13)
    # Half the pending promises fall due today (the book has them all three days ahead).
    tables["cases_promise"] = tables["cases_promise"].with_columns(
        pl.when((pl.col("status") == "pending") & ((pl.col("case_id") // 100) % 2 == 0))
        .then(pl.lit(AS_OF))
        .otherwise(pl.col("due_on"))
        .alias("due_on")
    )
    tables = _seal(tables)
    connection.close()
    with psycopg.connect(scratch_url) as conn:
        conn.execute("SET session_replication_role = replica")
        for table, frame in tables.items():
            _copy(conn, table, frame)
            conn.commit()
        with conn.cursor() as cur:
            for table in tables:
                if table == "delinquency_loandelinquency":
                    continue
                cur.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"
                )
        conn.commit()
    with psycopg.connect(scratch_url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    sizes = ", ".join(f"{t.split('_', 1)[1]} {f.height:,}" for t, f in tables.items())
    print(f"setup: {sizes} in {time.perf_counter() - start:.0f} s")
    return scratch_url, ids[0]


def _time(client: object, url: str, runs: int) -> tuple[list[float], int, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    get = client.get  # type: ignore[attr-defined]
    for _ in range(3):
        assert get(url).status_code == 200
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        response = get(url)
        timings.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200
    with CaptureQueriesContext(connection) as queries:
        response = get(url)
    return timings, len(queries.captured_queries), len(response.content)


def _report(label: str, timings: list[float], queries: int, extra: str) -> None:
    cuts = statistics.quantiles(timings, n=100, method="inclusive")
    print(
        f"{label}: p50 {cuts[49]:.1f} ms, p95 {cuts[94]:.1f} ms, max {max(timings):.1f} ms "
        f"over {len(timings)} runs; {queries} SQL queries; {extra}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres"),
        help="a PostgreSQL server URL; the scratch database is created beside it",
    )
    parser.add_argument("--reuse", action="store_true", help="keep a filled scratch database")
    args = parser.parse_args()
    _, agent_id = setup(args.database_url, args.cases, args.reuse)

    from django.conf import settings
    from django.test import Client

    from autocollect.accounts.models import User
    from autocollect.cases.models import CollectionCase
    from autocollect.workbench.selectors.queue import agent_queue

    settings.AUTOCOLLECT_ALLOW_CLOCK_OVERRIDE = True  # this process only: ask at AS_OF
    # The script library logs each script it withholds for a case; not what is measured here.
    logging.getLogger("autocollect.scripts").setLevel(logging.ERROR)
    agent = User.objects.get(pk=agent_id)
    queue = agent_queue(agent, today=AS_OF)
    open_cases = CollectionCase.objects.filter(status="open").count()
    mine = CollectionCase.objects.filter(assigned_agent=agent).count()
    print(
        f"book: {open_cases:,} open cases; the collector has {mine:,} of them; today's queue "
        f"{queue.counts.total} cases (planned {queue.counts.planned}, follow-ups "
        f"{queue.counts.follow_ups}, promises {queue.counts.promises}, on hold "
        f"{queue.counts.on_hold})"
    )
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(agent)
    client.cookies["autocollect_now"] = NOW

    timings, queries, size = _time(client, "/queue/", args.runs)
    _report("GET /queue/", timings, queries, f"{size / 1024:.0f} KiB")
    target = "met" if statistics.quantiles(timings, n=100)[94] < 200 else "MISSED"
    print(f"target p95 < 200 ms: {target}")
    case_id = queue.items[0].case_id
    timings, queries, size = _time(client, f"/cases/{case_id}/", max(args.runs // 2, 10))
    _report(f"GET /cases/{case_id}/", timings, queries, f"{size / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
