"""End-to-end part of ``cycle_bench.py``: the synthetic book in a scratch PostgreSQL database,
then one timed ``cycle_run_date`` (load → engine → write-back, one transaction).

Setup (not timed) writes every table the cycle reads with COPY, ids assigned here: borrowers,
loans, 36 installments per loan, one payment per paid installment and its two allocations
(interest, principal), marking those paid after the due date as late. The scratch database
``autocollect_cycle_bench`` is dropped and created each run unless ``--reuse`` finds it filled.
"""

from __future__ import annotations

import os
import time
from datetime import date

import polars as pl
import psycopg

SCRATCH = "autocollect_cycle_bench"
CHUNK = 2_000_000


def _copy(conn: psycopg.Connection, table: str, frame: pl.DataFrame) -> None:
    columns = ", ".join(frame.columns)
    with conn.cursor() as cur:
        for start in range(0, frame.height, CHUNK):
            data = frame.slice(start, CHUNK).write_csv(include_header=False)
            with cur.copy(f"COPY {table} ({columns}) FROM STDIN (FORMAT CSV)") as copy:
                copy.write(data)


def _tables(book: dict[str, pl.DataFrame]) -> dict[str, pl.DataFrame]:
    n = book["loans"].height
    loans = book["loans"]
    inst = (
        book["installments"]
        .with_row_index("id", offset=1)
        .with_columns(pl.col("id").cast(pl.Int64))
    )
    late = (
        book["late_allocations"]
        .filter(pl.col("component") == "principal")
        .select("loan_id", "seq", pl.col("paid_on").alias("late_paid_on"))
    )
    paid = (
        inst.filter(pl.col("paid_principal_fen") > 0)
        .join(late, on=["loan_id", "seq"], how="left")
        .with_columns(
            pl.coalesce("late_paid_on", "due_on").alias("paid_on"),
            pl.col("late_paid_on").is_not_null().alias("is_late"),
        )
        .with_row_index("payment_id", offset=1)
        .with_columns(pl.col("payment_id").cast(pl.Int64))
    )
    created = pl.lit("2026-01-01 00:00:00+00")
    borrowers = pl.DataFrame({"id": loans["loan_id"]}).select(
        "id",
        pl.format("借款人{}", pl.col("id")).alias("name"),
        pl.format("B{}", pl.col("id")).alias("national_id"),
        pl.lit("M").alias("gender"),
        pl.lit("1985-01-01").alias("birth_date"),
        created.alias("created_at"),
    )
    # National IDs as the model field and the importer store them (docs/privacy.md).
    from autocollect.core import crypto
    from autocollect.core.masking import mask_national_id

    ids = borrowers.get_column("national_id").to_list()
    borrowers = borrowers.with_columns(
        pl.Series("national_id", [crypto.encrypt(v) for v in ids], dtype=pl.String),
        pl.Series("national_id_index", [crypto.national_id_index(v) for v in ids]),
        pl.Series("national_id_masked", [mask_national_id(v) for v in ids]),
    )
    sums = inst.group_by("loan_id").agg(pl.col("principal_fen", "paid_principal_fen").sum())
    loan_rows = loans.join(sums, on="loan_id", how="left").select(
        pl.col("loan_id").alias("id"),
        pl.format("HT{}", pl.col("loan_id")).alias("contract_no"),
        pl.col("loan_id").alias("borrower_id"),
        "product_id",
        "principal_fen",
        pl.lit("0.068000").alias("annual_rate"),
        pl.lit(36).alias("term_months"),
        pl.lit("equal_installment").alias("repayment_method"),
        pl.lit("2024-01-01").alias("disbursed_on"),
        pl.lit("2024-02-01").alias("first_due_on"),
        pl.lit("").alias("dealer"),
        pl.lit("").alias("branch"),
        pl.lit("广东省").alias("province"),
        pl.lit("深圳市").alias("city"),
        pl.lit("Asia/Shanghai").alias("timezone"),
        pl.lit("active").alias("status"),
        pl.lit(0).alias("credit_fen"),
        pl.lit("").alias("source_hash"),
        created.alias("created_at"),
    )
    late_keys = late.select("loan_id", "seq", pl.lit(True).alias("paid_late"))
    installments = inst.join(late_keys, on=["loan_id", "seq"], how="left").select(
        "id",
        "loan_id",
        "seq",
        "due_on",
        "principal_fen",
        "interest_fen",
        pl.lit(0).alias("penalty_fen"),
        "paid_principal_fen",
        "paid_interest_fen",
        "paid_penalty_fen",
        pl.col("paid_late").fill_null(False),
    )
    payments = paid.select(
        pl.col("payment_id").alias("id"),
        pl.format("P{}", pl.col("payment_id")).alias("payment_ref"),
        "loan_id",
        "paid_on",
        (pl.col("paid_principal_fen") + pl.col("paid_interest_fen")).alias("amount_fen"),
        pl.lit("银行代扣").alias("channel"),
        pl.lit(0).alias("credit_fen"),
        pl.lit("").alias("source_hash"),
        created.alias("created_at"),
    )
    allocations = pl.concat(
        [
            paid.select(
                "payment_id",
                pl.col("id").alias("installment_id"),
                pl.lit(component).alias("component"),
                pl.col(column).alias("amount_fen"),
                "is_late",
            )
            for component, column in (
                ("interest", "paid_interest_fen"),
                ("principal", "paid_principal_fen"),
            )
        ]
    )
    print(
        f"setup: {n:,} loans, {installments.height:,} installments, {payments.height:,} payments, "
        f"{allocations.height:,} allocations"
    )
    return {
        "portfolio_borrower": borrowers,
        "portfolio_loan": loan_rows,
        "portfolio_installment": installments,
        "portfolio_payment": payments,
        "portfolio_allocation": allocations,
    }


