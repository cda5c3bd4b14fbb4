"""Imports read amounts, numbers and dates strictly (issue 13): an ambiguous or implausible value
is a rejected row naming the row, the column and the reason (in English and Chinese); a row
that cannot be computed is rejected as that row, never failing the whole file."""

from __future__ import annotations

from pathlib import Path

import pytest

from autocollect.core import clock
from autocollect.portfolio.importers import import_loans, import_payments
from autocollect.portfolio.models import ImportBatch, Loan, Payment
from tests.portfolio.import_fixtures import (
    loan_row,
    payment_row,
    read_rejects,
    write_csv,
    write_payments_csv,
)


@pytest.fixture(autouse=True)
def rejects_dir(settings, tmp_path: Path) -> Path:
    folder = tmp_path / "rejects"
    settings.AUTOCOLLECT = {**settings.AUTOCOLLECT, "REJECTS_DIR": folder}
    return folder


def _errors(result_file: str | None) -> dict[str, str]:
    """The rejects file's error by row (line number)."""
    return {r["row"]: r["error"] for r in read_rejects(result_file or "")}


@pytest.mark.django_db
def test_ambiguous_amounts_in_a_loan_file_are_rejected_rows_that_say_why(tmp_path: Path):
    rows = [
        loan_row(1),  # line 2
        loan_row(2, principal="1,50"),  # line 3: a European 1.50, not ¥150.00
        loan_row(3, principal=",,5"),  # line 4
        loan_row(4, vehicle_price="1,0,0,0"),  # line 5
        loan_row(5, principal="٩٨٠٠٠.٠٠"),  # line 6: Arabic-Indic digits
        loan_row(6, principal="９８，０００．００", term_months="３６"),  # line 7: full-width
        loan_row(7, term_months="٣٦"),  # line 8
        loan_row(8, vehicle_year="२०२३"),  # line 9: Devanagari
        loan_row(9, principal="98,000.00", vehicle_price="129,800"),  # line 10: valid groups
        loan_row(10, annual_rate="٠.٠٦٨٨"),  # line 11
    ]
    result = import_loans(write_csv(tmp_path / "loans.csv", rows))

    assert (result.rows, result.created, result.rejected) == (10, 3, 7)
    loans = dict(Loan.objects.values_list("contract_no", "principal_fen"))
    assert loans == {loan_row(n)["contract_no"]: 9_800_000 for n in (1, 6, 9)}
    assert Loan.objects.get(contract_no=loan_row(6)["contract_no"]).term_months == 36
    errors = _errors(result.rejects_file)
    assert sorted(errors, key=int) == ["3", "4", "5", "6", "8", "9", "11"]
    assert errors["3"].startswith("principal: '1,50' has a comma in the wrong place")
    assert "“1,50”的逗号位置不对" in errors["3"]  # and in Chinese
    assert errors["4"].startswith("principal: ',,5' has a comma in the wrong place")
    assert errors["5"].startswith("vehicle_price: '1,0,0,0' has a comma in the wrong place")
    assert errors["6"].startswith("principal: '٩٨٠٠٠.٠٠' contains '٩', a digit of another script")
    assert errors["8"].startswith("term_months: '٣٦' contains '٣', a digit of another script")
    assert errors["9"].startswith("vehicle_year: '२०२३' contains '२', a digit of another script")
    assert errors["11"].startswith("annual_rate: '٠.٠٦٨٨' contains '٠', a digit of another script")


@pytest.mark.django_db
def test_a_loan_disbursed_in_1900_or_due_in_year_9999_is_rejected(tmp_path: Path):
    today = clock.localdate()
    rows = [
        loan_row(1),  # line 2
        loan_row(2, disbursed_on="1900-01-15", first_due_on="1900-02-15"),  # line 3
        loan_row(3, disbursed_on=f"{today.year + 1}-01-15"),  # line 4: disbursed next year
        loan_row(4, first_due_on="2099-02-15"),  # line 5: first due date 75 years later
    ]
    result = import_loans(write_csv(tmp_path / "loans.csv", rows))

    assert (result.created, result.rejected) == (1, 3)
    errors = _errors(result.rejects_file)
    assert errors["3"].startswith(
        "disbursed_on: The date 1900-01-15 is outside the plausible range ("
    )
    assert "日期 1900-01-15 不在合理范围内" in errors["3"]
    assert "first_due_on: The date 1900-02-15 is outside the plausible range" in errors["3"]
    assert errors["4"].startswith(f"disbursed_on: The date {today.year + 1}-01-15 is outside")
    assert errors["5"].startswith("first_due_on: The date 2099-02-15 is outside")


