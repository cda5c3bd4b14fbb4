"""Fast bulk writes of plain rows into tables: ``COPY`` on PostgreSQL, ``executemany`` on SQLite.

Django's ``bulk_create`` builds a model instance per row and a multi-row ``INSERT``; for
millions of schedule rows that is minutes, not seconds. Here a row is a tuple of plain Python
values in the order of ``columns``:

* ``int``, ``str``, ``bool``, ``Decimal``, ``date``, aware ``datetime``, ``None``;
* ``list`` / ``dict`` for JSON columns.

Each column must hold one Python type (or ``None``) throughout. No model logic runs: callers
supply every ``NOT NULL`` column, including those Django fills in (``created_at``, defaults).
Call these functions inside ``transaction.atomic()``; on SQLite :func:`allocate_ids` relies on
the write lock that an open transaction holds.

SQL is assembled from table and column names (``# noqa: S608``): they come from model metadata
in the calling code, never from input, and are quoted with ``quote_name``; values always travel
as parameters or COPY data.
"""

from __future__ import annotations

import itertools
import json
import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper

Row = Sequence[object]

# From this many rows on, a load is worth checking its foreign keys once at the end
# (:func:`foreign_keys_checked_once`) rather than row by row.
LARGE_LOAD_ROWS = 250_000

# PostgreSQL type OIDs that need a wrapper for psycopg's binary COPY.
_JSON_OIDS = {114, 3802}

logger = logging.getLogger(__name__)


def insert_rows(
    table: str, columns: Sequence[str], rows: Iterable[Row], *, using: str = DEFAULT_DB_ALIAS
) -> int:
    """Insert ``rows`` into ``table``; returns the number of rows written."""
    connection = connections[using]
    if connection.vendor == "postgresql":
        return _copy_postgresql(connection, table, columns, rows)
    return _executemany_insert(connection, table, columns, rows)


def update_rows(
    table: str,
    key: str | Sequence[str],
    columns: Sequence[str],
    rows: Iterable[Row],
    *,
    using: str = DEFAULT_DB_ALIAS,
) -> int:
    """Set ``columns`` of the rows identified by ``key`` (one column or several); each row is
    ``(*key values, *column values)``."""
    keys = (key,) if isinstance(key, str) else tuple(key)
    connection = connections[using]
    qn = connection.ops.quote_name
    if connection.vendor == "postgresql":
        # COPY into a scratch table, then one set-based UPDATE: per-row UPDATE statements
        # would be a network round trip each.
        scratch = f"_bulk_update_{table}"
        select = ", ".join(qn(c) for c in (*keys, *columns))
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {qn(scratch)}")
            cursor.execute(
                f"CREATE TEMPORARY TABLE {qn(scratch)} AS "  # noqa: S608
                f"SELECT {select} FROM {qn(table)} WITH NO DATA"
            )
        count = _copy_postgresql(connection, scratch, (*keys, *columns), rows)
        with connection.cursor() as cursor:
            # Statistics for the planner: without them it guesses a tiny table and may pick a
            # nested loop over the target's index for what is a hash join.
            cursor.execute(f"ANALYZE {qn(scratch)}")
        assignments = ", ".join(f"{qn(c)} = s.{qn(c)}" for c in columns)
        condition = " AND ".join(f"t.{qn(k)} = s.{qn(k)}" for k in keys)
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {qn(table)} AS t SET {assignments} "  # noqa: S608
                f"FROM {qn(scratch)} AS s WHERE {condition}"
            )
            cursor.execute(f"DROP TABLE {qn(scratch)}")
        return count
    assignments = ", ".join(f"{qn(c)} = %s" for c in columns)
    condition = " AND ".join(f"{qn(k)} = %s" for k in keys)
    sql = f"UPDATE {qn(table)} SET {assignments} WHERE {condition}"  # noqa: S608
    n = len(keys)
    reordered = ((*row[n:], *row[:n]) for row in rows)
    return _executemany(connection, sql, reordered)


def allocate_ids(table: str, count: int, *, using: str = DEFAULT_DB_ALIAS) -> Sequence[int]:
    """Reserve ``count`` primary keys of ``table`` so that callers can write foreign keys.

    PostgreSQL: values from the column's own sequence, so concurrent writers never collide.
    SQLite: the ids after the highest ever used; safe because the open transaction holds the
    database's single write lock.
    """
    if count <= 0:
        return []
    connection = connections[using]
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [qn(table)])
            (sequence,) = cursor.fetchone() or (None,)
            if sequence is None:
                raise ValueError(f"{table}.id has no sequence")
            cursor.execute("SELECT nextval(%s) FROM generate_series(1, %s)", [sequence, count])
            return [row[0] for row in cursor.fetchall()]
        if not connection.in_atomic_block:
            raise RuntimeError("allocate_ids on SQLite must run inside transaction.atomic()")
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {qn(table)}")  # noqa: S608
        highest = int(cursor.fetchone()[0])
        # AUTOINCREMENT tables remember ids of deleted rows in sqlite_sequence: never reuse.
        cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
        remembered = cursor.fetchone()
        if remembered is not None:
            highest = max(highest, int(remembered[0]))
        return range(highest + 1, highest + 1 + count)


