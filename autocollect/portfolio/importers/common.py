"""Pieces shared by the loan and payment importers: field parsers, rejects file, bookkeeping."""

from __future__ import annotations

import hashlib
import logging
import re
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, TypeVar

import polars as pl
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone, translation

from autocollect.core import clock
from autocollect.core.bounds import date_problem
from autocollect.core.exports import write_csv
from autocollect.core.ids import parse_mobile
from autocollect.core.money import MAX_FEN, NumberError, ascii_digits, parse_whole, yuan_to_fen
from autocollect.portfolio.importers.limits import limit
from autocollect.portfolio.importers.readers import SourceTable, read_source
from autocollect.portfolio.importers.result import ImportResult
from autocollect.portfolio.models import ImportBatch, ImportKind

RowErrors = list[tuple[str, str]]  # (column, reason)

logger = logging.getLogger("autocollect.portfolio.importers")

# Upper bound for any amount in a row: ¥100,000,000.00 (core.money.MAX_FEN). Far above any car
# loan, and keeps a typo (an ID pasted into an amount column) from overflowing the fen columns.
MAX_AMOUNT_FEN = MAX_FEN

_DATE_RE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_MOBILE_11_RE = re.compile(r"^1\d{10}$")
_SPACES = re.compile(r"\s+")

# Columns the rejects file adds; dropped from a source that already has them (a corrected
# rejects file imported again) so they are not doubled.
REJECT_EXTRA_COLUMNS = ("row", "error")

T = TypeVar("T")


def in_both_languages(render: Callable[[], str]) -> str:
    """A translated reason for the rejects file, in English and in Chinese (``"… / …"``, like
    ``required / 必填``): the file is read by whoever fixes it, whatever the server's language."""
    with translation.override("en"):
        english = render()
    with translation.override("zh-hans"):
        chinese = render()
    return english if english == chinese else f"{english} / {chinese}"


def _explained(exc: NumberError) -> ValueError:
    return ValueError(in_both_languages(exc.__str__))


def parse_iso_date(text: str, window: str | None = None) -> date:
    """A date written ``YYYY-MM-DD`` (full-width digits read as ASCII, other scripts refused);
    with ``window``, inside that field's plausible window (``core.bounds``)."""
    try:
        value = ascii_digits(text.strip())
    except NumberError as exc:
        raise _explained(exc) from None
    if not _DATE_RE.match(value):
        raise ValueError(f"'{value}' is not a date in YYYY-MM-DD form")
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"'{value}' is not a real date") from None
    if window is not None and date_problem(day, window):
        raise ValueError(in_both_languages(lambda: date_problem(day, window)))
    return day


def dated(window: str) -> Callable[[str], date]:
    """The date parser of a column whose dates must lie in ``window`` (``core.bounds``)."""
    return lambda text: parse_iso_date(text, window)


def parse_int(text: str, low: int, high: int) -> int:
    """A whole number in plain digits (core.money's grammar), ``low``–``high``."""
    try:
        return parse_whole(text, low=low, high=high)
    except NumberError as exc:
        raise _explained(exc) from None


def parse_positive_fen(text: str) -> int:
    """A positive amount in yuan with at most two decimals, as fen (core.money's grammar)."""
    try:
        fen = yuan_to_fen(text, negative=True)
    except NumberError as exc:
        raise _explained(exc) from None
    if fen <= 0:
        raise ValueError(f"'{text.strip()}' must be greater than zero")
    return fen


def clean_text(text: str, max_length: int) -> str:
    """Trimmed text with runs of whitespace collapsed; too long is an error, not a truncation."""
    value = _SPACES.sub(" ", text.strip())
    if len(value) > max_length:
        raise ValueError(f"longer than {max_length} characters")
    return value


