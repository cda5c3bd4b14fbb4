"""Reading sources into text cells: encodings, Excel, Parquet, DataFrames, refusals."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import openpyxl
import polars as pl
import pytest

from autocollect.portfolio.importers.readers import DATAFRAME_LABEL, read_source
from autocollect.portfolio.importers.result import ImportFileError

COLUMNS = ["name", "amount", "day"]


def _read(source, **kwargs):
    return read_source(source, required=COLUMNS, **kwargs)


def test_utf8_csv_with_byte_order_mark_keeps_the_first_column_name(tmp_path: Path):
    path = tmp_path / "bom.csv"
    path.write_bytes("\ufeffname,amount,day\n张三,1.00,2024-01-01\n".encode())

    table = _read(path)

    assert table.header == COLUMNS
    assert table.columns["name"] == ["张三"]


def test_gbk_csv_is_detected_without_being_told(tmp_path: Path):
    path = tmp_path / "gbk.csv"
    path.write_bytes("name,amount,day\n欧阳娜娜,2.50,2024-01-01\n".encode("gbk"))

    assert _read(path).columns["name"] == ["欧阳娜娜"]


def test_encoding_argument_overrides_detection(tmp_path: Path):
    path = tmp_path / "big5.csv"
    path.write_bytes("name,amount,day\n陳大文,2.50,2024-01-01\n".encode("big5"))

    assert _read(path, encoding="big5").columns["name"] == ["陳大文"]
    with pytest.raises(ImportFileError, match="unknown encoding 'klingon'"):
        _read(path, encoding="klingon")
    with pytest.raises(ImportFileError, match="not valid ascii at line 2"):
        _read(path, encoding="ascii")


def test_header_names_are_trimmed_and_lowercased_and_blank_lines_keep_numbering(tmp_path: Path):
    path = tmp_path / "loose.csv"
    path.write_text(" Name ,AMOUNT,day\na,1,2024-01-01\n,,\nb,2,2024-01-02\n", encoding="utf-8")

    table = _read(path)

    assert table.header == COLUMNS
    assert table.columns["name"] == ["a", "b"]
    assert table.line_numbers == [2, 4]


def test_short_rows_are_padded_and_long_rows_flagged(tmp_path: Path):
    path = tmp_path / "ragged.csv"
    path.write_text("name,amount,day\na,1\nb,2,2024-01-02,extra\n", encoding="utf-8")

    table = _read(path)

    assert table.columns["day"] == ["", "2024-01-02"]
    assert table.row_errors == {1: [("row", "has 4 cells but the header has 3 columns")]}


def test_xlsx_cells_come_out_as_the_text_a_person_typed(tmp_path: Path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["name", "amount", "day", "count", "rate", "id"])
    sheet.append(["a", 1234.56, date(2024, 1, 5), 36, 0.0688, "110101199003071234"])
    sheet.append(["b", 0.1 + 0.2, datetime(2024, 2, 29, 0, 0), 100000, 0.00001, None])
    sheet.append([None, None, None, None, None, None])
    sheet.append(["c", 98765.4, "2024-03-01", 1.0, 0.068800, "x"])
    path = tmp_path / "cells.xlsx"
    workbook.save(path)

    table = _read(path)

    assert table.columns["amount"] == ["1234.56", "0.3", "98765.4"]
    assert table.columns["day"] == ["2024-01-05", "2024-02-29", "2024-03-01"]
    assert table.columns["count"] == ["36", "100000", "1"]
    assert table.columns["rate"] == ["0.0688", "0.00001", "0.0688"]
    assert table.columns["id"] == ["110101199003071234", "", "x"]
    # The empty spreadsheet row is skipped but the next row keeps its line number.
    assert table.line_numbers == [2, 3, 5]


def test_parquet_columns_of_every_natural_type_are_cast_to_text(tmp_path: Path):
    frame = pl.DataFrame(
        {
            "name": ["a", None],
            "amount": [Decimal("12.30"), Decimal("0.05")],
            "day": [date(2024, 1, 5), date(2024, 12, 31)],
            "count": [36, 12],
            "price": [129800.0, 0.1 + 0.2],
            "at": [datetime(2024, 1, 5), datetime(2024, 1, 5, 8, 30)],
        },
        schema_overrides={"amount": pl.Decimal(10, 2)},
    )
    path = tmp_path / "typed.parquet"
    frame.write_parquet(path)

    table = _read(path)

    assert table.columns["name"] == ["a", ""]
    assert table.columns["amount"] == ["12.30", "0.05"]
    assert table.columns["day"] == ["2024-01-05", "2024-12-31"]
    assert table.columns["count"] == ["36", "12"]
    assert table.columns["price"] == ["129800", "0.3"]
    assert table.columns["at"] == ["2024-01-05", "2024-01-05 08:30:00"]


def test_dataframe_source_is_labelled_and_hashed():
    frame = pl.DataFrame({"name": ["a"], "amount": ["1.00"], "day": ["2024-01-01"]})

    first = _read(frame)
    second = _read(frame.with_columns(pl.lit("2.00").alias("amount")))

    assert first.label == DATAFRAME_LABEL
    assert len(first.sha256) == 64
    assert first.sha256 != second.sha256


def test_missing_required_columns_are_all_named(tmp_path: Path):
    path = tmp_path / "partial.csv"
    path.write_text("name,other\nx,y\n", encoding="utf-8")

    with pytest.raises(ImportFileError) as refused:
        _read(path)

    assert "missing required column(s) amount, day" in refused.value.message
    assert "found: name, other" in refused.value.message


def test_optional_columns_absent_from_the_file_read_as_empty(tmp_path: Path):
    path = tmp_path / "min.csv"
    path.write_text("name,amount,day\nx,1,2024-01-01\n", encoding="utf-8")

    table = read_source(path, required=COLUMNS, optional=["channel"])

    assert table.columns["channel"] == [""]
    assert "channel" not in table.header


def test_a_column_named_twice_is_refused(tmp_path: Path):
    path = tmp_path / "twice.csv"
    path.write_text("name,amount,day,Name\nx,1,2024-01-01,y\n", encoding="utf-8")

    with pytest.raises(ImportFileError, match="column 'name' appears twice"):
        _read(path)


def test_text_that_is_neither_utf8_nor_gb18030_is_refused(tmp_path: Path):
    path = tmp_path / "latin.csv"
    # 0x80 followed by 0x20 is not valid UTF-8, and 0x80 is not a GB18030 lead byte.
    path.write_bytes(b"name,amount,day\n\x80 ,1,2024-01-01\n")

    with pytest.raises(ImportFileError, match="neither UTF-8 nor GBK/GB18030"):
        _read(path)


def test_a_directory_is_refused(tmp_path: Path):
    with pytest.raises(ImportFileError, match="not a file"):
        _read(tmp_path)


def test_rows_with_fewer_cells_read_the_missing_ones_as_empty(tmp_path: Path):
    path = tmp_path / "short.csv"
    path.write_text('name,amount,day\r\na,1\r\n"b\r\nc",2,2024-01-02\r\n', encoding="utf-8")

    table = _read(path)

    assert table.columns["name"] == ["a", "b\r\nc"]
    assert table.columns["day"] == ["", "2024-01-02"]
    assert table.line_numbers == [2, 3]
    assert table.row_errors == {}