@pytest.mark.django_db
def test_a_row_near_year_9999_is_rejected_as_that_row_and_the_others_import(tmp_path: Path):
    rows = [
        loan_row(1),  # line 2
        loan_row(2, disbursed_on="9999-06-15", first_due_on="9999-07-15"),  # line 3
        loan_row(3),  # line 4
    ]
    result = import_loans(write_csv(tmp_path / "loans.csv", rows))

    assert (result.rows, result.created, result.rejected) == (3, 2, 1)
    assert ImportBatch.objects.get().rejected == 1
    errors = _errors(result.rejects_file)
    assert list(errors) == ["3"]
    assert errors["3"].startswith("disbursed_on: The date 9999-06-15 is outside")


@pytest.mark.django_db
def test_a_row_whose_schedule_cannot_be_computed_is_rejected_even_inside_a_wide_window(
    settings, tmp_path: Path
):
    """With windows configured wide open, the schedule running past year 9999 is still a
    rejected row, not an overflow that fails the file."""
    settings.AUTOCOLLECT = {
        **settings.AUTOCOLLECT,
        "DATE_WINDOWS": {"loan.disbursed_on": (9000, 9000), "loan.due_on": (9000, 9000)},
    }
    rows = [
        loan_row(1),  # line 2
        loan_row(2, disbursed_on="9999-06-15", first_due_on="9999-07-15"),  # line 3
        loan_row(3),  # line 4
    ]
    result = import_loans(write_csv(tmp_path / "loans.csv", rows))

    assert (result.rows, result.created, result.rejected) == (3, 2, 1)
    errors = _errors(result.rejects_file)
    assert errors["3"].startswith("first_due_on: the repayment schedule cannot be computed")


@pytest.fixture
def loans(tmp_path: Path) -> list[str]:
    rows = [
        loan_row(n, principal="10000.00", disbursed_on="2024-01-10", first_due_on="2024-02-10")
        for n in (1, 2)
    ]
    assert import_loans(write_csv(tmp_path / "loans.csv", rows)).created == 2
    return [row["contract_no"] for row in rows]


@pytest.mark.django_db
def test_ambiguous_amounts_and_implausible_dates_in_a_payment_file(
    tmp_path: Path, loans: list[str]
):
    rows = [
        payment_row("P1", loans[0], "2024-02-10", "860.66"),  # line 2
        payment_row("P2", loans[0], "2024-02-10", "1,50"),  # line 3
        payment_row("P3", loans[0], "2024-02-10", ",,5"),  # line 4
        payment_row("P4", loans[0], "2024-02-10", "1,0,0,0"),  # line 5
        payment_row("P5", loans[0], "2024-02-10", "٨٦٠.٦٦"),  # line 6
        payment_row("P6", loans[1], "2024-02-10", "８６０．６６"),  # line 7: full-width
        payment_row("P7", loans[1], "9999-12-31", "100.00"),  # line 8
        payment_row("P8", loans[1], "２０２４-０３-１０", "1,000.00"),  # line 9: full-width date
        payment_row("P9", loans[1], "٢٠٢٤-03-10", "100.00"),  # line 10
        payment_row("P10", loans[1], "2024-03-10", "1e3"),  # line 11
    ]
    result = import_payments(write_payments_csv(tmp_path / "payments.csv", rows))

    assert (result.rows, result.created, result.rejected) == (10, 3, 7)
    amounts = dict(Payment.objects.values_list("payment_ref", "amount_fen"))
    assert amounts == {"P1": 86_066, "P6": 86_066, "P8": 100_000}
    errors = _errors(result.rejects_file)
    assert sorted(errors, key=int) == ["3", "4", "5", "6", "8", "10", "11"]
    assert errors["3"].startswith("amount: '1,50' has a comma in the wrong place")
    assert errors["4"].startswith("amount: ',,5' has a comma in the wrong place")
    assert errors["5"].startswith("amount: '1,0,0,0' has a comma in the wrong place")
    assert errors["6"].startswith("amount: '٨٦٠.٦٦' contains '٨', a digit of another script")
    assert errors["8"].startswith("paid_on: The date 9999-12-31 is outside the plausible range")
    assert errors["10"].startswith("paid_on: '٢٠٢٤-03-10' contains '٢', a digit of another")
    assert errors["11"].startswith("amount: '1e3' is in exponent notation")