class MobileParser:
    """``parse_mobile`` with a cache.

    phonenumbers takes ~25 µs a number. Whether a mainland mobile number is valid depends only
    on its 7-digit block (号段, H0H1H2H3, how the ministry allocates numbers to carriers), so
    plain 11-digit numbers are cached by block: 100,000 distinct numbers cost a few thousand
    phonenumbers calls. Other spellings (+86, spaces, dashes) are cached as written.
    """

    def __init__(self) -> None:
        self._by_block: dict[str, str | None] = {}  # block -> reason it is invalid, or None
        self._by_text: dict[str, str] = {}
        self._invalid_text: dict[str, str] = {}

    def __call__(self, raw: str) -> str:
        text = raw.strip()
        if _MOBILE_11_RE.match(text):
            block = text[:7]
            if block not in self._by_block:
                try:
                    parse_mobile(text)
                    self._by_block[block] = None
                except ValueError as exc:
                    self._by_block[block] = str(exc).replace(text, block + "****")
            reason = self._by_block[block]
            if reason is not None:
                raise ValueError(f"'{text}' is not a valid mainland mobile number ({reason})")
            return "+86" + text
        if text in self._by_text:
            return self._by_text[text]
        if text in self._invalid_text:
            raise ValueError(self._invalid_text[text])
        try:
            e164 = parse_mobile(text)
        except ValueError as exc:
            self._invalid_text[text] = str(exc)
            raise
        self._by_text[text] = e164
        return e164


