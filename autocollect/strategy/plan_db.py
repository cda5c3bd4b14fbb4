"""The planner's database plumbing: instants as integer microseconds, and temporary tables
that scope every loader to the cases (or borrowers) of the plan.

Times travel as integer microseconds since the epoch (exact on both databases) and become UTC
``Datetime`` columns with ``to_utc``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import polars as pl
from django.db import connection

from autocollect.core.dbio import is_postgres, temporary_ids

BUSINESS_ZONE = ZoneInfo("Asia/Shanghai")
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def us(instant: datetime) -> int:
    """Microseconds since the epoch of an aware instant."""
    delta = instant - EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def day_start(day: date, zone: ZoneInfo = BUSINESS_ZONE) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=zone).astimezone(UTC)


def us_sql(column: str) -> str:
    """SQL for a timestamp column as integer microseconds since the epoch (NULL stays NULL)."""
    if is_postgres():
        return f"CAST(EXTRACT(EPOCH FROM {column}) * 1000000 AS BIGINT)"
    # Django stores SQLite datetimes as UTC text "YYYY-MM-DD HH:MM:SS[.ffffff]".
    return (
        f"(CAST(strftime('%%s', {column}) AS INTEGER) * 1000000 + "
        f"CASE WHEN length({column}) > 19 THEN CAST(substr({column}, 21, 6) AS INTEGER) "
        "ELSE 0 END)"
    )


def time_us_sql(column: str) -> str:
    """SQL for a time-of-day column as microseconds since midnight."""
    if is_postgres():
        return f"CAST(EXTRACT(EPOCH FROM {column}) * 1000000 AS BIGINT)"
    return (
        f"((CAST(substr({column}, 1, 2) AS INTEGER) * 3600 + "
        f"CAST(substr({column}, 4, 2) AS INTEGER) * 60 + "
        f"CAST(substr({column}, 7, 2) AS INTEGER)) * 1000000 + "
        f"CASE WHEN length({column}) > 8 THEN CAST(substr({column}, 10, 6) AS INTEGER) "
        "ELSE 0 END)"
    )


def to_utc(*columns: str) -> list[pl.Expr]:
    return [pl.col(c).cast(pl.Datetime("us")).dt.replace_time_zone("UTC") for c in columns]


def to_time(*columns: str) -> list[pl.Expr]:
    return [(pl.col(c) * 1000).cast(pl.Time) for c in columns]


# --- scope ---------------------------------------------------------------------------------

OPEN_ON = "c.opened_on <= %s AND (c.status = 'open' OR c.closed_on > %s)"


@dataclass(frozen=True)
class OpenScope:
    """A temporary table of the cases open on the date (``open_cases``: case_id)."""

    open_cases: str


@dataclass(frozen=True)
class ReachScope:
    """Temporary tables of the borrowers the plan may contact (``borrowers``: id) and every
    case of theirs, open or not (``cases``: case_id, borrower_id): the gate's limits are per
    debtor, so the history of all their cases counts."""

    borrowers: str
    cases: str


def _drop(*tables: str) -> None:
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"DROP TABLE IF EXISTS {table}")


def _analyze(*tables: str) -> None:
    if is_postgres():
        with connection.cursor() as cursor:
            for table in tables:
                cursor.execute(f"ANALYZE {table}")


@contextmanager
def open_scope(as_of: date) -> Iterator[OpenScope]:
    """Built in the database (no round trip); dropped on exit."""
    table = "_plan_open"
    _drop(table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            CREATE TEMPORARY TABLE {table} AS
            SELECT c.id AS case_id FROM cases_collectioncase c WHERE {OPEN_ON}
            """,  # noqa: S608 - fixed SQL
            [as_of, as_of],
        )
        cursor.execute(f"CREATE INDEX {table}_case ON {table} (case_id)")
    _analyze(table)
    try:
        yield OpenScope(open_cases=table)
    finally:
        _drop(table)


@contextmanager
def reach_scope(borrower_ids: list[int]) -> Iterator[ReachScope]:
    cases = "_plan_cases"
    with temporary_ids("_plan_borrowers", borrower_ids) as borrowers:
        _drop(cases)
        with connection.cursor() as cursor:
            cursor.execute(
                f"""
                CREATE TEMPORARY TABLE {cases} AS
                SELECT c.id AS case_id, l.borrower_id
                FROM cases_collectioncase c JOIN portfolio_loan l ON l.id = c.loan_id
                JOIN {borrowers} b ON b.id = l.borrower_id
                """  # noqa: S608 - fixed SQL
            )
            cursor.execute(f"CREATE INDEX {cases}_case ON {cases} (case_id)")
        _analyze(cases)
        try:
            yield ReachScope(borrowers=borrowers, cases=cases)
        finally:
            _drop(cases)
