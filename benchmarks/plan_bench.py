"""Daily planner benchmark: ``plan_run`` for 100,000 open cases on PostgreSQL.

    .venv/bin/python benchmarks/plan_bench.py [--cases 100000] [--database-url URL] [--reuse]
                                              [--render-processes N]

Setup (not timed) builds a scratch database ``autocollect_plan_bench`` (dropped and created
each run unless ``--reuse`` finds it filled): the shipped templates and default strategy (its
challenger on 10 % of cases), three teams (320 agents × 420 minutes), and with COPY: one
borrower and loan per case (94 % Asia/Shanghai, 4 % America/New_York, 2 % Asia/Urumqi),
their mobiles (60 % with an e-mail, all with an address), two overdue installments each,
the open cases (case ages skewed young like a real book: exponential, mean 40 days, capped at
360), the daily snapshots and cycle runs of the date and the day before, about two contacts
per case over the last 20 days (calls, robot calls and texts, mostly unanswered), 1 %
complaint holds, 1 % SMS opt-outs, 2 % lost contact, 1 % hardship, 0.5 % vehicle risk, 5 %
pending promises and 2 % promises judged broken on the date. Then the day before is planned
(untimed), so that the timed date finds what a day in steady state finds: arms already drawn
except for the day's new cases, yesterday's overflow and blocked actions to carry.

Timed: ``plan_run`` (one transaction: load, segment, due steps, gate, queues, outbox with every
text rendered and content-checked, write, commit), then the same date again (a re-run replaces
the date's plan; no message is written twice). Prints seconds, the plan's figures and phases.
``--render-processes 0`` renders the texts in the planning process only.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import polars as pl
import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

SCRATCH = "autocollect_plan_bench"
AS_OF = date(2026, 3, 16)
CHUNK = 1_000_000
ZONES = ["Asia/Shanghai", "America/New_York", "Asia/Urumqi"]
ZONE_SHARE = [0.94, 0.04, 0.02]
CREATED = "2026-01-01 00:00:00+00"


def _copy(conn: psycopg.Connection, table: str, frame: pl.DataFrame) -> None:
    columns = ", ".join(f'"{c}"' for c in frame.columns)
    with conn.cursor() as cur:
        for start in range(0, frame.height, CHUNK):
            data = frame.slice(start, CHUNK).write_csv(include_header=False, null_value="\\N")
            with cur.copy(f"COPY {table} ({columns}) FROM STDIN (FORMAT CSV, NULL '\\N')") as copy:
                copy.write(data)


def _bucket(dpd: pl.Expr) -> pl.Expr:
    names = ["M1", "M2", "M3", "M4", "M5", "M6"]
    index = ((dpd - 1) // 30).clip(upper_bound=len(names))
    return pl.lit([*names, "M7+"]).list.get(index)


def _seal(
    frame: pl.DataFrame, column: str, index: str, purpose: str, masked: str, mask
) -> pl.DataFrame:
    """``column`` encrypted, with its blind index and masked copy, as the model fields and the
    importer store them (docs/privacy.md)."""
    from autocollect.core import crypto

    rows = frame.to_dicts()
    values = frame.get_column(column).to_list()
    return frame.with_columns(
        pl.Series(column, [crypto.encrypt(v) for v in values], dtype=pl.String),
        pl.Series(index, [crypto.blind_index(v, purpose) for v in values], dtype=pl.String),
        pl.Series(masked, [mask(r, v) for r, v in zip(rows, values, strict=True)], dtype=pl.String),
    )


def build_tables(n: int, product_id: int, seed: int = 7) -> dict[str, pl.DataFrame]:
    rng = np.random.default_rng(seed)
    ids = np.arange(1, n + 1, dtype=np.int64)
    age = np.clip(rng.exponential(40, n).astype(np.int64) + 1, 1, 360)
    zone = rng.choice(ZONES, n, p=ZONE_SHARE)
    base = pl.DataFrame({"id": ids, "age": age, "zone": zone}).with_columns(
        (pl.lit(AS_OF) - pl.duration(days=pl.col("age") - 1)).alias("opened_on"),
        (pl.col("age") + 3).alias("dpd"),
        (pl.lit(300_000) + pl.col("age") * 1_000).alias("overdue_total_fen"),
    )
    borrowers = base.select(
        "id",
        pl.format("借款人{}", pl.col("id")).alias("name"),
        pl.format("B{}", pl.col("id")).alias("national_id"),
        pl.lit("M").alias("gender"),
        pl.lit("1985-01-01").alias("birth_date"),
        pl.lit(CREATED).alias("created_at"),
    )
    loans = base.select(
        "id",
        pl.format("HT{}", pl.col("id")).alias("contract_no"),
        pl.col("id").alias("borrower_id"),
        pl.lit(product_id).alias("product_id"),
        pl.lit(10_000_000).alias("principal_fen"),
        pl.lit("0.068000").alias("annual_rate"),
        pl.lit(36).alias("term_months"),
        pl.lit("equal_installment").alias("repayment_method"),
        pl.lit("2024-01-01").alias("disbursed_on"),
        pl.lit("2024-02-01").alias("first_due_on"),
        pl.lit("").alias("dealer"),
        pl.lit("").alias("branch"),
        pl.lit("广东省").alias("province"),
        pl.lit("深圳市").alias("city"),
        pl.col("zone").alias("timezone"),
        pl.lit("active").alias("status"),
        pl.lit(0).alias("credit_fen"),
        pl.lit("").alias("source_hash"),
        pl.lit(CREATED).alias("created_at"),
    )
    has_email = rng.random(n) < 0.6
    opted = rng.random(n) < 0.01
    mobiles = base.select(
        pl.col("id").alias("borrower_id"),
        pl.lit("mobile").alias("kind"),
        pl.format("+86138{}", pl.col("id").cast(pl.String).str.zfill(8)).alias("value"),
        pl.Series("opted", opted).alias("opted"),
    ).with_columns(
        pl.when(pl.col("opted")).then(pl.lit('["sms"]')).otherwise(pl.lit("[]")).alias("opt")
    )
    emails = base.filter(pl.Series(has_email)).select(
        pl.col("id").alias("borrower_id"),
        pl.lit("email").alias("kind"),
        pl.format("b{}@example.cn", pl.col("id")).alias("value"),
        pl.lit(False).alias("opted"),
        pl.lit("[]").alias("opt"),
    )
    addresses = base.select(
        pl.col("id").alias("borrower_id"),
        pl.lit("address").alias("kind"),
        pl.format("广东省深圳市南山区科技路{}号", pl.col("id")).alias("value"),
        pl.lit(False).alias("opted"),
        pl.lit("[]").alias("opt"),
    )
    contacts = pl.concat([mobiles, emails, addresses]).select(
        "borrower_id",
        "kind",
        "value",
        pl.lit("borrower").alias("owner"),
        pl.lit("").alias("owner_name"),
        pl.lit("").alias("relationship"),
        pl.lit("valid").alias("status"),
        pl.col("opt").alias("opted_out_channels"),
        pl.lit(CREATED).alias("created_at"),
    )
    installments = pl.concat(
        [
            base.select(
                pl.col("id").alias("loan_id"),
                pl.lit(seq).alias("seq"),
                (pl.col("opened_on") - pl.duration(days=4 - 30 * (seq - 1))).alias("due_on"),
                pl.lit(250_000).alias("principal_fen"),
                pl.lit(50_000).alias("interest_fen"),
                pl.lit(0).alias("penalty_fen"),
                pl.lit(0).alias("paid_principal_fen"),
                pl.lit(0).alias("paid_interest_fen"),
                pl.lit(0).alias("paid_penalty_fen"),
                pl.lit(False).alias("paid_late"),
            )
            for seq in (1, 2)
        ]
    )
    cases = base.select(
        "id",
        pl.col("id").alias("loan_id"),
        pl.lit("open").alias("status"),
        "opened_on",
        pl.lit(4).alias("opened_dpd"),
        pl.lit("M1").alias("opened_bucket"),
        pl.lit("").alias("close_reason"),
    )
    movement = rng.choice(["stayed", "rolled_forward"], n, p=[0.97, 0.03])
    snapshots = base.select(
        pl.lit(AS_OF).alias("as_of"),
        pl.col("id").alias("loan_id"),
        "dpd",
        _bucket(pl.col("dpd")).alias("bucket"),
        (pl.col("overdue_total_fen") - 60_000).alias("overdue_principal_fen"),
        pl.lit(50_000).alias("overdue_interest_fen"),
        pl.lit(10_000).alias("overdue_penalty_fen"),
        "overdue_total_fen",
        pl.lit(9_000_000).alias("outstanding_principal_fen"),
        pl.Series("movement", movement),
    )
    yesterday = (
        snapshots.join(base.select(pl.col("id").alias("loan_id"), "age"), on="loan_id")
        .filter(pl.col("age") > 1)
        .select(
            pl.lit(AS_OF - timedelta(days=1)).alias("as_of"),
            "loan_id",
            pl.col("dpd") - 1,
            _bucket(pl.col("dpd") - 1).alias("bucket"),
            "overdue_principal_fen",
            "overdue_interest_fen",
            "overdue_penalty_fen",
            "overdue_total_fen",
            "outstanding_principal_fen",
            pl.lit("stayed").alias("movement"),
        )
    )
    snapshots = pl.concat([snapshots, yesterday])
    k = 2 * n
    case_of = rng.integers(1, n + 1, k)
    when = np.datetime64(f"{AS_OF - timedelta(days=20)}T01:00:00", "us") + rng.integers(
        0, 20 * 86_400, k
    ).astype("timedelta64[s]").astype("timedelta64[us]")
    channel = rng.choice(["call", "robot_call", "sms"], k, p=[0.5, 0.3, 0.2])
    outcome = np.where(
        channel == "sms",
        "delivered",
        rng.choice(
            ["no_answer", "answered", "refused", "wrong_number"], k, p=[0.7, 0.25, 0.04, 0.01]
        ),
    )
    interactions = pl.DataFrame(
        {"case_id": case_of, "at": when, "channel": channel, "outcome": outcome}
    ).select(
        pl.col("at").dt.replace_time_zone("UTC").dt.strftime("%Y-%m-%d %H:%M:%S+00"),
        "channel",
        pl.lit("borrower").alias("party"),
        pl.format("+86138{}", pl.col("case_id").cast(pl.String).str.zfill(8)).alias("number"),
        "outcome",
        pl.lit("").alias("notes"),
        pl.lit(CREATED).alias("created_at"),
        "case_id",
    )

    def sample(share: float) -> pl.Series:
        return pl.Series(rng.random(n) < share)

    set_at = f"{AS_OF - timedelta(days=10)} 02:00:00+00"
    flags = pl.concat(
        [
            base.filter(sample(share)).select(
                pl.lit(kind).alias("kind"),
                pl.lit(set_at).alias("set_at"),
                pl.lit("bench").alias("set_by"),
                pl.lit("").alias("note"),
                pl.col("id").alias("case_id"),
            )
            for kind, share in (
                ("lost_contact", 0.02),
                ("hardship_claimed", 0.01),
                ("vehicle_risk", 0.005),
            )
        ]
    )
    holds = base.filter(sample(0.01)).select(
        pl.lit("complaint").alias("reason"),
        pl.lit(set_at).alias("placed_at"),
        pl.lit("bench").alias("placed_by"),
        pl.lit("").alias("released_by"),
        pl.lit("").alias("note"),
        pl.col("id").alias("case_id"),
    )
    pending = base.filter(sample(0.05)).select(
        pl.lit(AS_OF - timedelta(days=2)).alias("promised_on"),
        pl.lit(AS_OF + timedelta(days=3)).alias("due_on"),
        pl.lit("pending").alias("status"),
        pl.lit(None, dtype=pl.Date).alias("evaluated_on"),
        pl.col("id").alias("case_id"),
    )
    broken = base.filter(sample(0.02)).select(
        pl.lit(AS_OF - timedelta(days=6)).alias("promised_on"),
        pl.lit(AS_OF - timedelta(days=2)).alias("due_on"),
        pl.lit("broken").alias("status"),
        pl.lit(AS_OF).alias("evaluated_on"),
        pl.col("id").alias("case_id"),
    )
    promises = pl.concat([pending, broken]).select(
        "promised_on",
        "due_on",
        pl.lit(300_000).alias("amount_fen"),
        "status",
        pl.lit(0).alias("paid_fen"),
        pl.lit(0).alias("paid_share_bp"),
        "evaluated_on",
        pl.lit("bench").alias("created_by"),
        pl.lit(CREATED).alias("created_at"),
        "case_id",
        pl.col("case_id").alias("loan_id"),
    )
    from autocollect.core.masking import mask_national_id
    from autocollect.privacy.fields import mask_channel_value, mask_contact_value

    borrowers = _seal(
        borrowers,
        "national_id",
        "national_id_index",
        "national_id",
        "national_id_masked",
        lambda row, v: mask_national_id(v),
    )
    contacts = _seal(
        contacts, "value", "value_index", "contact", "masked",
        lambda row, v: mask_contact_value(row["kind"], v),
    )  # fmt: skip
    interactions = _seal(
        interactions, "number", "number_index", "contact", "number_masked",
        lambda row, v: mask_channel_value(row["channel"], v),
    )  # fmt: skip
    return {
        "portfolio_borrower": borrowers,
        "portfolio_loan": loans,
        "portfolio_contactpoint": contacts,
        "portfolio_installment": installments,
        "cases_collectioncase": cases,
        "delinquency_dailysnapshot": snapshots,
        "cases_interaction": interactions,
        "cases_caseflag": flags,
        "compliance_contacthold": holds,
        "cases_promise": promises,
    }


def _staff() -> None:
    from autocollect.accounts.models import Team, User, WorkQueue

    teams = {
        "早期组": (["early_calls", "m2_calls", "promise_follow_up"], 200),
        "后期组": (["late_calls", "hardship", "skip_trace", "field_visits"], 100),
        "组长与法务": (["team_lead_review", "legal_review"], 20),
    }
    for name, (queues, size) in teams.items():
        team = Team.objects.create(name=name, minutes_per_agent=420)
        agents = [
            User(
                username=f"{name}-{k}",
                collection_certified=True,
                collection_authorised=True,
            )
            for k in range(size)
        ]
        User.objects.bulk_create(agents)
        team.agents.set(User.objects.filter(username__startswith=f"{name}-"))
        WorkQueue.objects.filter(code__in=queues).update(team=team)


def setup(server_url: str, n: int, reuse: bool) -> str:
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
    # Huey's queue file goes to a scratch folder, not the developer's var/.
    os.environ.setdefault("AUTOCOLLECT_VAR_DIR", tempfile.mkdtemp(prefix="plan-bench-"))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from autocollect.cases.models import CollectionCase
    from autocollect.channels.services import template_load_defaults
    from autocollect.delinquency.models import CycleRun
    from autocollect.portfolio.models import Product
    from autocollect.strategy.services import strategy_load_file

    call_command("migrate", verbosity=0)
    if CollectionCase.objects.exists():
        return scratch_url
    start = time.perf_counter()
    template_load_defaults(actor="bench")
    strategy_load_file(actor="bench")
    _staff()
    product = Product.objects.get(is_default=True)
    tables = build_tables(n, product.pk)
    connection.close()
    with psycopg.connect(scratch_url) as conn:
        # Bench setup only: rows are consistent by construction; skip the FK triggers.
        conn.execute("SET session_replication_role = replica")
        for table, frame in tables.items():
            _copy(conn, table, frame)
            conn.commit()
        with conn.cursor() as cur:
            for table in tables:
                cur.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"
                )
        conn.commit()
    from django.utils import timezone

    for day in (AS_OF - timedelta(days=1), AS_OF):
        CycleRun.objects.create(
            as_of=day, started_at=timezone.now(), finished_at=timezone.now(), stats={}
        )
    connection.close()
    with psycopg.connect(scratch_url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    sizes = ", ".join(f"{t.split('_', 1)[1]} {f.height:,}" for t, f in tables.items())
    print(f"setup: {sizes} in {time.perf_counter() - start:.0f} s")
    return scratch_url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres"),
        help="a PostgreSQL server URL; the scratch database is created beside it",
    )
    parser.add_argument("--reuse", action="store_true", help="keep a filled scratch database")
    parser.add_argument(
        "--render-processes",
        type=int,
        default=None,
        help="worker processes rendering the messages (default: the setting, min(2, CPUs))",
    )
    args = parser.parse_args()
    setup(args.database_url, args.cases, args.reuse)
    if args.render_processes is not None:
        from django.conf import settings

        settings.AUTOCOLLECT = {
            **settings.AUTOCOLLECT,
            "PLAN_RENDER_PROCESSES": args.render_processes,
        }

    from autocollect.channels.models import OutboxMessage
    from autocollect.strategy.models import ArmAssignment, PlannedAction, PlanRun
    from autocollect.strategy.services import plan_run

    # A reused database starts from "never planned": the first run writes every message.
    PlannedAction.objects.all().delete()
    PlanRun.objects.all().delete()
    ArmAssignment.objects.all().delete()
    OutboxMessage.objects.filter(idempotency_key__startswith="plan:").delete()
    # The day before, untimed: today's plan then finds what a day in steady state finds (arms
    # already assigned except for today's new cases; yesterday's overflow carried in).
    start = time.perf_counter()
    previous = plan_run(as_of=AS_OF - timedelta(days=1))
    print(
        f"setup: plan of the day before ({previous['actions']:,} actions, overflow "
        f"{previous['overflow']:,}) in {time.perf_counter() - start:.1f} s"
    )

    for label in ("first run", "re-run of the same date"):
        before = OutboxMessage.objects.count()
        start = time.perf_counter()
        stats = plan_run(as_of=AS_OF)
        seconds = time.perf_counter() - start
        added = OutboxMessage.objects.count() - before
        print(
            f"plan_run ({label}): {seconds:.2f} s on PostgreSQL — {stats['cases']:,} open cases, "
            f"{stats['actions']:,} actions, outbox {stats['outbox']:,} (new rows {added:,}), "
            f"blocked {stats['blocked']:,}, rescheduled {stats['rescheduled']:,}, "
            f"overflow {stats['overflow']:,}"
        )
        print(f"  by channel {stats['by_channel']}")
        print(f"  phases {stats['phases']}")


if __name__ == "__main__":
    main()
