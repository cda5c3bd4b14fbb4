"""Limits on what an import file may cost: an .xlsx is inspected before it is parsed, and the
rejects file is capped (docs/import-formats.md, "File limits").

An .xlsx is a zip of XML. A few hundred kilobytes can inflate to hundreds of megabytes (a zip
bomb), and a sheet is read as the rectangle its cells span, so two cells at ``A1`` and
``XFD1048576`` ask for seventeen billion. Before the spreadsheet reader sees the file,
``xlsx_check``:

1. reads the zip's directory: the number of members, the sizes each member declares and their
   sum, each member's compression ratio;
2. inflates every member itself, chunk by chunk from its compressed bytes, counting what really
   comes out (a directory can lie about sizes), and stops as soon as a limit is passed;
3. in each worksheet, counts the cells and the range they span (from the cell and row
   references, and the number of cells and rows). The ``<dimension>`` a sheet declares is
   not trusted either way: the reader lays out the cells that are there, and so does the
   count.

It refuses the file at the first limit passed, naming the limit. Nothing is kept in memory
but one chunk of one member.

Every limit is a setting, ``AUTOCOLLECT["IMPORT_LIMITS"] = {"XLSX_MAX_CELLS": …}``; a key that
is not set takes the default below.
"""

from __future__ import annotations

import re
import struct
import zipfile
import zlib
from collections.abc import Iterator
from io import BytesIO
from itertools import repeat
from pathlib import Path
from typing import Any

from django.conf import settings

from autocollect.portfolio.importers.result import ImportFileError

MB = 1024 * 1024

DEFAULT_LIMITS: dict[str, int] = {
    # Sum of every member's inflated size. A workbook of 100,000 loans (the 25 loan columns)
    # is 100 to 140 MB inflated, deflated about 12 times.
    "XLSX_MAX_BYTES": 200 * MB,
    # One member inflated (a worksheet, the shared strings).
    "XLSX_MAX_MEMBER_BYTES": 200 * MB,
    # Inflated ÷ compressed, for a member that inflates beyond XLSX_RATIO_FROM_BYTES (a small
    # member may deflate far better). Real worksheets deflate 5 to 20 times.
    "XLSX_MAX_RATIO": 100,
    "XLSX_RATIO_FROM_BYTES": 1 * MB,
    # Members of the zip: a workbook has about ten; a hundred with many sheets and pictures.
    "XLSX_MAX_MEMBERS": 1_000,
    # Cells of one worksheet: the larger of the cells it holds and the range they span (rows
    # × columns, from A1); what the reader's memory grows with. 3,000,000 is 120,000 loans.
    "XLSX_MAX_CELLS": 3_000_000,
    # The rejects file: rows written (how many more were rejected is said on a last line),
    # characters kept of one cell, and characters of all cells together.
    "REJECTS_MAX_ROWS": 100_000,
    "REJECTS_MAX_CELL": 1_000,
    "REJECTS_MAX_CHARS": 50 * MB,
}

_CHUNK = 1 * MB
# A tag longer than this is not a spreadsheet's: the scan would have to hold it whole.
_MAX_TAG = 1 * MB
_WORKSHEET = re.compile(r"^xl/worksheets/[^/]+\.xml$")
# Cells and rows are counted by their element starts with bytes.count: b"<c" (with b":c" for a
# namespace prefix, <x:c>) and b"<row" (b":row"). This also counts the few other elements
# that start so (<cols>, <col>, <cfRule>, <rowBreaks> …), which only errs on the safe side.
# A row's or a cell's reference (r="12", r="AB12"), of any length, so that no reference escapes
# the count by being longer than a spreadsheet's.
_REF = re.compile(rb'r="([A-Za-z]*[0-9]+)"')
_LETTERS = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_DIGITS = b"0123456789"
_LOCAL_HEADER = struct.Struct("<4s22xHH")  # signature … file name length, extra length
_LOCAL_SIGNATURE = b"PK\x03\x04"


def limit(key: str) -> int:
    """The limit ``key``: ``AUTOCOLLECT["IMPORT_LIMITS"][key]``, else its default."""
    block: dict[str, Any] = getattr(settings, "AUTOCOLLECT", {}).get("IMPORT_LIMITS") or {}
    return int(block.get(key, DEFAULT_LIMITS[key]))


def _mb(value: float) -> str:
    return f"{value / MB:.1f} MB"


class _LimitError(Exception):
    """A limit passed: what, which limit, the limit's value as people read it."""

    def __init__(self, what: str, key: str, shown: str) -> None:
        super().__init__(what)
        self.what, self.key, self.shown = what, key, shown


def xlsx_check(path: Path, data: bytes) -> None:
    """Raise ``ImportFileError`` when the .xlsx in ``data`` passes any limit (module doc)."""
    try:
        with zipfile.ZipFile(BytesIO(data)) as archive:
            members = archive.infolist()
        _check_directory(members)
        total = 0
        for info in members:
            total += _check_member(data, info, already=total)
    except _LimitError as refusal:
        raise ImportFileError(
            f"{path}: refused before reading: {refusal.what} is over the limit of "
            f'{refusal.shown} (AUTOCOLLECT["IMPORT_LIMITS"]["{refusal.key}"]) '
            f"/ 文件超出导入限制，未读取"
        ) from None
    except (zipfile.BadZipFile, zlib.error, struct.error, ValueError, EOFError) as exc:
        raise ImportFileError(f"{path}: not a readable Excel .xlsx file ({exc})") from exc