@contextmanager
def foreign_keys_checked_once(
    table: str, *, rows: int, using: str = DEFAULT_DB_ALIAS
) -> Iterator[None]:
    """Check ``table``'s foreign keys once, after a big load, instead of row by row.

    PostgreSQL checks a foreign key with a trigger per inserted row: for 3.6 million schedule
    rows that is as long as the COPY itself. Inside the caller's transaction the constraints
    are dropped for the block and added back after it with their exact definitions; adding a
    constraint validates every row in one set-based join. Should anything fail, the rollback
    restores the constraints: no row escapes the check.

    The price is an ACCESS EXCLUSIVE lock on ``table`` until commit (readers of that table wait)
    and a scan of the whole table, so use it for loads that are large compared to the table.
    Where the role may not alter the table, the constraints stay and are checked per row.
    On SQLite this does nothing: its foreign key checks are cheap index probes.
    """
    connection = connections[using]
    if connection.vendor != "postgresql" or rows < LARGE_LOAD_ROWS:
        yield
        return
    if not connection.in_atomic_block:
        raise RuntimeError("foreign_keys_checked_once must run inside transaction.atomic()")
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = %s::regclass AND contype = 'f' ORDER BY conname",
            [qn(table)],
        )
        constraints: list[tuple[str, str]] = list(cursor.fetchall())
        try:
            # Rows written earlier in this transaction may still have deferred checks queued;
            # ALTER TABLE refuses to run over pending trigger events, so fire them now.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            with transaction.atomic(using=using):
                for name, _ in constraints:
                    cursor.execute(f"ALTER TABLE {qn(table)} DROP CONSTRAINT {qn(name)}")
        except DatabaseError as exc:
            logger.warning("keeping per-row foreign key checks on %s: %s", table, exc)
            constraints = []
        finally:
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    yield
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for name, definition in constraints:
            cursor.execute(f"ALTER TABLE {qn(table)} ADD CONSTRAINT {qn(name)} {definition}")
        # Django declares every foreign key INITIALLY DEFERRED: back to that for the rest of
        # the transaction.
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def _copy_postgresql(
    connection: BaseDatabaseWrapper, table: str, columns: Sequence[str], rows: Iterable[Row]
) -> int:
    from psycopg.types.json import Jsonb

    qn = connection.ops.quote_name
    column_list = ", ".join(qn(c) for c in columns)
    count = 0
    with connection.cursor() as django_cursor:
        cursor: Any = django_cursor.cursor  # the psycopg cursor underneath Django's wrapper
        cursor.execute(f"SELECT {column_list} FROM {qn(table)} LIMIT 0")  # noqa: S608
        type_oids = [d.type_code for d in cursor.description]
        json_positions = [i for i, oid in enumerate(type_oids) if oid in _JSON_OIDS]
        with (
            connection.wrap_database_errors,
            cursor.copy(f"COPY {qn(table)} ({column_list}) FROM STDIN (FORMAT BINARY)") as copy,
        ):
            # Binary COPY with declared types: no text formatting in Python, no parsing in
            # the server; psycopg's C extension encodes each row.
            copy.set_types(type_oids)
            write_row = copy.write_row
            if json_positions:
                for row in rows:
                    values = list(row)
                    for i in json_positions:
                        values[i] = Jsonb(values[i])
                    write_row(values)
                    count += 1
            else:
                for row in rows:
                    write_row(row)
                    count += 1
    return count


def _executemany_insert(
    connection: BaseDatabaseWrapper, table: str, columns: Sequence[str], rows: Iterable[Row]
) -> int:
    qn = connection.ops.quote_name
    placeholders = ", ".join(["%s"] * len(columns))
    sql = f"INSERT INTO {qn(table)} ({', '.join(qn(c) for c in columns)}) VALUES ({placeholders})"  # noqa: S608
    return _executemany(connection, sql, rows)


def _executemany(connection: BaseDatabaseWrapper, sql: str, rows: Iterable[Row]) -> int:
    counter = itertools.count()
    adapted = _adapt_for_sqlite(connection, rows)
    counted = (row for row, _ in zip(adapted, counter, strict=False))
    with connection.cursor() as django_cursor, connection.wrap_database_errors:
        # The raw cursor: Django's debug wrapper would take len() of the generator.
        django_cursor.cursor.executemany(sql, counted)
    return next(counter)


def _adapt_for_sqlite(connection: BaseDatabaseWrapper, rows: Iterable[Row]) -> Iterator[Row]:
    """Convert the few types the sqlite3 module does not store the way Django reads them."""
    iterator = iter(rows)
    first = next(iterator, None)
    if first is None:
        return iter(())
    adapters: list[tuple[int, Callable[[Any], object]]] = []
    for position, value in enumerate(first):
        if isinstance(value, datetime):
            adapters.append((position, connection.ops.adapt_datetimefield_value))
        elif isinstance(value, list | dict):
            adapters.append((position, json.dumps))
    chained = itertools.chain([first], iterator)
    if not adapters:
        return chained

    def adapt(row: Row) -> Row:
        values = list(row)
        for position, adapter in adapters:
            if values[position] is not None:
                values[position] = adapter(values[position])
        return values

    return (adapt(row) for row in chained)
