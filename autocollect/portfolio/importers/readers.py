"""Turn an import source into a table of text cells, whatever the file format.

Every cell comes out as the text a person would have typed: validation then happens once, in
Python, on strings, whether the rows came from CSV (UTF-8 or GB18030), Excel, Parquet or a
polars DataFrame. A source that cannot be read at all raises :class:`ImportFileError`.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Context, Decimal, InvalidOperation
from pathlib import Path

import polars as pl

from autocollect.core.exports import neutralised_text
from autocollect.portfolio.importers.limits import xlsx_check
from autocollect.portfolio.importers.result import ImportFileError

DATAFRAME_LABEL = "<dataframe>"

_ZIP_MAGIC = b"PK\x03\x04"
_PARQUET_MAGIC = b"PAR1"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # legacy .xls (and other OLE compound files)
_UTF8_BOM = b"\xef\xbb\xbf"

# Excel holds 15 significant decimal digits; anything beyond that in a cell is binary floating
# point noise (0.1 + 0.2 = 0.30000000000000004), never something a person typed.
_EXCEL_DIGITS = Context(prec=15)
_DECIMAL_TEXT = re.compile(r"^-?\d+\.\d+$")
_BLANK_LINE = re.compile(r"(?:^|\n)[ \t]*\r?\n")
_MIDNIGHT = re.compile(r"^(\d{4}-\d{2}-\d{2})[ T]00:00:00(?:\.0+)?$")


@dataclass(slots=True)
class SourceTable:
    """The rows of one source, as text, with their spreadsheet line numbers."""

    label: str  # file name as given, or "<dataframe>"
    stem: str  # used to name the rejects file
    sha256: str
    header: list[str]  # normalised column names in source order
    columns: dict[str, Sequence[str]]  # every header column (and missing optional ones)
    line_numbers: list[int]  # header is line 1, first data row line 2
    # Problems found while reading a row (too many cells), keyed by row index.
    row_errors: dict[int, list[tuple[str, str]]] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.line_numbers)

    def raw_row(self, index: int) -> list[str]:
        return [self.columns[name][index] for name in self.header]


def read_source(
    source: Path | str | pl.DataFrame,
    *,
    required: Sequence[str],
    optional: Sequence[str] = (),
    encoding: str | None = None,
) -> SourceTable:
    """Read a file (CSV, .xlsx, .parquet) or DataFrame into text cells, checking the header."""
    if isinstance(source, pl.DataFrame):
        header, columns = _frame_columns(source)
        digest = hashlib.sha256(source.write_csv().encode()).hexdigest()
        table = _build_table(DATAFRAME_LABEL, "dataframe", digest, header, columns)
    else:
        table = _read_file(Path(source), encoding)
    _check_header(table, required, optional)
    return table


def _read_file(path: Path, encoding: str | None) -> SourceTable:
    if not path.exists():
        raise ImportFileError(f"{path}: file not found / 文件不存在")
    if not path.is_file():
        raise ImportFileError(f"{path}: not a file / 不是文件")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ImportFileError(f"{path}: cannot be read: {exc.strerror}") from exc
    digest = hashlib.sha256(data).hexdigest()
    suffix = path.suffix.lower()
    if data.startswith(_OLE_MAGIC) or suffix == ".xls":
        raise ImportFileError(f"{path}: legacy .xls is not supported; save it as .xlsx or CSV")
    if data.startswith(_ZIP_MAGIC) or suffix in (".xlsx", ".xlsm"):
        header, columns = _read_xlsx(path, data)
        extra_errors: dict[int, list[tuple[str, str]]] = {}
    elif data.startswith(_PARQUET_MAGIC) or suffix == ".parquet":
        header, columns = _read_parquet(path, data)
        extra_errors = {}
    else:
        header, columns, extra_errors = _read_csv(path, data, encoding)
    columns = [_unquoted(values) for values in columns]
    return _build_table(str(path), path.stem, digest, header, columns, extra_errors)


def _unquoted(values: list[str]) -> list[str]:
    """The cells as typed, for a file that went through a spreadsheet export of ours (a
    rejects file, corrected and imported again): ``'=…`` back to ``=…`` (``core.exports``).
    The scan for a quote runs in C; only a column that has one is rewritten."""
    if "'" not in "\x00".join(values):
        return values
    return [neutralised_text(v) for v in values]


def _read_xlsx(path: Path, data: bytes) -> tuple[list[str], list[list[str]]]:
    xlsx_check(path, data)
    try:
        # infer_schema_length=0 makes calamine hand every cell over as text; blank rows are kept
        # so that line numbers stay those of the spreadsheet.
        frame = pl.read_excel(
            io.BytesIO(data),
            engine="calamine",
            infer_schema_length=0,
            drop_empty_rows=False,
            drop_empty_cols=False,
            raise_if_empty=False,
        )
    except Exception as exc:  # calamine raises its own exception types for broken files
        raise ImportFileError(f"{path}: not a readable Excel .xlsx file ({exc})") from exc
    header, columns = _frame_columns(frame)
    return header, [[_excel_cell_text(v) for v in col] for col in columns]


def _excel_cell_text(value: str) -> str:
    """Undo what a spreadsheet does to typed values: date cells, float noise."""
    if not value:
        return value
    midnight = _MIDNIGHT.match(value)
    if midnight:
        return midnight.group(1)
    if _DECIMAL_TEXT.match(value) and len(value) > 16:
        return _decimal_text(Decimal(value))
    return value


def _decimal_text(value: Decimal) -> str:
    """At most 15 significant digits, no exponent, no trailing zeros."""
    return format(_EXCEL_DIGITS.plus(value).normalize(), "f")


def _read_parquet(path: Path, data: bytes) -> tuple[list[str], list[list[str]]]:
    try:
        frame = pl.read_parquet(io.BytesIO(data))
    except Exception as exc:  # polars raises ComputeError, OSError, … for broken files
        raise ImportFileError(f"{path}: not a readable Parquet file ({exc})") from exc
    return _frame_columns(frame)


def _read_csv(
    path: Path, data: bytes, encoding: str | None
) -> tuple[list[str], list[list[str]], dict[int, list[tuple[str, str]]]]:
    if b"\x00" in data[:65536]:
        raise ImportFileError(
            f"{path}: binary content; expected CSV (UTF-8 or GBK), .xlsx or .parquet"
        )
    text = _decode(path, data, encoding)
    fast = _read_csv_polars(text)
    if fast is not None:
        return fast[0], fast[1], {}
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
        if header is None:
            raise ImportFileError(f"{path}: the file is empty / 文件为空")
        width = len(header)
        records: list[list[str]] = []
        errors: dict[int, list[tuple[str, str]]] = {}
        for record in reader:
            if len(record) > width:
                # Cells beyond the header that hold something cannot be matched to a column.
                surplus = record[width:]
                if any(cell.strip() for cell in surplus):
                    errors[len(records)] = [
                        ("row", f"has {len(record)} cells but the header has {width} columns")
                    ]
                record = record[:width]
            elif len(record) < width:
                record = record + [""] * (width - len(record))
            records.append(record)
    except csv.Error as exc:
        raise ImportFileError(f"{path}: malformed CSV at line {reader.line_num}: {exc}") from exc
    columns = [list(col) for col in zip(*records, strict=True)] if records else [[]] * width
    return header, columns, errors


def _read_csv_polars(text: str) -> tuple[list[str], list[list[str]]] | None:
    """polars' CSV reader, ~10x faster than the csv module, when it reads the same rows.

    Returns ``None`` (use the csv module) when it might not: blank lines, which polars skips
    and would shift line numbers; rows with more cells than the header, which polars refuses
    and the csv module reports per row; a header polars would rename (duplicate names).
    """
    if _BLANK_LINE.search(text):
        return None
    header = next(csv.reader(io.StringIO(text[: text.find("\n") + 1 or None], newline="")), [])
    try:
        frame = pl.read_csv(io.StringIO(text), infer_schema=False, has_header=True)
    except Exception:  # polars raises ComputeError, NoDataError, … for what it cannot read
        return None
    if frame.columns != header:
        return None
    return header, [column.fill_null("").to_list() for column in frame.get_columns()]


def _decode(path: Path, data: bytes, encoding: str | None) -> str:
    if encoding:
        try:
            text = data.decode(encoding)
        except LookupError as exc:
            raise ImportFileError(f"unknown encoding '{encoding}'") from exc
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            raise ImportFileError(f"{path}: not valid {encoding} at line {line}") from exc
        return text.removeprefix("\ufeff")
    if data.startswith(_UTF8_BOM):
        data = data[len(_UTF8_BOM) :]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    # Chinese Excel saves CSV in the ANSI code page: GBK, of which GB18030 is a superset.
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise ImportFileError(
            f"{path}: neither UTF-8 nor GBK/GB18030 text; pass --encoding if it is another one"
        ) from exc


def _frame_columns(frame: pl.DataFrame) -> tuple[list[str], list[list[str]]]:
    header = [str(name) for name in frame.columns]
    return header, [_series_text(frame.get_column(name)) for name in frame.columns]


def _series_text(series: pl.Series) -> list[str]:
    """A column of natural polars type as the text a person would write for it."""
    dtype = series.dtype
    if dtype == pl.String:
        text = series
    elif dtype == pl.Date:
        text = series.dt.strftime("%Y-%m-%d")
    elif isinstance(dtype, pl.Datetime):
        text = series.dt.strftime("%Y-%m-%d %H:%M:%S").str.replace(r" 00:00:00$", "")
    elif dtype.is_float():
        return [_float_text(v) for v in series.to_list()]
    elif dtype == pl.Null:
        return [""] * len(series)
    else:
        try:
            text = series.cast(pl.String)
        except Exception as exc:  # nested types (lists, structs) have no text form
            raise ImportFileError(
                f"column '{series.name}' has type {dtype}; expected text, numbers or dates"
            ) from exc
    return text.fill_null("").to_list()


def _float_text(value: float | None) -> str:
    if value is None:
        return ""
    if value != value or value in (float("inf"), float("-inf")):
        return str(value)
    if value.is_integer():
        return str(int(value))
    try:
        return _decimal_text(Decimal(repr(value)))
    except InvalidOperation:  # pragma: no cover - repr of a finite float is always a number
        return repr(value)


def _normalise_name(name: str) -> str:
    return name.strip().lstrip("\ufeff").strip().lower()


def _build_table(
    label: str,
    stem: str,
    digest: str,
    raw_header: list[str],
    raw_columns: Sequence[Sequence[str]],
    row_errors: dict[int, list[tuple[str, str]]] | None = None,
) -> SourceTable:
    header: list[str] = []
    columns: dict[str, Sequence[str]] = {}
    for raw_name, values in zip(raw_header, raw_columns, strict=True):
        name = _normalise_name(raw_name)
        # Spreadsheets drag along unnamed empty columns; they carry nothing we could import.
        if not name or name.startswith("__unnamed__"):
            continue
        if name in columns:
            raise ImportFileError(f"{label}: column '{name}' appears twice in the header")
        header.append(name)
        columns[name] = values
    n_rows = len(raw_columns[0]) if raw_columns else 0
    errors = row_errors or {}
    line_numbers = list(range(2, n_rows + 2))
    cols = [columns[name] for name in header]
    # Candidates are rows whose first cell is blank; only those need the full check.
    first = cols[0] if cols else []
    blank = [
        i
        for i, value in enumerate(first)
        if not value.strip() and not any(col[i].strip() for col in cols)
    ]
    if blank:
        # Blank lines are not rows, but the line numbers of the rows after them do not move.
        skip = set(blank)
        keep = [i for i in range(n_rows) if i not in skip]
        columns = {name: [values[i] for i in keep] for name, values in columns.items()}
        line_numbers = [line_numbers[i] for i in keep]
        position = {old: new for new, old in enumerate(keep)}
        errors = {position[i]: e for i, e in errors.items() if i in position}
    return SourceTable(label, stem, digest, header, columns, line_numbers, errors)


def _check_header(table: SourceTable, required: Sequence[str], optional: Sequence[str]) -> None:
    missing = [name for name in required if name not in table.columns]
    if missing:
        found = ", ".join(table.header) or "(none)"
        raise ImportFileError(
            f"{table.label}: missing required column(s) {', '.join(missing)} "
            f"/ 缺少必填列; found: {found}"
        )
    blank = [""] * len(table)
    for name in optional:
        if name not in table.columns:
            table.columns[name] = blank