def _check_directory(members: list[zipfile.ZipInfo]) -> None:
    """What the zip's directory declares, before anything is inflated."""
    if len(members) > (most := limit("XLSX_MAX_MEMBERS")):
        raise _LimitError(f"{len(members)} members in the zip", "XLSX_MAX_MEMBERS", str(most))
    declared = sum(info.file_size for info in members)
    if declared > (most := limit("XLSX_MAX_BYTES")):
        raise _LimitError(
            f"uncompressed size {_mb(declared)} (解压后)", "XLSX_MAX_BYTES", _mb(most)
        )
    for info in members:
        _check_size(info, info.file_size)


def _check_size(info: zipfile.ZipInfo, size: int) -> None:
    if size > (most := limit("XLSX_MAX_MEMBER_BYTES")):
        raise _LimitError(
            f"member {info.filename} uncompressed {_mb(size)} (解压后)",
            "XLSX_MAX_MEMBER_BYTES",
            _mb(most),
        )
    ratio = size / max(info.compress_size, 1)
    if size > limit("XLSX_RATIO_FROM_BYTES") and ratio > (most := limit("XLSX_MAX_RATIO")):
        raise _LimitError(
            f"member {info.filename} compression ratio {ratio:.0f} (压缩比)",
            "XLSX_MAX_RATIO",
            str(most),
        )


def _check_member(data: bytes, info: zipfile.ZipInfo, *, already: int) -> int:
    """Inflate one member, counting; scan it when it is a worksheet. Its inflated size."""
    if info.flag_bits & 0x1:
        raise ValueError(f"member {info.filename} is encrypted")
    scan = _SheetScan() if _WORKSHEET.match(info.filename) else None
    size = 0
    most = limit("XLSX_MAX_BYTES")
    for chunk in _inflate(data, info):
        size += len(chunk)
        _check_size(info, size)
        if already + size > most:
            raise _LimitError(
                f"uncompressed size over {_mb(already + size)} (解压后)",
                "XLSX_MAX_BYTES",
                _mb(most),
            )
        if scan is not None:
            scan.feed(chunk)
            scan.check(info.filename)
    if scan is not None:
        scan.feed(b"", last=True)
        scan.check(info.filename)
    return size


def _inflate(data: bytes, info: zipfile.ZipInfo) -> Iterator[bytes]:
    """The member's bytes as they really inflate, from its compressed bytes in the file,
    whatever size the directory declares, one chunk at a time."""
    signature, name_length, extra_length = _LOCAL_HEADER.unpack_from(data, info.header_offset)
    if signature != _LOCAL_SIGNATURE:
        raise ValueError(f"member {info.filename}: bad local header")
    start = info.header_offset + _LOCAL_HEADER.size + name_length + extra_length
    raw = memoryview(data)[start : start + info.compress_size]
    if info.compress_type == zipfile.ZIP_STORED:
        for offset in range(0, len(raw), _CHUNK):
            yield bytes(raw[offset : offset + _CHUNK])
        return
    if info.compress_type != zipfile.ZIP_DEFLATED:
        raise ValueError(f"member {info.filename}: compression method {info.compress_type}")
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    for offset in range(0, len(raw), _CHUNK):
        pending = bytes(raw[offset : offset + _CHUNK])
        while pending:
            chunk = inflater.decompress(pending, _CHUNK)
            pending = inflater.unconsumed_tail
            if chunk:
                yield chunk
    if rest := inflater.flush():
        yield rest


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters.upper():
        number = number * 26 + (letter - 64)
    return number


class _SheetScan:
    """Cells, rows and the range of one worksheet, fed its XML chunk by chunk.

    A chunk is scanned up to its last tag start (``<``) when that tag is still open; the open
    tag is kept and scanned with the next chunk, so no element is split or counted twice."""

    def __init__(self) -> None:
        self.cells = 0
        self.rows = 0
        self.max_row = 0
        self.max_column = 0
        self._tail = b""

    def feed(self, chunk: bytes, *, last: bool = False) -> None:
        buffer = self._tail + chunk
        cut = len(buffer)
        start = buffer.rfind(b"<")
        if not last and start != -1 and buffer.find(b">", start) == -1:
            cut = start
        if len(buffer) - cut > _MAX_TAG:
            raise ValueError("a worksheet tag longer than 1 MB")
        part, self._tail = buffer[:cut], buffer[cut:]
        self.cells += part.count(b"<c") + part.count(b":c")
        self.rows += part.count(b"<row") + part.count(b":row")
        # map() and set() keep the per-reference work in C: a sheet holds millions.
        if refs := _REF.findall(part):
            rows = map(int, map(bytes.lstrip, refs, repeat(_LETTERS)))
            self.max_row = max(self.max_row, max(rows))
            columns = set(map(bytes.rstrip, refs, repeat(_DIGITS))) - {b""}
            if columns:
                self.max_column = max(self.max_column, max(map(_column_number, columns)))

    def size(self) -> int:
        """The cells a reader would lay out: the larger of the cells held and the range the
        references span (from A1)."""
        span = max(self.max_row, self.rows) * max(self.max_column, 1)
        return max(self.cells, span)

    def check(self, name: str) -> None:
        if (cells := self.size()) > (most := limit("XLSX_MAX_CELLS")):
            raise _LimitError(
                f"worksheet {name} spans {cells:,} cells (单元格数)", "XLSX_MAX_CELLS", f"{most:,}"
            )
