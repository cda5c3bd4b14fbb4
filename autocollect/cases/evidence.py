"""What an app contributes to a case's evidence package (证据保全), declared by the app itself.

The evidence app (``evidence.selectors.case_record``) gathers the book, the contacts, the
notices, the promises, the holds and the audit trail itself. Each casework app that keeps more
about a case (arrangements, hardship claims, legal referrals, skip traces and vehicle risk)
registers one function on the ``core.hooks.case_evidence`` hook in its ``AppConfig.ready()``:
given the case, it returns its tables and the stored files its rows name. Nothing is found by
reflection over models or by module names built at run time.

A table is one CSV of the package (and one section of its summary); a file is copied under
``files/<app>/<model>/<row id>-<name>`` after it was checked against the SHA-256 taken when it
was stored: a file gone or altered is reported as a problem, never silently dropped.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from django.db import models

from autocollect.core.errors import ApplicationError
from autocollect.documents.storage import document_path
from autocollect.privacy.fields import BlindIndexField, EncryptedTextField

Cell = str | int | None


@dataclass(frozen=True, slots=True)
class Table:
    """One CSV of the package: a file name, the column keys in order, the rows."""

    name: str
    columns: tuple[str, ...]
    rows: list[dict[str, Cell]]

    def __post_init__(self) -> None:
        for row in self.rows:
            unknown = set(row) - set(self.columns)
            if unknown:  # a programming error: a column the header does not name
                raise ValueError(f"{self.name}: unknown columns {sorted(unknown)}")


@dataclass(frozen=True, slots=True)
class StoredFile:
    """A file copied into the package: where it goes (``files/…``) and where it is now."""

    arcname: str
    source: Path
    origin: str  # what it is: "letter", "voice", "arrangements", …


@dataclass(slots=True)
class EvidencePart:
    """What one app contributes: tables, files, and the problems found with its files."""

    tables: list[Table] = field(default_factory=list)
    files: list[StoredFile] = field(default_factory=list)
    file_problems: list[str] = field(default_factory=list)


def _cell(value: Any) -> Cell:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if value is None or isinstance(value, (int, str)):
        return value
    return str(value)


def model_table(app_label: str, model: type[models.Model], rows: Iterable[models.Model]) -> Table:
    """A table named ``<app>_<model>`` of the model's concrete fields in declaration order,
    leaving out encrypted personal data and its blind indexes (the package shows personal data
    only where the evidence app masks or reveals it on purpose)."""
    names = [
        f.attname
        for f in model._meta.concrete_fields
        if not isinstance(f, (EncryptedTextField, BlindIndexField))
    ]
    table_rows = [{name: _cell(getattr(obj, name)) for name in names} for obj in rows]
    return Table(f"{app_label}_{model._meta.model_name}", tuple(names), table_rows)


def stored_file(
    part: EvidencePart, *, app_label: str, obj: models.Model, stored_path: str, sha256: str
) -> None:
    """Add the document store's file that row ``obj`` names to ``part``, after checking it
    against ``sha256``; a missing or altered file is recorded in ``part.file_problems``."""
    if not stored_path:
        return
    try:
        source = document_path(stored_path)
    except ApplicationError:
        part.file_problems.append(f"{stored_path}: missing")
        return
    if not source.is_file():
        part.file_problems.append(f"{stored_path}: missing")
        return
    if sha256 and hashlib.sha256(source.read_bytes()).hexdigest() != sha256:
        part.file_problems.append(f"{stored_path}: altered since it was stored")
    arcname = f"files/{app_label}/{obj._meta.model_name}/{obj.pk}-{source.name}"
    part.files.append(StoredFile(arcname, source, app_label))
