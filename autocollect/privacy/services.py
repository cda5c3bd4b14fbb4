"""Use cases of personal data protection: rotating the keys, reporting what each key protects
(docs/privacy.md). Revealing a masked field needs the cases (who may see which borrower): it is
``cases.reveal``."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from django.db import connection, models, transaction

from autocollect.audit.services import audit_record
from autocollect.core import crypto
from autocollect.privacy.fields import (
    EncryptedTextField,
    MaskedField,
    derived_fields,
    encrypted_fields,
)

# --- key rotation --------------------------------------------------------------------------

ROTATE_BATCH = 2000
# Attributes of the row a masked copy is made from (privacy.fields.MASKERS).
MASKER_NEEDS = {"national_id": (), "contact": ("kind",), "channel": ("channel",)}


@dataclass
class RotationReport:
    key_id: str
    reindexed: bool
    # "app_label.model.field" -> rows re-encrypted (or re-indexed)
    columns: dict[str, int] = field(default_factory=dict)

    @property
    def rows(self) -> int:
        return sum(self.columns.values())


def _column(field: Any) -> str:
    name = getattr(field, "column", None)
    if not name:
        raise ValueError(f"{field} has no column")
    return str(name)


def _rows(
    model: type[models.Model], column: str, extra: tuple[str, ...], batch: int
) -> Iterator[list[tuple[Any, ...]]]:
    qn = connection.ops.quote_name
    table = model._meta.db_table
    pk = _column(model._meta.pk)
    select = ", ".join(qn(c) for c in (pk, column, *extra))
    last: Any = None
    while True:
        where, params = (f"WHERE {qn(pk)} > %s", [last]) if last is not None else ("", [])
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {select} FROM {qn(table)} {where} "  # noqa: S608 - names from models
                f"ORDER BY {qn(pk)} LIMIT %s",
                [*params, batch],
            )
            rows = cursor.fetchall()
        if not rows:
            return
        yield rows
        last = rows[-1][0]


def _rotate_column(
    model: type[models.Model], encrypted: EncryptedTextField, *, reindex: bool, batch: int
) -> int:
    qn = connection.ops.quote_name
    table = model._meta.db_table
    pk = _column(model._meta.pk)
    derived = derived_fields(model, encrypted.name)
    extra = tuple(
        sorted(
            {
                need
                for f in derived
                if isinstance(f, MaskedField)
                for need in MASKER_NEEDS.get(f.masker, ())
            }
        )
    )
    current = crypto.current_key_id()
    column = _column(encrypted)
    assignments = ", ".join(f"{qn(c)} = %s" for c in (column, *(_column(f) for f in derived)))
    # Compare-and-set on the old ciphertext: a row changed meanwhile keeps its new value.
    sql = (
        f"UPDATE {qn(table)} SET {assignments} "  # noqa: S608 - names from models
        f"WHERE {qn(pk)} = %s AND {qn(column)} = %s"
    )
    done = 0
    for rows in _rows(model, column, extra, batch):
        updates = []
        for pk_value, token, *rest in rows:
            if token is None:
                continue
            if crypto.token_key_id(token) == current and not reindex:
                continue
            clear = crypto.decrypt(token)
            row = SimpleNamespace(**dict(zip(extra, rest, strict=True)))
            sealed = token if crypto.token_key_id(token) == current else crypto.encrypt(clear)
            values = [f.derive(row, clear) for f in derived]  # type: ignore[arg-type]
            updates.append([sealed, *values, pk_value, token])
        if updates:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.executemany(sql, updates)
            done += len(updates)
    return done


def keys_rotate(*, actor: str, reindex: bool = False, batch: int = ROTATE_BATCH) -> RotationReport:
    """Re-encrypt every encrypted column's values sealed with an older key under the current
    key (the first of ``AUTOCOLLECT_FIELD_KEYS``), batch by batch, each batch its own
    transaction: safe to stop and run again. ``reindex`` also recomputes every blind index and
    masked copy (after a change of ``AUTOCOLLECT_BLIND_INDEX_KEY``). One audit event."""
    report = RotationReport(key_id=crypto.current_key_id(), reindexed=reindex)
    for model, encrypted in encrypted_fields():
        label = f"{model._meta.label_lower}.{encrypted.name}"
        report.columns[label] = _rotate_column(model, encrypted, reindex=reindex, batch=batch)
    audit_record(
        actor=actor,
        action="privacy.keys_rotate",
        object_type="privacy.keyring",
        object_id=report.key_id,
        after={"key": report.key_id, "reindexed": reindex, "columns": report.columns},
    )
    return report


def keys_status() -> dict[str, dict[str, int]]:
    """Per encrypted column, how many values each key sealed (by key id): a retired key may
    leave the configuration once it seals nothing."""
    qn = connection.ops.quote_name
    status: dict[str, dict[str, int]] = {}
    for model, encrypted in encrypted_fields():
        label = f"{model._meta.label_lower}.{encrypted.name}"
        counts: dict[str, int] = {}
        column = qn(_column(encrypted))
        with connection.cursor() as cursor:
            # e1:<8 hex key id>:… — the id sits at characters 4 to 11.
            cursor.execute(
                f"SELECT SUBSTR({column}, 4, 8), COUNT(*) FROM {qn(model._meta.db_table)} "  # noqa: S608
                f"WHERE {column} IS NOT NULL GROUP BY SUBSTR({column}, 4, 8)"
            )
            for kid, count in cursor.fetchall():
                counts[str(kid)] = int(count)
        status[label] = counts
    return status
