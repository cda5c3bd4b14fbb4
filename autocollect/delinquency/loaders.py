"""Frames for the engine, read straight from the database (column contracts: engine.frames)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import polars as pl

from autocollect.core.dbio import read_frame, temporary_ids
from autocollect.engine import frames
from autocollect.portfolio.models import Product

PPM = Decimal(1_000_000)
DAYS_IN_YEAR = {"ACT/360": 360, "ACT/365": 365}

INSTALLMENT_COLUMNS = (
    "loan_id, seq, due_on, principal_fen, interest_fen, paid_principal_fen, paid_interest_fen, "
    "paid_penalty_fen, penalty_fen"
)
INSTALLMENTS_WITH_STORED_PENALTY = {**frames.INSTALLMENTS, "stored_penalty_fen": pl.Int64()}


def load_loans() -> pl.DataFrame:
    return read_frame("SELECT id, product_id FROM portfolio_loan ORDER BY id", [], frames.LOANS)


def load_products() -> pl.DataFrame:
    rows = [
        {
            "product_id": p.pk,
            "penalty_rate_ppm": int(p.penalty_annual_rate * PPM),
            "penalty_basis": p.penalty_basis,
            "day_count_days": DAYS_IN_YEAR[p.day_count],
            "grace_days": p.grace_days,
            "tolerance_fen": p.tolerance_fen,
        }
        for p in Product.objects.all()
    ]
    return pl.DataFrame(rows, schema=dict(frames.PRODUCTS))


def load_installments(as_of: date) -> pl.DataFrame:
    """Installments due before ``as_of`` that still owe something or were paid after their due
    date: the only ones that can be late on ``as_of`` or carry penalty. Installments paid on
    time are settled for good and never read again; the two flags have partial indexes
    (``installment_owing``, ``installment_paid_late``), so the cost follows the delinquent part
    of the book, not its size."""
    sql = f"""
        SELECT {INSTALLMENT_COLUMNS} FROM portfolio_installment
        WHERE due_on < %s AND (owing OR paid_late)
    """  # noqa: S608 - fixed column list, values bound
    return read_frame(sql, [as_of], INSTALLMENTS_WITH_STORED_PENALTY)


def load_late_allocations(as_of: date) -> pl.DataFrame:
    sql = """
        SELECT i.loan_id, i.seq, a.component, a.amount_fen, p.paid_on
        FROM portfolio_allocation a
        JOIN portfolio_payment p ON p.id = a.payment_id
        JOIN portfolio_installment i ON i.id = a.installment_id
        WHERE a.is_late AND i.due_on < %s
    """
    return read_frame(sql, [as_of], frames.LATE_ALLOCATIONS)


def load_pauses() -> pl.DataFrame:
    return read_frame(
        "SELECT loan_id, start_on, end_on FROM delinquency_loanpause", [], frames.PAUSES
    )


def load_previous_state(as_of: date) -> pl.DataFrame:
    return read_frame(
        "SELECT loan_id, bucket FROM delinquency_dailysnapshot WHERE as_of = %s",
        [as_of - timedelta(days=1)],
        frames.PREVIOUS_STATE,
    )


PENDING_PROMISES = {**frames.PROMISES}


def load_pending_promises() -> pl.DataFrame:
    return read_frame(
        "SELECT id, loan_id, promised_on, due_on, amount_fen FROM cases_promise WHERE status = %s",
        ["pending"],
        frames.PROMISES,
    )


def load_promise_payments(as_of: date) -> pl.DataFrame:
    """Payments of loans with a pending promise, from the earliest such promise on."""
    sql = """
        SELECT p.loan_id, p.paid_on, p.amount_fen FROM portfolio_payment p
        JOIN (SELECT loan_id, MIN(promised_on) AS since FROM cases_promise
              WHERE status = %s GROUP BY loan_id) q ON q.loan_id = p.loan_id
        WHERE p.paid_on >= q.since AND p.paid_on <= %s
    """
    return read_frame(sql, ["pending", as_of], frames.PAYMENTS)


OUTSTANDING = {"loan_id": pl.Int64(), "outstanding_principal_fen": pl.Int64()}


def load_outstanding_principal(loan_ids: list[int], as_of: date) -> pl.DataFrame:
    """Principal not repaid as of ``as_of`` for the given loans (the delinquent ones): the
    loan amount less principal paid (``Loan.paid_principal_fen``), plus principal paid by
    payments dated after ``as_of``, which a catch-up date must not see yet."""
    if not loan_ids:
        return pl.DataFrame(schema=OUTSTANDING)
    with temporary_ids("_cycle_loans", loan_ids) as ids:
        loans = read_frame(
            f"""
            SELECT l.id, l.principal_fen - l.paid_principal_fen
            FROM portfolio_loan l JOIN {ids} t ON t.id = l.id
            """,  # noqa: S608 - temporary table name from code
            [],
            OUTSTANDING,
        )
    later = read_frame(
        """
        SELECT p.loan_id, SUM(a.amount_fen)
        FROM portfolio_payment p JOIN portfolio_allocation a ON a.payment_id = p.id
        WHERE p.paid_on > %s AND a.component = 'principal'
        GROUP BY p.loan_id
        """,
        [as_of],
        {"loan_id": pl.Int64(), "later_fen": pl.Int64()},
    )
    return loans.join(later, on="loan_id", how="left").select(
        "loan_id",
        (pl.col("outstanding_principal_fen") + pl.col("later_fen").fill_null(0)).alias(
            "outstanding_principal_fen"
        ),
    )
