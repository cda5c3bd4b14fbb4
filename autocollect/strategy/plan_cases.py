"""The cases the planner plans for, read in bulk for all open cases at once
(``core.dbio.read_frame``).

* ``load_open_cases``: the cases open on the date with that date's loan state (from the daily
  snapshot, so that a past date plans from its own state), product, region, time zone.
* ``load_flags``/``load_triggers``: case flags active at the plan, plus the two derived from
  promises (``broken_promise``, ``promise_pending``); triggers that fired for the date.
* ``load_message_facts``: what a message about a loan says.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import polars as pl

from autocollect.core.dbio import read_frame, temporary_ids
from autocollect.strategy.plan_db import OpenScope, day_start, us, us_sql

OPEN_CASES = {
    "case_id": pl.Int64(),
    "loan_id": pl.Int64(),
    "borrower_id": pl.Int64(),
    "opened_on": pl.Date(),
    "dpd": pl.Int64(),
    "bucket": pl.String(),
    "overdue_total_fen": pl.Int64(),
    "movement": pl.String(),
    "product": pl.String(),
    "region": pl.String(),
    "timezone": pl.String(),
}


def load_open_cases(as_of: date) -> pl.DataFrame:
    """Cases open on ``as_of`` (opened by then, not closed by then) with that date's snapshot."""
    sql = """
        SELECT c.id, c.loan_id, l.borrower_id, c.opened_on, s.dpd, s.bucket,
               s.overdue_total_fen, s.movement, p.code, l.province, l.timezone
        FROM cases_collectioncase c
        JOIN delinquency_dailysnapshot s ON s.loan_id = c.loan_id AND s.as_of = %s
        JOIN portfolio_loan l ON l.id = c.loan_id
        JOIN portfolio_product p ON p.id = l.product_id
        WHERE c.opened_on <= %s AND (c.status = %s OR c.closed_on > %s)
    """
    return read_frame(sql, [as_of, as_of, "open", as_of], OPEN_CASES).sort("case_id")


def load_flags(sc: OpenScope, as_of: date, known_at: datetime) -> pl.DataFrame:
    """(case_id, flags: list) for open cases with any flag active at ``known_at``, plus the
    promise flags as of ``as_of``: ``broken_promise`` when the case's latest promise was judged
    broken, ``promise_pending`` while it awaits judgement."""
    known = us(known_at)
    set_flags = read_frame(
        f"""
        SELECT f.case_id, f.kind FROM cases_caseflag f
        JOIN {sc.open_cases} t ON t.case_id = f.case_id
        WHERE {us_sql("f.set_at")} <= %s
          AND (f.cleared_at IS NULL OR {us_sql("f.cleared_at")} > %s)
        """,  # noqa: S608 - temporary table name from code
        [known, known],
        {"case_id": pl.Int64(), "flag": pl.String()},
    )
    promises = read_frame(
        f"""
        SELECT p.case_id, p.id, p.promised_on, p.status, p.evaluated_on
        FROM cases_promise p JOIN {sc.open_cases} t ON t.case_id = p.case_id
        WHERE p.promised_on <= %s
        """,  # noqa: S608 - temporary table name from code
        [as_of],
        {
            "case_id": pl.Int64(),
            "promise_id": pl.Int64(),
            "promised_on": pl.Date(),
            "status": pl.String(),
            "evaluated_on": pl.Date(),
        },
    )
    latest = (
        promises.sort("case_id", "promised_on", "promise_id")
        .unique("case_id", keep="last")
        .with_columns(
            decided=pl.col("evaluated_on").is_not_null()
            & (pl.col("evaluated_on") <= pl.lit(as_of, dtype=pl.Date))
        )
    )
    promise_flags = pl.concat(
        [
            latest.filter(pl.col("decided") & (pl.col("status") == "broken")).select(
                "case_id", pl.lit("broken_promise").alias("flag")
            ),
            latest.filter(~pl.col("decided")).select(
                "case_id", pl.lit("promise_pending").alias("flag")
            ),
        ]
    )
    return (
        pl.concat([set_flags, promise_flags])
        .unique()
        .group_by("case_id")
        .agg(pl.col("flag").sort().alias("flags"))
    )


