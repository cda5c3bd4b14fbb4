"""Data migrations that encrypt existing clear columns in place (and back), in batches.

Used by the migrations that turned a clear column into an ``EncryptedTextField``. They work on
raw rows (the historical model's field would try to decrypt the clear values) and are safe to
run again: a value already sealed is opened to compute its index and masked copy, and sealed
again only when it is not.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from django.db.backends.base.schema import BaseDatabaseSchemaEditor

from autocollect.core import crypto

BATCH = 2000

# (row's extra columns by name, clear value) -> {derived column: value}
Derive = Callable[[Mapping[str, Any], str], Mapping[str, str]]


def _batches(schema_editor: BaseDatabaseSchemaEditor, table: str, columns: Sequence[str]) -> Any:
    connection = schema_editor.connection
    qn = connection.ops.quote_name
    select = ", ".join(qn(c) for c in ("id", *columns))
    last = 0
    while True:
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {select} FROM {qn(table)} WHERE id > %s ORDER BY id LIMIT %s",  # noqa: S608
                [last, BATCH],
            )
            rows = cursor.fetchall()
        if not rows:
            return
        yield rows
        last = rows[-1][0]


def seal_column(
    schema_editor: BaseDatabaseSchemaEditor,
    *,
    table: str,
    column: str,
    extra: Sequence[str] = (),
    derive: Derive | None = None,
) -> int:
    """Encrypt ``table.column`` in place and fill the columns ``derive`` computes from the clear
    value (and the row's ``extra`` columns). Returns the number of rows."""
    connection = schema_editor.connection
    qn = connection.ops.quote_name
    count = 0
    for rows in _batches(schema_editor, table, (column, *extra)):
        updates: list[list[Any]] = []
        set_columns: list[str] | None = None
        for row in rows:
            pk, value, *rest = row
            if value is None:
                continue
            clear = crypto.decrypt(value) if crypto.is_encrypted(value) else str(value)
            sealed = value if crypto.is_encrypted(value) else crypto.encrypt(clear)
            derived = dict(derive(dict(zip(extra, rest, strict=True)), clear)) if derive else {}
            if set_columns is None:
                set_columns = [column, *derived]
            updates.append([sealed, *(derived[c] for c in set_columns[1:]), pk])
        if updates and set_columns is not None:
            assignments = ", ".join(f"{qn(c)} = %s" for c in set_columns)
            with connection.cursor() as cursor:
                cursor.executemany(
                    f"UPDATE {qn(table)} SET {assignments} WHERE id = %s",  # noqa: S608
                    updates,
                )
            count += len(updates)
    return count


def open_column(schema_editor: BaseDatabaseSchemaEditor, *, table: str, column: str) -> int:
    """Decrypt ``table.column`` in place (the reverse of :func:`seal_column`)."""
    connection = schema_editor.connection
    qn = connection.ops.quote_name
    count = 0
    for rows in _batches(schema_editor, table, (column,)):
        updates = [[crypto.decrypt(value), pk] for pk, value in rows if crypto.is_encrypted(value)]
        if updates:
            with connection.cursor() as cursor:
                cursor.executemany(
                    f"UPDATE {qn(table)} SET {qn(column)} = %s WHERE id = %s",  # noqa: S608
                    updates,
                )
            count += len(updates)
    return count