def row_hash(kind: str, values: Iterable[str]) -> str:
    """SHA-256 of a normalised row; the kind and a format version keep hashes apart."""
    payload = "\x1f".join((f"{kind}/v1", *values))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def chunked(items: Sequence[T], size: int = 5000) -> Iterator[Sequence[T]]:
    """Slices small enough for an ``IN (...)`` list on every database."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def fetch_by_keys(
    table: str,
    key: str,
    columns: Sequence[str],
    keys: Sequence[str | int],
    *,
    key_type: str = "text",
    lock: bool = False,
) -> list[tuple[Any, ...]]:
    """``(key, *columns)`` of the rows of ``table`` whose ``key`` is one of ``keys``.

    ``lock`` takes row locks (``FOR UPDATE``) on PostgreSQL; SQLite needs none, the import's
    transaction already holds the database's write lock.

    PostgreSQL gets one query joining an array of all the keys: long ``IN (...)`` lists cost
    more to plan than to run. SQLite gets ``IN`` lists in chunks below its variable limit.
    ``table``, ``key`` and ``columns`` are names from model metadata, never input.
    """
    if not keys:
        return []
    qn = connection.ops.quote_name
    select = ", ".join(f"t.{qn(c)}" for c in (key, *columns))
    rows: list[tuple[Any, ...]] = []
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            if key_type not in ("text", "bigint"):
                raise ValueError(f"unsupported key type {key_type}")
            cursor.execute(
                f"SELECT {select} FROM {qn(table)} AS t "  # noqa: S608
                f"JOIN unnest(%s::{key_type}[]) AS k(v) ON t.{qn(key)} = k.v"
                + (" FOR UPDATE OF t" if lock else ""),
                [list(keys)],
            )
            rows.extend(cursor.fetchall())
        else:
            for chunk in chunked(keys):
                placeholders = ", ".join(["%s"] * len(chunk))
                cursor.execute(
                    f"SELECT {select} FROM {qn(table)} AS t "  # noqa: S608
                    f"WHERE t.{qn(key)} IN ({placeholders})",
                    list(chunk),
                )
                rows.extend(cursor.fetchall())
    return rows


def format_errors(errors: RowErrors) -> str:
    return "; ".join(f"{column}: {reason}" for column, reason in errors)


def default_rejects_path(stem: str) -> Path:
    """``<REJECTS_DIR>/<stem>.rejects.<timestamp>.csv``, never an existing file."""
    directory = Path(settings.AUTOCOLLECT["REJECTS_DIR"])  # type: ignore[arg-type]
    stamp = timezone.localtime(clock.now()).strftime("%Y%m%dT%H%M%S")
    candidate = directory / f"{stem}.rejects.{stamp}.csv"
    counter = 2
    while candidate.exists():
        candidate = directory / f"{stem}.rejects.{stamp}-{counter}.csv"
        counter += 1
    return candidate


def write_rejects(path: Path, table: SourceTable, rejects: dict[int, RowErrors]) -> None:
    """The rejected rows as they came in, plus their line number and what is wrong.

    UTF-8 with a byte order mark: without it Excel on a Chinese Windows opens the file as GBK
    and shows the names as mojibake. Written through ``core.exports`` (a cell that would run
    as a formula starts with ``'``) and capped (``limits``): at most ``REJECTS_MAX_ROWS`` rows
    and ``REJECTS_MAX_CHARS`` characters, each cell cut to ``REJECTS_MAX_CELL``; a last line
    says how many rejected rows were left out.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    columns = [name for name in table.header if name not in REJECT_EXTRA_COLUMNS]
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        write_csv(handle, [[*columns, *REJECT_EXTRA_COLUMNS], *_reject_lines(table, rejects)])


def _reject_lines(table: SourceTable, rejects: dict[int, RowErrors]) -> Iterator[list[Any]]:
    columns = [name for name in table.header if name not in REJECT_EXTRA_COLUMNS]
    most_rows, cell, most_chars = (
        limit("REJECTS_MAX_ROWS"),
        limit("REJECTS_MAX_CELL"),
        limit("REJECTS_MAX_CHARS"),
    )
    written = chars = 0
    for index in sorted(rejects):
        values = [table.columns[name][index][:cell] for name in columns]
        line = [*values, table.line_numbers[index], format_errors(rejects[index])[:cell]]
        chars += sum(len(str(v)) for v in line)
        if written >= most_rows or chars > most_chars:
            break
        written += 1
        yield line
    if (left := len(rejects) - written) > 0:
        note = (
            f"另有 {left} 行被拒绝，未写入本文件（上限 {most_rows} 行 / {most_chars} 字符）"
            f" / {left} more rejected rows not written (limit {most_rows} rows, "
            f"{most_chars} characters)"
        )
        yield [*([""] * len(columns)), "", note]


class PhaseTimer:
    """Logs (DEBUG) how long each phase of an import took: where the time goes at scale."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.last = time.perf_counter()

    def mark(self, phase: str, rows: int | None = None) -> None:
        now = time.perf_counter()
        if logger.isEnabledFor(logging.DEBUG):
            count = f" ({rows} rows)" if rows is not None else ""
            logger.debug("%s %s: %.2f s%s", self.kind, phase, now - self.last, count)
        self.last = now


@dataclass(slots=True)
class Outcome:
    """What validation decided, row by row, before anything is written."""

    rejects: dict[int, RowErrors] = field(default_factory=dict)
    created: int = 0
    unchanged: int = 0

    def reject(self, index: int, errors: RowErrors) -> None:
        self.rejects.setdefault(index, []).extend(errors)


def run_import(
    kind: ImportKind,
    source: Path | pl.DataFrame,
    *,
    required: Sequence[str],
    optional: Sequence[str],
    encoding: str | None,
    rejects_path: Path | None,
    actor: str,
    process: Callable[[SourceTable, datetime, PhaseTimer], Outcome],
) -> ImportResult:
    """Read the source, validate and write in one transaction, record the batch, write the
    rejects file.

    Raises :class:`ImportFileError` when the source cannot be read at all (nothing written).
    ``process`` validates every row and writes the accepted ones; if it raises, the
    transaction rolls back and no rejects file is left behind.
    """
    timer = PhaseTimer(kind.value)
    table = read_source(source, required=required, optional=optional, encoding=encoding)
    timer.mark("read", len(table))
    started_at = clock.now()
    written: Path | None = None
    try:
        with transaction.atomic():
            outcome = process(table, started_at, timer)
            if outcome.rejects:
                written = rejects_path or default_rejects_path(table.stem)
                write_rejects(written, table, outcome.rejects)
            ImportBatch.objects.create(
                kind=kind,
                file_name=table.label[:500],
                file_sha256=table.sha256,
                actor=actor[:150],
                rows=len(table),
                accepted=outcome.created + outcome.unchanged,
                created=outcome.created,
                unchanged=outcome.unchanged,
                rejected=len(outcome.rejects),
                rejects_file=str(written or "")[:500],
                started_at=started_at,
                finished_at=clock.now(),
            )
            timer.mark("rejects file and batch record", len(outcome.rejects))
    except BaseException:
        # Nothing was written to the database, so a rejects file would only mislead.
        if written is not None:
            written.unlink(missing_ok=True)
        raise
    timer.mark("commit")
    return ImportResult(
        file=table.label,
        rows=len(table),
        accepted=outcome.created + outcome.unchanged,
        rejected=len(outcome.rejects),
        rejects_file=str(written) if written is not None else None,
        created=outcome.created,
        unchanged=outcome.unchanged,
    )