def load_triggers(sc: OpenScope, as_of: date, cases: pl.DataFrame) -> pl.DataFrame:
    """(case_id, trigger) that fired for ``as_of``: promises judged broken or partly kept that
    day, repayment arrangements judged broken that day, promises falling due that day, a roll
    to a worse bucket that day, the case opening that day, and flags set on the previous
    business day (the day's work feeds the next plan).
    """
    judged = read_frame(
        f"""
        SELECT p.case_id, p.status FROM cases_promise p
        JOIN {sc.open_cases} t ON t.case_id = p.case_id
        WHERE p.evaluated_on = %s AND p.status IN (%s, %s)
        """,  # noqa: S608 - temporary table name from code
        [as_of, "broken", "partly_kept"],
        {"case_id": pl.Int64(), "status": pl.String()},
    ).select(
        "case_id",
        pl.when(pl.col("status") == "broken")
        .then(pl.lit("promise_broken"))
        .otherwise(pl.lit("promise_partly_kept"))
        .alias("trigger"),
    )
    # The cycle of ``as_of`` judges arrangements (arrangements_evaluate) and closes a broken
    # one with that date.
    broken_arrangements = read_frame(
        f"""
        SELECT DISTINCT a.case_id FROM arrangements_arrangement a
        JOIN {sc.open_cases} t ON t.case_id = a.case_id
        WHERE a.state = %s AND a.closed_on = %s
        """,  # noqa: S608 - temporary table name from code
        ["broken", as_of],
        {"case_id": pl.Int64()},
    ).select("case_id", pl.lit("arrangement_broken").alias("trigger"))
    due = read_frame(
        f"""
        SELECT p.case_id FROM cases_promise p
        JOIN {sc.open_cases} t ON t.case_id = p.case_id
        WHERE p.due_on = %s AND p.promised_on <= %s
          AND (p.status = %s OR p.evaluated_on >= %s)
        """,  # noqa: S608 - temporary table name from code
        [as_of, as_of, "pending", as_of],
        {"case_id": pl.Int64()},
    ).select("case_id", pl.lit("promise_due").alias("trigger"))
    lo, hi = us(day_start(as_of - timedelta(days=1))), us(day_start(as_of))
    flagged = read_frame(
        f"""
        SELECT f.case_id, f.kind FROM cases_caseflag f
        JOIN {sc.open_cases} t ON t.case_id = f.case_id
        WHERE {us_sql("f.set_at")} >= %s AND {us_sql("f.set_at")} < %s
        """,  # noqa: S608 - temporary table name from code
        [lo, hi],
        {"case_id": pl.Int64(), "trigger": pl.String()},
    )
    rolled = cases.filter(pl.col("movement") == "rolled_forward").select(
        "case_id", pl.lit("rolled_forward").alias("trigger")
    )
    opened = cases.filter(pl.col("opened_on") == pl.lit(as_of, dtype=pl.Date)).select(
        "case_id", pl.lit("case_opened").alias("trigger")
    )
    return (
        pl.concat([judged, broken_arrangements, due, flagged, rolled, opened])
        .unique()
        .sort("case_id", "trigger")
    )


MESSAGE_FACTS = {
    "loan_id": pl.Int64(),
    "contract_no": pl.String(),
    "borrower_name": pl.String(),
    "oldest_due_on": pl.Date(),
}


def load_message_facts(loan_ids: list[int], as_of: date) -> pl.DataFrame:
    """What a message about a loan says: its contract number, the borrower's name and the due
    date of the oldest installment due before ``as_of`` still owing (null when none)."""
    if not loan_ids:
        return pl.DataFrame(schema=MESSAGE_FACTS)
    with temporary_ids("_plan_message_loans", loan_ids) as ids:
        return read_frame(
            f"""
            SELECT l.id, l.contract_no, b.name, d.oldest
            FROM portfolio_loan l JOIN {ids} t ON t.id = l.id
            JOIN portfolio_borrower b ON b.id = l.borrower_id
            LEFT JOIN (
                SELECT i.loan_id, MIN(i.due_on) AS oldest FROM portfolio_installment i
                JOIN {ids} t2 ON t2.id = i.loan_id
                WHERE i.owing AND i.due_on < %s GROUP BY i.loan_id
            ) d ON d.loan_id = l.id
            """,  # noqa: S608 - temporary table name from code
            [as_of],
            MESSAGE_FACTS,
        )