def end_to_end(
    book: dict[str, pl.DataFrame], server_url: str, as_of: date, reuse: bool = False
) -> None:
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
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    from autocollect.core.money import format_yuan
    from autocollect.delinquency.services import cycle_run_date
    from autocollect.portfolio.models import Loan

    if not Loan.objects.exists():
        start = time.perf_counter()
        tables = _tables(book)
        with psycopg.connect(scratch_url) as conn:
            # Bench setup only: the rows are consistent by construction, so skip the foreign-key
            # triggers (deferred to commit, they would queue tens of millions of checks).
            conn.execute("SET session_replication_role = replica")
            for table, frame in tables.items():
                t = time.perf_counter()
                _copy(conn, table, frame)
                conn.commit()
                print(f"setup: {table} {frame.height:,} rows in {time.perf_counter() - t:.1f} s")
            with conn.cursor() as cur:
                for table in tables:
                    cur.execute(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT MAX(id) FROM {table}))"
                    )
            conn.commit()
        with psycopg.connect(scratch_url, autocommit=True) as conn:
            conn.execute("VACUUM ANALYZE")
        print(f"setup: done in {time.perf_counter() - start:.0f} s")
    connection.close()
    from autocollect.cases.models import CollectionCase
    from autocollect.delinquency.models import CycleRun, DailySnapshot, LoanDelinquency

    # A true first run: no state, snapshots or cases from an earlier benchmark run.
    for model in (CycleRun, DailySnapshot, LoanDelinquency, CollectionCase):
        model.objects.all()._raw_delete(model.objects.db)
    for label in ("first run", "rerun (forced)"):
        CycleRun.objects.filter(as_of=as_of).delete()
        start = time.perf_counter()
        stats = cycle_run_date(as_of=as_of)
        seconds = time.perf_counter() - start
        print(
            f"end to end ({label}): {seconds:.2f} s on PostgreSQL — {stats['loans']:,} loans, "
            f"{stats['delinquent']:,} delinquent, cases opened {stats['cases_opened']:,}, "
            f"penalty accrued today {format_yuan(stats['penalty_accrued_fen'])}"
        )
        print(f"  phases (s): {stats['phases']}")
