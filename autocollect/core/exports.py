"""The one way the product writes a spreadsheet file (CSV today): every cell made safe to open.

A spreadsheet (Excel, WPS, LibreOffice) runs a cell that starts with ``=`` as a formula; ``+``,
``-`` and ``@`` start one too, and a leading tab or carriage return hides the character after
it. A note typed by a collector or imported with a borrower, such as
``=HYPERLINK("http://…","点击")``, would become a live link or worse in the evidence package
or a rejects file (CSV injection, OWASP). The rule here is OWASP's: a **text** cell whose first
character is one of ``= + - @``, tab (0x09) or carriage return (0x0D), or the full-width
``＝ ＋ － ＠`` (Excel and WPS on Chinese systems take those as formula starts as well), is
written with a single quote ``'`` before it. The spreadsheet shows the text as it was; the
quote is visible in the cell, which is the price of not running it.

Numbers are not touched: an ``int``, ``Decimal`` or ``float`` is written as it is, and so is
text that is a plain decimal number — an optional sign, ASCII digits, at most one decimal
point (``-12.50``, ``+3``, ``-7``). Such a cell cannot be a formula (a spreadsheet reads it as
the number), so a negative amount stays a negative number and a rejects file with one can be
imported again unchanged. Anything else after a sign (``-1+2``, ``-2+3+cmd|' /C calc'!A0``,
``-1e5``) is text and is neutralised. ``neutralised_text`` undoes the quote when such a file
comes back in (the importers' readers use it).

Writers: ``write_csv`` (rows to an open text handle) and ``csv_bytes`` (rows to UTF-8 bytes
with a byte order mark, so that Excel on a Chinese Windows reads the Chinese text). Nothing
else in ``autocollect`` may create a CSV writer or a workbook: ``tests/house/test_exports.py``
fails on one.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TextIO

# ASCII formula starts (OWASP) and the full-width forms of = + - @ (U+FF1D, U+FF0B, U+FF0D,
# U+FF20).
FORMULA_STARTS = frozenset("=+-@\t\r\uff1d\uff0b\uff0d\uff20")
QUOTE = "'"
_PLAIN_NUMBER = re.compile(r"[+-]?[0-9]+(?:\.[0-9]+)?")


def safe_cell(value: Any) -> Any:
    """``value`` as it may go into a spreadsheet cell: numbers, dates and ``None`` unchanged;
    text that a spreadsheet would run as a formula prefixed with ``'``."""
    if value is None or isinstance(value, (bool, int, date, datetime)):
        return value
    if isinstance(value, Decimal) and value.is_finite():
        return value
    if isinstance(value, float) and math.isfinite(value):
        return value
    text = value if isinstance(value, str) else str(value)
    if text and text[0] in FORMULA_STARTS and not _PLAIN_NUMBER.fullmatch(text):
        return QUOTE + text
    return text


def safe_row(values: Iterable[Any]) -> list[Any]:
    return [safe_cell(v) for v in values]


def neutralised_text(text: str) -> str:
    """The text ``safe_cell`` was given, for a cell read back from a file it wrote: one leading
    ``'`` before a formula start is removed; any other text is returned as it is."""
    if len(text) > 1 and text[0] == QUOTE and text[1] in FORMULA_STARTS:
        return text[1:]
    return text


def write_csv(
    handle: TextIO, rows: Iterable[Iterable[Any]], *, lineterminator: str = "\r\n"
) -> int:
    """Write ``rows`` (the header first, if any) to ``handle`` as RFC 4180 CSV, every cell
    through ``safe_cell``; ``None`` is an empty cell. Returns the number of rows written."""
    writer = csv.writer(handle, lineterminator=lineterminator)
    count = 0
    for row in rows:
        writer.writerow(["" if v is None else v for v in safe_row(row)])
        count += 1
    return count


def csv_bytes(rows: Iterable[Iterable[Any]]) -> bytes:
    """``rows`` as CSV (``write_csv``), encoded UTF-8 with a byte order mark."""
    buffer = io.StringIO()
    write_csv(buffer, rows)
    return buffer.getvalue().encode("utf-8-sig")
