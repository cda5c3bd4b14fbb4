"""Spreadsheet limits benchmark: what the .xlsx check costs on a zip bomb and on a real book.

    .venv/bin/python benchmarks/xlsx_limits_bench.py
    .venv/bin/python benchmarks/xlsx_limits_bench.py --bomb-mb 300 --loans 100000

Builds two workbooks in a temporary folder: a zip bomb (``--bomb-mb`` MB of one repeated
row, about a megabyte deflated) and a plausible loan book of ``--loans`` rows of the 25 loan
columns. Each is checked in a fresh child process (``portfolio.importers.limits.xlsx_check``),
which prints its wall time, its outcome and its peak resident memory (``ru_maxrss``), so one run
does not colour the next. With ``--read`` the book is also read in full (``read_source``) for
comparison. The bomb is never handed to the spreadsheet reader: that is the 2.6 GB this check
prevents.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

HEAD = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
)
TAIL = "</sheetData></worksheet>"
ROW = '<row><c t="inlineStr"><is><t>AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA</t></is></c></row>'


def build_bomb(path: Path, megabytes: int) -> None:
    block = (ROW * 1000).encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(HEAD.encode())
            for _ in range(megabytes * 1024 * 1024 // len(block) + 1):
                sheet.write(block)
            sheet.write(TAIL.encode())


def build_book(path: Path, loans: int) -> None:
    import openpyxl

    from autocollect.portfolio.importers.loan_rows import LOAN_COLUMNS
    from tests.portfolio.import_fixtures import loan_row

    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(list(LOAN_COLUMNS))
    for n in range(loans):
        row = loan_row(n)
        sheet.append([row[c] for c in LOAN_COLUMNS])
    workbook.save(path)


def child(path: str, read: bool) -> None:
    """Run in the child process: check (and maybe read) one file, print one JSON line."""
    import resource
    import time

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.default")
    django.setup()
    from autocollect.portfolio.importers.limits import xlsx_check
    from autocollect.portfolio.importers.readers import read_source
    from autocollect.portfolio.importers.result import ImportFileError

    data = Path(path).read_bytes()
    started = time.perf_counter()
    outcome = "accepted"
    try:
        if read:
            read_source(Path(path), required=["contract_no"])
        else:
            xlsx_check(Path(path), data)
    except ImportFileError as exc:
        outcome = str(exc).split(": ", 1)[-1][:160]
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {
                "file": Path(path).name,
                "size_kb": len(data) // 1024,
                "what": "read" if read else "check",
                "seconds": round(time.perf_counter() - started, 2),
                "peak_mb": round(peak_kb / 1024, 1),
                "outcome": outcome,
            },
            ensure_ascii=False,
        )
    )


def run(path: Path, *, read: bool = False) -> None:
    args = [sys.executable, __file__, "--child", str(path)]
    args += ["--read"] if read else []
    subprocess.run(args, check=True, cwd=ROOT)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bomb-mb", type=int, default=300)
    parser.add_argument("--loans", type=int, default=20_000)
    parser.add_argument("--read", action="store_true", help="also read the loan book in full")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.child:
        child(options.child, options.read)
        return
    with tempfile.TemporaryDirectory() as folder:
        bomb, book = Path(folder) / "bomb.xlsx", Path(folder) / "book.xlsx"
        build_bomb(bomb, options.bomb_mb)
        run(bomb)
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.default")
        import django

        django.setup()
        build_book(book, options.loans)
        run(book)
        if options.read:
            run(book, read=True)


if __name__ == "__main__":
    main()
