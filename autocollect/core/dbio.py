"""Moving whole frames between the database and Polars, fast on both backends.

Reads: PostgreSQL ``COPY … TO STDOUT`` in CSV through psycopg 3, SQLite one query. Writes go
through ``core.bulk`` (binary COPY / ``executemany``), as the importers' do. All run on Django's
connection, so they join the caller's transaction (a cycle date is all-or-nothing).
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date
from typing import Any

import polars as pl
from django.db import connection

from autocollect.core import bulk

Schema = Mapping[str, pl.DataType]


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


def _literal(value: Any) -> str:
    """A SQL literal for the few parameter types the engine loaders use (COPY takes none)."""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, date):
        return f"'{value.isoformat()}'"
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    raise TypeError(f"unsupported parameter type {type(value).__name__}")


def read_frame(sql: str, params: Sequence[Any], schema: Schema) -> pl.DataFrame:
    """Run ``sql`` (``%s`` placeholders) and return its rows as a frame with ``schema``.

    The query's columns must come in the schema's order.
    """
    with connection.cursor() as cursor:
        if is_postgres():
            statement = sql % tuple(_literal(p) for p in params)
            buffer = io.BytesIO()
            with cursor.copy(f"COPY ({statement}) TO STDOUT (FORMAT CSV)") as copy:
                for block in copy:
                    buffer.write(block)
            if buffer.tell() == 0:
                return pl.DataFrame(schema=dict(schema))
            buffer.seek(0)
            return pl.read_csv(
                buffer, has_header=False, new_columns=list(schema), schema=dict(schema)
            )
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    # SQLite hands back dates as ``date`` objects for date columns but as text for expressions
    # (e.g. MIN(due_on)); normalise those columns to ``date``.
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in schema]
    data = {}
    for (name, dtype), values in zip(schema.items(), columns, strict=True):
        if dtype == pl.Date:
            values = tuple(date.fromisoformat(v) if isinstance(v, str) else v for v in values)
        data[name] = pl.Series(name, values, dtype=dtype)
    return pl.DataFrame(data)


def insert_frame(table: str, frame: pl.DataFrame) -> int:
    """Append every row of ``frame`` to ``table`` (columns by name). Returns the row count."""
    if frame.height == 0:
        return 0
    return bulk.insert_rows(table, frame.columns, frame.iter_rows())


@contextmanager
def temporary_ids(name: str, ids: Sequence[int]) -> Iterator[str]:
    """A temporary one-column table ``name(id)`` holding ``ids``, to join against instead of
    sending thousands of values in an ``IN`` list. Dropped on exit."""
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {name}")
        cursor.execute(f"CREATE TEMPORARY TABLE {name} (id BIGINT PRIMARY KEY)")
    insert_frame(name, pl.DataFrame({"id": list(ids)}, schema={"id": pl.Int64()}))
    if is_postgres():
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {name}")
    try:
        yield name
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {name}")


def update_from_frame(
    table: str, frame: pl.DataFrame, *, key: Sequence[str], set_columns: Sequence[str]
) -> int:
    """``UPDATE table SET set_columns … WHERE key = …`` for every row of ``frame``."""
    if frame.height == 0:
        return 0
    return bulk.update_rows(table, key, set_columns, frame.select([*key, *set_columns]).iter_rows())
