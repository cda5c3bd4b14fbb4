"""Every spreadsheet file the product writes goes through ``core.exports`` (docs/evidence.md,
"Safe cells"), where a text cell a spreadsheet would run as a formula is neutralised.

The production code's syntax tree is walked for what writes CSV or a workbook by another way:
``csv.writer`` / ``csv.DictWriter`` (by attribute or imported by name), the spreadsheet
libraries (``openpyxl``, ``xlsxwriter``, ``xlwt``) imported at all, and the frame writers that
produce a file — polars' and pandas' ``write_csv(target)``, ``write_excel``, ``to_csv``,
``to_excel``. ``write_csv()`` with no target returns text and writes nothing (the importers
hash a DataFrame that way), so it passes. The one module allowed is ``core/exports.py``."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
ALLOWED = {"autocollect/core/exports.py"}
CSV_WRITERS = {"writer", "DictWriter"}
SPREADSHEET_LIBRARIES = {"openpyxl", "xlsxwriter", "xlwt", "pyexcelerate"}
FILE_WRITERS = {"write_excel", "to_csv", "to_excel"}


def production_files() -> list[Path]:
    files = [*(ROOT / "autocollect").rglob("*.py"), *(ROOT / "config").rglob("*.py")]
    return sorted(p for p in files if "migrations" not in p.parts)


def violations(tree: ast.AST) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] in SPREADSHEET_LIBRARIES:
                    found.append((node.lineno, f"imports {alias.name}"))
        elif isinstance(node, ast.ImportFrom) and node.module:
            if node.module.split(".")[0] in SPREADSHEET_LIBRARIES:
                found.append((node.lineno, f"imports from {node.module}"))
            if node.module == "csv" and {a.name for a in node.names} & CSV_WRITERS:
                found.append((node.lineno, "imports a csv writer"))
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            name = node.func.attr
            owner = node.func.value
            if name in CSV_WRITERS and isinstance(owner, ast.Name) and owner.id == "csv":
                found.append((node.lineno, f"csv.{name}"))
            elif name in FILE_WRITERS or (name == "write_csv" and (node.args or node.keywords)):
                found.append((node.lineno, f".{name}(…)"))
    return found


def test_only_core_exports_writes_spreadsheet_files() -> None:
    wrong = [
        f"{path.relative_to(ROOT)}:{line}: {what}"
        for path in production_files()
        if path.relative_to(ROOT).as_posix() not in ALLOWED
        for line, what in violations(ast.parse(path.read_text(encoding="utf-8")))
    ]
    assert wrong == [], "write spreadsheets through autocollect.core.exports"


def test_the_check_sees_each_way_of_writing() -> None:
    source = """
import csv
import openpyxl
from csv import DictWriter
w = csv.writer(handle)
frame.write_csv(path)
frame.write_excel("x.xlsx")
frame.to_csv("x.csv")
text = frame.write_csv()
"""
    assert [line for line, _ in violations(ast.parse(source))] == [3, 4, 5, 6, 7, 8]


def test_core_exports_is_where_the_writer_is() -> None:
    path = ROOT / "autocollect/core/exports.py"
    assert violations(ast.parse(path.read_text(encoding="utf-8")))
