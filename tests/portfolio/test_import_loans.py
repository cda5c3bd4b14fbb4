"""Loan import: row validation, rejects file, idempotency, what gets created, formats, CLI."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from pathlib import Path

import openpyxl
import polars as pl
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from autocollect.core import bulk
from autocollect.core.calendar import HolidayRule, adjust_due_date
from autocollect.core.crypto import national_id_index
from autocollect.engine.loanmath import build_schedule
from autocollect.portfolio.importers import (
    ImportFileError,
    ImportResult,
    import_loans,
)
from autocollect.portfolio.importers.loan_rows import LOAN_COLUMNS
from autocollect.portfolio.importers.loan_writes import installment_rows
from autocollect.portfolio.models import (
    Borrower,
    ContactPoint,
    ImportBatch,
    Installment,
    Loan,
    MortgageStatus,
    Product,
    Vehicle,
)
from tests.portfolio.import_fixtures import (
    bad_check_digit,
    batch_count,
    loan_row,
    national_id,
    read_rejects,
    table_counts,
    vin,
    write_csv,
)

ROOT = Path(__file__).resolve().parent.parent.parent


@pytest.fixture(autouse=True)
def rejects_dir(settings, tmp_path: Path) -> Path:
    folder = tmp_path / "rejects"
    settings.AUTOCOLLECT = {**settings.AUTOCOLLECT, "REJECTS_DIR": folder}
    return folder


def _by_contract(rejects: Iterable[dict[str, str]]) -> dict[str, dict[str, str]]:
    return {r["contract_no"]: r for r in rejects}


@pytest.mark.django_db
def test_mixed_gbk_file_accepts_good_rows_and_rejects_each_bad_row_with_line_and_reason(
    tmp_path: Path,
):
    wrong_vin = vin(12)
    wrong_vin = wrong_vin[:8] + ("0" if wrong_vin[8] != "0" else "1") + wrong_vin[9:]
    rows = [
        loan_row(1),  # line 2
        loan_row(2),  # line 3
        loan_row(11, national_id=bad_check_digit(national_id(11))),  # line 4
        loan_row(12, vin=wrong_vin),  # line 5
        loan_row(13, principal="-5000.00"),  # line 6
        loan_row(14, repayment_method="balloon"),  # line 7
        loan_row(15, disbursed_on="2024-02-30"),  # line 8
        loan_row(3),  # line 9
        loan_row(16, contract_no=loan_row(2)["contract_no"]),  # line 10: duplicate of line 3
    ]
    path = write_csv(tmp_path / "借款合同.csv", rows, encoding="gbk")

    result = import_loans(path)

    assert (result.rows, result.accepted, result.created, result.rejected) == (9, 3, 3, 6)
    assert set(Loan.objects.values_list("contract_no", flat=True)) == {
        loan_row(n)["contract_no"] for n in (1, 2, 3)
    }
    # Chinese text came through the GBK decoding intact.
    assert (
        Borrower.objects.get(national_id_index=national_id_index(national_id(1))).name
        == loan_row(1)["borrower_name"]
    )
    assert result.rejects_file is not None
    rejects = read_rejects(result.rejects_file)
    assert [r["row"] for r in rejects] == ["4", "5", "6", "7", "8", "10"]
    by_contract = _by_contract(r for r in rejects if r["row"] != "10")
    assert by_contract[loan_row(11)["contract_no"]]["error"].startswith("national_id: check digit")
    assert by_contract[loan_row(12)["contract_no"]]["error"].startswith("vin: check digit")
    assert by_contract[loan_row(13)["contract_no"]]["error"].startswith("principal: ")
    assert "greater than zero" in by_contract[loan_row(13)["contract_no"]]["error"]
    assert by_contract[loan_row(14)["contract_no"]]["error"].startswith(
        "repayment_method: 'balloon' is not one of"
    )
    assert by_contract[loan_row(15)["contract_no"]]["error"] == (
        "disbursed_on: '2024-02-30' is not a real date"
    )
    duplicate = next(r for r in rejects if r["row"] == "10")
    assert duplicate["error"] == "contract_no: duplicate of row 3"
    # The rejected rows are written back as they came in, Chinese included.
    assert duplicate["borrower_name"] == loan_row(16)["borrower_name"]


@pytest.mark.django_db
def test_a_row_with_several_errors_lists_every_one_in_column_order(tmp_path: Path):
    row = loan_row(
        1,
        mobile="12345",
        annual_rate="6.88",
        term_months="0",
        first_due_on="2024-01-01",
        vehicle_year="1970",
        email="not-an-email",
    )
    result = import_loans(write_csv(tmp_path / "loans.csv", [row]))

    assert result.rejected == 1
    (reject,) = read_rejects(result.rejects_file or "")
    columns = [part.split(":", 1)[0] for part in reject["error"].split("; ")]
    assert columns == [
        "mobile",
        "email",
        "annual_rate",
        "term_months",
        "first_due_on",
        "vehicle_year",
    ]
    assert "write 6.88% as 0.0688" in reject["error"]
    assert "is not after disbursed_on 2024-01-15" in reject["error"]


@pytest.mark.django_db
def test_missing_required_values_are_named(tmp_path: Path):
    row = loan_row(1, borrower_name=" ", vin="", city="")
    result = import_loans(write_csv(tmp_path / "loans.csv", [row]))

    (reject,) = read_rejects(result.rejects_file or "")
    assert reject["error"] == (
        "borrower_name: required / 必填; city: required / 必填; vin: required / 必填"
    )


@pytest.mark.django_db
def test_second_import_of_the_same_file_changes_nothing(tmp_path: Path):
    path = write_csv(
        tmp_path / "loans.csv",
        [loan_row(1), loan_row(2), loan_row(3, principal="abc")],
    )
    first = import_loans(path)
    before = table_counts()
    batches = batch_count()

    second = import_loans(path)

    assert table_counts() == before
    assert batch_count() == batches + 1
    assert (first.created, first.unchanged, first.rejected) == (2, 0, 1)
    assert (second.created, second.unchanged, second.accepted, second.rejected) == (0, 2, 2, 1)


@pytest.mark.django_db
def test_same_contract_with_different_data_is_rejected_not_overwritten(tmp_path: Path):
    import_loans(write_csv(tmp_path / "first.csv", [loan_row(1)]))
    changed = loan_row(1, principal="99000.00")

    result = import_loans(write_csv(tmp_path / "second.csv", [changed]))

    assert (result.accepted, result.rejected) == (0, 1)
    (reject,) = read_rejects(result.rejects_file or "")
    assert reject["error"].startswith("contract_no: already imported with different data")
    assert Loan.objects.get().principal_fen == 9_800_000


@pytest.mark.django_db
def test_import_creates_borrower_contacts_loan_vehicle_and_the_full_schedule(tmp_path: Path):
    woman = national_id(7, born=date(1990, 6, 30), male=False)
    row = loan_row(7, national_id=woman, email="Wang.Fang@Example.CN", plate="")
    import_loans(write_csv(tmp_path / "loans.csv", [row]))

    borrower = Borrower.objects.get()
    assert (borrower.national_id, borrower.gender, borrower.birth_date) == (
        woman,
        "F",
        date(1990, 6, 30),
    )
    contacts = set(
        ContactPoint.objects.values_list(
            "kind", "value", "owner", "owner_name", "relationship", "status"
        )
    )
    assert contacts == {
        ("mobile", "+8613800000007", "borrower", "", "", "unverified"),
        ("email", "wang.fang@example.cn", "borrower", "", "", "unverified"),
        ("mobile", "+8613900000007", "emergency", "李7", "配偶", "unverified"),
        ("address", "广东省深圳市南山区科技路7号", "borrower", "", "", "unverified"),
    }
    loan = Loan.objects.get()
    assert loan.borrower == borrower
    assert loan.product == Product.objects.get(is_default=True)
    assert (loan.principal_fen, loan.annual_rate, loan.term_months) == (
        9_800_000,
        Decimal("0.068800"),
        36,
    )
    assert (loan.repayment_method, loan.timezone, loan.credit_fen) == (
        "equal_installment",
        "Asia/Shanghai",
        0,
    )
    assert (loan.province, loan.city, loan.dealer) == ("广东", "深圳", "深圳比亚迪南山店")
    assert len(loan.source_hash) == 64
    vehicle = Vehicle.objects.get()
    assert (vehicle.loan, vehicle.vin, vehicle.plate, vehicle.year, vehicle.price_fen) == (
        loan,
        vin(7),
        "",
        2023,
        12_980_000,
    )
    # No plate yet, so the mortgage cannot have been registered either.
    assert vehicle.mortgage_status == MortgageStatus.PENDING
    expected = build_schedule(
        principal_fen=9_800_000,
        annual_rate=Decimal("0.0688"),
        term=36,
        method="equal_installment",
        first_due_on=date(2024, 2, 15),
    )
    stored = list(
        Installment.objects.filter(loan=loan)
        .order_by("seq")
        .values_list("seq", "due_on", "principal_fen", "interest_fen", "penalty_fen")
    )
    assert stored == [(i.seq, i.due_on, i.principal_fen, i.interest_fen, 0) for i in expected]
    assert sum(s[2] for s in stored) == loan.principal_fen


@pytest.mark.django_db
def test_product_holiday_rule_moves_due_dates_like_build_schedule(tmp_path: Path):
    Product.objects.create(code="AUTO-HOL", name="顺延", holiday_rule=HolidayRule.NEXT_WORKDAY)
    # 2024-10-01 is National Day: the due date moves to the next working day.
    row = loan_row(
        1,
        product_code="AUTO-HOL",
        repayment_method="equal_principal",
        disbursed_on="2024-09-01",
        first_due_on="2024-10-01",
        term_months="12",
    )
    import_loans(write_csv(tmp_path / "loans.csv", [row]))

    expected = build_schedule(
        principal_fen=9_800_000,
        annual_rate=Decimal("0.0688"),
        term=12,
        method="equal_principal",
        first_due_on=date(2024, 10, 1),
        adjust=lambda d: adjust_due_date(d, HolidayRule.NEXT_WORKDAY),
    )
    stored = list(
        Installment.objects.order_by("seq").values_list("due_on", "principal_fen", "interest_fen")
    )
    assert stored == [(i.due_on, i.principal_fen, i.interest_fen) for i in expected]
    assert stored[0][0] == date(2024, 10, 8)


@pytest.mark.parametrize("method", ["equal_installment", "equal_principal", "interest_first"])
def test_installment_rows_equal_build_schedule_for_every_method(method: str):
    from autocollect.portfolio.importers.loan_rows import LoanRow
    from autocollect.portfolio.models import Product

    product = Product(code="X", name="x", holiday_rule=HolidayRule.PREVIOUS_WORKDAY)
    row = LoanRow(
        index=0,
        contract_no="C",
        borrower_name="n",
        national_id=None,  # type: ignore[arg-type]
        mobile="",
        email="",
        province="",
        city="",
        product=product,
        principal_fen=12_345_678,
        annual_rate=Decimal("0.0799"),
        term_months=48,
        repayment_method=method,
        disbursed_on=date(2024, 1, 31),
        first_due_on=date(2024, 1, 31),
        vin="",
        plate="",
        vehicle_brand="",
        vehicle_model="",
        vehicle_year=2024,
        vehicle_price_fen=1,
        dealer="",
        emergency_name="",
        emergency_mobile="",
        emergency_relation="",
        source_hash="",
    )
    expected = build_schedule(
        principal_fen=12_345_678,
        annual_rate=Decimal("0.0799"),
        term=48,
        method=method,
        first_due_on=date(2024, 1, 31),
        adjust=lambda d: adjust_due_date(d, HolidayRule.PREVIOUS_WORKDAY),
    )
    rows = list(installment_rows([(99, row)]))
    assert rows == [
        (99, i.seq, i.due_on, i.principal_fen, i.interest_fen, 0, 0, 0, 0) for i in expected
    ]


@pytest.mark.django_db
def test_unknown_product_code_is_rejected_and_empty_code_means_default_product(tmp_path: Path):
    rows = [loan_row(1, product_code="NOPE"), loan_row(2, product_code="")]
    result = import_loans(write_csv(tmp_path / "loans.csv", rows))

    (reject,) = read_rejects(result.rejects_file or "")
    assert reject["error"] == "product_code: unknown product code 'NOPE'"
    assert Loan.objects.get().product.code == "AUTO-STD"


@pytest.mark.django_db
def test_vin_already_financed_or_repeated_in_the_file_is_rejected(tmp_path: Path):
    import_loans(write_csv(tmp_path / "first.csv", [loan_row(1)]))
    rows = [
        loan_row(2, vin=vin(1)),  # line 2: VIN of the loan already on file
        loan_row(3, vin=vin(9)),  # line 3
        loan_row(4, vin=vin(9)),  # line 4: same VIN as line 3
    ]
    result = import_loans(write_csv(tmp_path / "second.csv", rows))

    rejects = read_rejects(result.rejects_file or "")
    assert [(r["row"], r["error"]) for r in rejects] == [
        ("2", f"vin: already financed by contract {loan_row(1)['contract_no']}"),
        ("4", "vin: same VIN as row 3"),
    ]
    assert Vehicle.objects.count() == 2


@pytest.mark.django_db
def test_known_national_id_with_a_different_name_is_rejected(tmp_path: Path):
    import_loans(write_csv(tmp_path / "first.csv", [loan_row(1)]))
    second_loan_same_person = loan_row(
        2, national_id=national_id(1), borrower_name=loan_row(1)["borrower_name"]
    )
    other_name = loan_row(3, national_id=national_id(1), borrower_name="王五")
    in_file_a = loan_row(4, national_id=national_id(4), borrower_name="赵六")
    in_file_b = loan_row(5, national_id=national_id(4), borrower_name="赵七")

    result = import_loans(
        write_csv(
            tmp_path / "second.csv",
            [second_loan_same_person, other_name, in_file_a, in_file_b],
        )
    )

    rejects = read_rejects(result.rejects_file or "")
    assert [(r["row"], r["error"]) for r in rejects] == [
        (
            "3",
            f"borrower_name: national_id is already on file as borrower "
            f"'{loan_row(1)['borrower_name']}'",
        ),
        ("5", "borrower_name: row 4 gives '赵六' for the same national_id"),
    ]
    # The second loan of a known borrower reuses the borrower and adds no duplicate contacts.
    assert Borrower.objects.count() == 2
    person = Borrower.objects.get(national_id_index=national_id_index(national_id(1)))
    assert person.loans.count() == 2
    assert person.contacts.filter(kind="mobile", owner="borrower").count() == 2


@pytest.mark.django_db
def test_emergency_contact_needs_both_name_and_mobile(tmp_path: Path):
    rows = [
        loan_row(1, emergency_contact_mobile=""),
        loan_row(2, emergency_contact_name=""),
        loan_row(
            3,
            emergency_contact_name="",
            emergency_contact_mobile="",
            emergency_contact_relation="",
        ),
    ]
    result = import_loans(write_csv(tmp_path / "loans.csv", rows))

    rejects = read_rejects(result.rejects_file or "")
    assert [r["error"] for r in rejects] == [
        "emergency_contact_mobile: required when emergency_contact_name is given",
        "emergency_contact_name: required when emergency_contact_mobile is given",
    ]
    assert result.created == 1
    assert not ContactPoint.objects.filter(owner="emergency").exists()


@pytest.mark.django_db
def test_rejects_file_defaults_to_rejects_dir_and_can_be_chosen(tmp_path: Path, rejects_dir):
    path = write_csv(tmp_path / "book.csv", [loan_row(1, principal="x")])
    default = import_loans(path)
    chosen = import_loans(path, rejects_path=tmp_path / "mine.csv")

    assert default.rejects_file is not None
    assert Path(default.rejects_file).parent == rejects_dir
    assert Path(default.rejects_file).name.startswith("book.rejects.")
    assert chosen.rejects_file == str(tmp_path / "mine.csv")
    # UTF-8 with a byte order mark, so that Excel shows the Chinese names.
    assert Path(chosen.rejects_file).read_bytes().startswith(b"\xef\xbb\xbf")
    assert ImportBatch.objects.latest("id").rejects_file == chosen.rejects_file


@pytest.mark.django_db
def test_clean_file_writes_no_rejects_file_and_records_the_batch(tmp_path: Path, rejects_dir):
    path = write_csv(tmp_path / "loans.csv", [loan_row(1)])
    result = import_loans(path, actor="li.lei")

    assert result.rejects_file is None
    assert not rejects_dir.exists() or not any(rejects_dir.iterdir())
    batch = ImportBatch.objects.get()
    assert (batch.kind, batch.actor, batch.rows, batch.accepted, batch.created) == (
        "loans",
        "li.lei",
        1,
        1,
        1,
    )
    assert batch.file_name == str(path)
    assert len(batch.file_sha256) == 64
    assert batch.finished_at is not None
    assert batch.finished_at >= batch.started_at


@pytest.mark.django_db
def test_xlsx_with_typed_numbers_and_date_cells_imports_exactly(tmp_path: Path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(list(LOAN_COLUMNS))
    row = loan_row(1)
    typed: dict[str, object] = {
        **row,
        "principal": 98765.43,
        "annual_rate": 0.0688,
        "term_months": 36,
        "disbursed_on": date(2024, 1, 15),
        "first_due_on": date(2024, 2, 15),
        "vehicle_year": 2023,
        # A computed cell: binary floating point gives 129800.30000000002.
        "vehicle_price": 129800.1 + 0.2,
    }
    sheet.append([typed[c] for c in LOAN_COLUMNS])
    path = tmp_path / "loans.xlsx"
    workbook.save(path)

    result = import_loans(path)

    assert (result.created, result.rejected) == (1, 0)
    loan = Loan.objects.get()
    assert (loan.principal_fen, loan.annual_rate, loan.term_months) == (
        9_876_543,
        Decimal("0.068800"),
        36,
    )
    assert (loan.disbursed_on, loan.first_due_on) == (date(2024, 1, 15), date(2024, 2, 15))
    assert Vehicle.objects.get().price_fen == 12_980_030
    assert Installment.objects.count() == 36


@pytest.mark.django_db
def test_parquet_with_natural_types_imports_and_rejects_like_csv(tmp_path: Path):
    rows = [loan_row(1), loan_row(2, vehicle_year="1980")]
    frame = pl.DataFrame(rows).with_columns(
        pl.col("term_months").cast(pl.Int64),
        pl.col("vehicle_year").cast(pl.Int32),
        pl.col("disbursed_on").str.to_date(),
        pl.col("first_due_on").str.to_date(),
        pl.col("principal").cast(pl.Decimal(12, 2)),
        pl.col("email").replace("user1@example.cn", None),
    )
    path = tmp_path / "loans.parquet"
    frame.write_parquet(path)

    result = import_loans(path)

    assert (result.created, result.rejected) == (1, 1)
    (reject,) = read_rejects(result.rejects_file or "")
    latest = timezone.localdate().year + 1
    assert (reject["row"], reject["error"]) == (
        "3",
        f"vehicle_year: 1980 is outside 1990..{latest} / 1980 不在 1990 至 {latest} 的范围内",
    )
    loan = Loan.objects.get()
    assert (loan.contract_no, loan.principal_fen, loan.first_due_on) == (
        loan_row(1)["contract_no"],
        9_800_000,
        date(2024, 2, 15),
    )
    assert not ContactPoint.objects.filter(kind="email").exists()


@pytest.mark.django_db
def test_dataframe_source_takes_the_same_validation_path(tmp_path: Path):
    frame = pl.DataFrame([loan_row(1), loan_row(2, national_id="110101198503120000")])

    result = import_loans(frame, rejects_path=tmp_path / "rejects.csv")

    assert isinstance(result, ImportResult)
    assert (result.file, result.rows, result.created, result.rejected) == ("<dataframe>", 2, 1, 1)
    (reject,) = read_rejects(tmp_path / "rejects.csv")
    assert reject["row"] == "3"
    assert reject["error"].startswith("national_id: check digit")
    assert ImportBatch.objects.get().file_name == "<dataframe>"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("missing.csv", None, "file not found"),
        ("garbage.csv", bytes(range(256)) * 8, "binary content"),
        ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 500, "legacy .xls"),
        ("broken.xlsx", b"PK\x03\x04 not really a zip", "not a readable Excel"),
        ("broken.parquet", b"PAR1 nothing else", "not a readable Parquet"),
        ("empty.csv", b"", "empty"),
        (
            "columns.csv",
            "contract_no,borrower_name,mobile\nHT1,张三,13800000000\n".encode(),
            "missing required column(s) national_id, province, city, principal",
        ),
    ],
)
def test_unreadable_file_is_refused_with_a_clear_message_and_nothing_written(
    tmp_path: Path, name: str, content: bytes | None, message: str
):
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    before = table_counts()

    with pytest.raises(ImportFileError) as refused:
        import_loans(path)

    assert message in refused.value.message
    assert table_counts() == before
    assert batch_count() == 0


@pytest.mark.django_db
def test_a_row_with_more_cells_than_the_header_is_rejected(tmp_path: Path):
    path = write_csv(tmp_path / "loans.csv", [loan_row(1)])
    with path.open("a", encoding="utf-8") as handle:
        good = ",".join(loan_row(2).values())
        handle.write(good + ",surplus\n")
    result = import_loans(path)

    (reject,) = read_rejects(result.rejects_file or "")
    assert (reject["row"], reject["error"]) == (
        "3",
        f"row: has {len(LOAN_COLUMNS) + 1} cells but the header has {len(LOAN_COLUMNS)} columns",
    )


@pytest.mark.django_db
def test_import_command_prints_one_json_object(tmp_path: Path):
    path = write_csv(tmp_path / "loans.csv", [loan_row(1), loan_row(2, vin="X")])
    out = io.StringIO()

    call_command("import_data", "loans", str(path), "--json", stdout=out)

    payload = json.loads(out.getvalue())
    assert set(payload) == {
        "file",
        "rows",
        "accepted",
        "rejected",
        "rejects_file",
        "created",
        "unchanged",
    }
    assert (payload["rows"], payload["accepted"], payload["rejected"]) == (2, 1, 1)
    assert payload["file"] == str(path)
    assert Path(payload["rejects_file"]).exists()


@pytest.mark.django_db
def test_import_command_prints_a_summary_and_refuses_with_command_error(tmp_path: Path):
    path = write_csv(tmp_path / "loans.csv", [loan_row(1), loan_row(2, vin="X")])
    out = io.StringIO()
    call_command(
        "import_data", "loans", str(path), "--rejects", str(tmp_path / "r.csv"), stdout=out
    )
    assert "rows 2" in out.getvalue()
    assert "accepted 1" in out.getvalue()
    assert f"→ {tmp_path / 'r.csv'}" in out.getvalue()

    with pytest.raises(CommandError, match="file not found"):
        call_command("import_data", "loans", str(tmp_path / "nope.csv"))


def test_cli_exits_1_without_traceback_when_the_file_is_refused(tmp_path: Path):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"}
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "autocollect.cli",
            "import",
            "loans",
            str(tmp_path / "missing.csv"),
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        check=False,
    )
    assert completed.returncode == 1
    assert "file not found" in completed.stderr
    assert "Traceback" not in completed.stderr


@pytest.mark.django_db
def test_documented_example_file_imports_cleanly():
    result = import_loans(ROOT / "docs" / "examples" / "loans.csv")

    assert result.rejected == 0
    assert result.created == result.rows > 0


def _foreign_keys(table: str) -> list[tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = %s::regclass AND contype = 'f' ORDER BY conname",
            [table],
        )
        return list(cursor.fetchall())


@pytest.mark.django_db
def test_large_load_path_writes_the_same_rows_and_restores_foreign_keys(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    table = Installment._meta.db_table
    before = _foreign_keys(table) if connection.vendor == "postgresql" else []
    monkeypatch.setattr(bulk, "LARGE_LOAD_ROWS", 1)

    result = import_loans(write_csv(tmp_path / "loans.csv", [loan_row(1), loan_row(2)]))

    assert result.created == 2
    assert Installment.objects.count() == 72
    assert set(Installment.objects.values_list("loan__contract_no", flat=True)) == {
        loan_row(1)["contract_no"],
        loan_row(2)["contract_no"],
    }
    if connection.vendor == "postgresql":
        assert _foreign_keys(table) == before
        assert len(before) == 1


@pytest.mark.django_db
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite checks foreign keys only at commit"
)
def test_large_load_path_still_refuses_a_dangling_foreign_key():
    table = Installment._meta.db_table
    columns = (
        "loan_id",
        "seq",
        "due_on",
        "principal_fen",
        "interest_fen",
        "penalty_fen",
        "paid_principal_fen",
        "paid_interest_fen",
        "paid_penalty_fen",
    )
    dangling = (987_654_321, 1, date(2024, 1, 1), 1, 0, 0, 0, 0, 0)

    with (
        pytest.raises(IntegrityError),
        transaction.atomic(),
        bulk.foreign_keys_checked_once(table, rows=bulk.LARGE_LOAD_ROWS),
    ):
        bulk.insert_rows(table, columns, [dangling])

    assert not Installment.objects.filter(loan_id=987_654_321).exists()
    assert len(_foreign_keys(table)) == 1


@pytest.mark.django_db
def test_the_address_becomes_a_postal_contact_point_and_old_files_stay_unchanged(
    tmp_path: Path,
):
    with_address = write_csv(tmp_path / "a.csv", [loan_row(1)])
    assert import_loans(with_address).created == 1
    address = ContactPoint.objects.get(kind="address")
    assert address.value == "广东省深圳市南山区科技路1号"
    assert address.status == "unverified"
    assert "科技路1号" not in address.masked

    # A file written before the column existed: no address, and its rows hash as they did.
    old_row = {k: v for k, v in loan_row(2).items() if k != "address"}
    old = write_csv(tmp_path / "old.csv", [old_row])
    assert import_loans(old).created == 1
    assert import_loans(old).unchanged == 1
    assert ContactPoint.objects.filter(kind="address").count() == 1
