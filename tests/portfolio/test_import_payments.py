"""Payment import: validation, allocation to the fen, credit, ordering, idempotency."""

from __future__ import annotations

import io
import json
from pathlib import Path

import polars as pl
import pytest
from django.core.management import call_command
from django.db.models import Sum

from autocollect.core.money import fen_to_yuan
from autocollect.portfolio.importers import import_loans, import_payments
from autocollect.portfolio.models import Allocation, Installment, Loan, Payment, Product
from tests.portfolio.import_fixtures import (
    batch_count,
    loan_row,
    payment_row,
    read_rejects,
    table_counts,
    write_csv,
    write_payments_csv,
)

ROOT = Path(__file__).resolve().parent.parent.parent


@pytest.fixture(autouse=True)
def rejects_dir(settings, tmp_path: Path) -> Path:
    folder = tmp_path / "rejects"
    settings.AUTOCOLLECT = {**settings.AUTOCOLLECT, "REJECTS_DIR": folder}
    return folder


@pytest.fixture
def loans(tmp_path: Path) -> list[str]:
    """Three loans: 12 months equal installments of ¥10,000 at 6%, disbursed 2024-01-10."""
    rows = [
        loan_row(
            n,
            principal="10000.00",
            annual_rate="0.06",
            term_months="12",
            disbursed_on="2024-01-10",
            first_due_on="2024-02-10",
        )
        for n in (1, 2, 3)
    ]
    result = import_loans(write_csv(tmp_path / "loans.csv", rows))
    assert result.created == 3
    return [row["contract_no"] for row in rows]


def _installment(contract_no: str, seq: int) -> Installment:
    return Installment.objects.get(loan__contract_no=contract_no, seq=seq)


def _assert_every_fen_accounted_for() -> None:
    """Per loan: allocations + credit == payments; installments' paid columns == allocations."""
    for loan in Loan.objects.all():
        paid = loan.payments.aggregate(s=Sum("amount_fen"))["s"] or 0
        allocated = Allocation.objects.filter(payment__loan=loan).aggregate(s=Sum("amount_fen"))
        credit = loan.payments.aggregate(s=Sum("credit_fen"))["s"] or 0
        assert (allocated["s"] or 0) + credit == paid
        assert loan.credit_fen == credit
        on_installments = loan.installments.aggregate(
            p=Sum("paid_principal_fen"), i=Sum("paid_interest_fen"), n=Sum("paid_penalty_fen")
        )
        assert sum(v or 0 for v in on_installments.values()) == (allocated["s"] or 0)
        assert loan.paid_principal_fen == (on_installments["p"] or 0)


@pytest.mark.django_db
def test_bad_rows_are_rejected_with_line_column_and_reason(tmp_path: Path, loans: list[str]):
    rows = [
        payment_row("P1", loans[0], "2024-02-10", "860.66"),  # line 2
        payment_row("P2", "HT-NOT-THERE", "2024-02-10", "100.00"),  # line 3
        payment_row("P3", loans[0], "2024-02-10", "0"),  # line 4
        payment_row("P4", loans[0], "2024-01-09", "100.00"),  # line 5
        payment_row("P5", loans[1], "10/02/2024", "12.345"),  # line 6
        payment_row("P1", loans[1], "2024-02-10", "100.00"),  # line 7
        payment_row("", "", "2024-02-10", "1.00"),  # line 8
    ]
    result = import_payments(write_payments_csv(tmp_path / "payments.csv", rows))

    assert (result.rows, result.accepted, result.rejected) == (7, 1, 6)
    rejects = read_rejects(result.rejects_file or "")
    assert [(r["row"], r["error"]) for r in rejects] == [
        ("3", "contract_no: unknown contract 'HT-NOT-THERE'"),
        ("4", "amount: '0' must be greater than zero"),
        ("5", "paid_on: 2024-01-09 is before the loan was disbursed (2024-01-10)"),
        (
            "6",
            "paid_on: '10/02/2024' is not a date in YYYY-MM-DD form; "
            "amount: '12.345' has more than 2 decimals (nothing is rounded) / "
            "“12.345”超过 2 位小数（不做四舍五入）",
        ),
        ("7", "payment_ref: duplicate of row 2"),
        ("8", "payment_ref: required / 必填; contract_no: required / 必填"),
    ]
    assert list(Payment.objects.values_list("payment_ref", flat=True)) == ["P1"]


@pytest.mark.django_db
def test_payment_is_allocated_interest_then_principal_oldest_installment_first(
    tmp_path: Path, loans: list[str]
):
    first = _installment(loans[0], 1)
    second = _installment(loans[0], 2)
    amount = first.amount_fen + 1000  # one installment and ¥10 towards the next
    rows = [payment_row("P1", loans[0], "2024-02-10", f"{amount // 100}.{amount % 100:02d}")]

    import_payments(write_payments_csv(tmp_path / "payments.csv", rows))

    lines = list(
        Allocation.objects.order_by("id").values_list("installment__seq", "component", "amount_fen")
    )
    assert lines == [
        (1, "interest", first.interest_fen),
        (1, "principal", first.principal_fen),
        (2, "interest", 1000),
    ]
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.outstanding_fen == 0
    assert (second.paid_interest_fen, second.paid_principal_fen) == (1000, 0)
    assert Payment.objects.get().credit_fen == 0
    _assert_every_fen_accounted_for()


@pytest.mark.django_db
def test_overpayment_beyond_the_whole_schedule_becomes_credit(tmp_path: Path, loans: list[str]):
    owed = sum(i.amount_fen for i in Installment.objects.filter(loan__contract_no=loans[2]))
    rows = [
        payment_row("P1", loans[2], "2024-02-10", "5000.00"),
        payment_row("P2", loans[2], "2024-03-10", "9000.00"),
    ]
    import_payments(write_payments_csv(tmp_path / "payments.csv", rows))

    loan = Loan.objects.get(contract_no=loans[2])
    assert loan.credit_fen == 1_400_000 - owed
    assert Payment.objects.get(payment_ref="P1").credit_fen == 0
    assert Payment.objects.get(payment_ref="P2").credit_fen == 1_400_000 - owed
    assert all(i.outstanding_fen == 0 for i in loan.installments.all())
    _assert_every_fen_accounted_for()


@pytest.mark.django_db
def test_payments_are_applied_per_loan_in_paid_on_then_ref_order(tmp_path: Path, loans: list[str]):
    first = _installment(loans[0], 1)
    # Listed newest first: the 2024-02-10 payment must still be applied first.
    rows = [
        payment_row("B-LATE", loans[0], "2024-03-10", "100.00"),
        payment_row("Z-EARLY", loans[0], "2024-02-10", "100.00"),
        payment_row("A-EARLY", loans[0], "2024-02-10", "100.00"),
    ]
    import_payments(write_payments_csv(tmp_path / "payments.csv", rows))

    interest_lines = list(
        Allocation.objects.filter(installment=first, component="interest")
        .order_by("id")
        .values_list("payment__payment_ref", "amount_fen")
    )
    assert interest_lines == [("A-EARLY", first.interest_fen)]
    principal_lines = list(
        Allocation.objects.filter(installment=first, component="principal")
        .order_by("id")
        .values_list("payment__payment_ref", "amount_fen")
    )
    assert principal_lines == [
        ("A-EARLY", 10_000 - first.interest_fen),
        ("Z-EARLY", 10_000),
        ("B-LATE", 10_000),
    ]
    _assert_every_fen_accounted_for()


@pytest.mark.django_db
def test_product_allocation_order_is_followed(tmp_path: Path):
    Product.objects.create(
        code="PRIN-FIRST", name="本金优先", allocation_order=["principal", "interest", "penalty"]
    )
    import_loans(write_csv(tmp_path / "loans.csv", [loan_row(1, product_code="PRIN-FIRST")]))
    first = Installment.objects.get(seq=1)
    import_payments(
        write_payments_csv(
            tmp_path / "payments.csv",
            [payment_row("P1", loan_row(1)["contract_no"], "2024-02-15", "100.00")],
        )
    )

    assert list(Allocation.objects.values_list("installment__seq", "component", "amount_fen")) == [
        (1, "principal", 10_000)
    ]
    first.refresh_from_db()
    assert (first.paid_principal_fen, first.paid_interest_fen) == (10_000, 0)


@pytest.mark.django_db
def test_allocation_never_loses_or_invents_a_fen_across_many_payments(
    tmp_path: Path, loans: list[str]
):
    amounts = ["0.01", "860.66", "1234.56", "3.33", "99999.99", "17.00", "0.99", "5000.00"]
    rows = [
        payment_row(f"P{k:02d}", loans[k % 3], f"2024-{2 + k % 9:02d}-10", amount)
        for k, amount in enumerate(amounts * 2)
    ]
    result = import_payments(write_payments_csv(tmp_path / "payments.csv", rows))

    assert result.created == len(rows)
    _assert_every_fen_accounted_for()
    total = Payment.objects.aggregate(s=Sum("amount_fen"))["s"]
    assert total == sum(int(a.replace(".", "")) for a in amounts) * 2


@pytest.mark.django_db
def test_second_import_changes_nothing_and_changed_rows_are_refused(
    tmp_path: Path, loans: list[str]
):
    rows = [
        payment_row("P1", loans[0], "2024-02-10", "860.66"),
        payment_row("P2", loans[1], "2024-02-10", "2000.00"),
    ]
    path = write_payments_csv(tmp_path / "payments.csv", rows)
    first = import_payments(path)
    before = table_counts()
    paid_before = list(
        Installment.objects.order_by("id").values_list(
            "paid_principal_fen", "paid_interest_fen", "paid_penalty_fen"
        )
    )
    batches = batch_count()

    second = import_payments(path)
    changed = import_payments(
        write_payments_csv(
            tmp_path / "changed.csv", [payment_row("P1", loans[0], "2024-02-10", "860.67")]
        )
    )

    assert (first.created, second.created, second.unchanged) == (2, 0, 2)
    assert table_counts() == before
    assert batch_count() == batches + 2
    assert paid_before == list(
        Installment.objects.order_by("id").values_list(
            "paid_principal_fen", "paid_interest_fen", "paid_penalty_fen"
        )
    )
    (reject,) = read_rejects(changed.rejects_file or "")
    assert reject["error"].startswith("payment_ref: already imported with different data")
    assert Payment.objects.get(payment_ref="P1").amount_fen == 86_066


@pytest.mark.django_db
def test_payments_from_a_dataframe_with_natural_types(tmp_path: Path, loans: list[str]):
    frame = pl.DataFrame(
        {
            "payment_ref": ["D1", "D2"],
            "contract_no": [loans[0], loans[1]],
            "paid_on": ["2024-02-10", "2024-02-11"],
            "amount": [860.66, 100.0],
        }
    ).with_columns(pl.col("paid_on").str.to_date())

    result = import_payments(frame)

    assert (result.file, result.created, result.rejected) == ("<dataframe>", 2, 0)
    assert dict(Payment.objects.values_list("payment_ref", "amount_fen")) == {
        "D1": 86_066,
        "D2": 10_000,
    }
    assert Payment.objects.get(payment_ref="D1").channel == ""


@pytest.mark.django_db
def test_payments_command_json_output(tmp_path: Path, loans: list[str]):
    path = write_payments_csv(
        tmp_path / "payments.csv",
        [
            payment_row("P1", loans[0], "2024-02-10", "860.66"),
            payment_row("P2", "NOPE", "2024-02-10", "1.00"),
        ],
    )
    out = io.StringIO()
    call_command("import_data", "payments", str(path), "--json", stdout=out)

    payload = json.loads(out.getvalue())
    assert payload == {
        "file": str(path),
        "rows": 2,
        "accepted": 1,
        "rejected": 1,
        "rejects_file": payload["rejects_file"],
        "created": 1,
        "unchanged": 0,
    }
    assert read_rejects(payload["rejects_file"])[0]["row"] == "3"


@pytest.mark.django_db
def test_documented_example_files_import_cleanly():
    loans = import_loans(ROOT / "docs" / "examples" / "loans.csv")
    payments = import_payments(ROOT / "docs" / "examples" / "payments.csv")

    assert (loans.rejected, payments.rejected) == (0, 0)
    assert payments.created == payments.rows > 0
    # The examples pay exactly the installments due, so nothing goes to credit.
    assert not Loan.objects.filter(credit_fen__gt=0).exists()
    _assert_every_fen_accounted_for()


@pytest.mark.django_db
def test_allocations_paid_after_the_due_date_are_marked_late(tmp_path: Path, loans: list[str]):
    # First installment due 2024-02-10: one payment on the day, one late for the second
    # installment (due 2024-03-10) paid on 2024-03-15, and one early for the third.
    first = _installment(loans[0], 1)
    payments = [
        payment_row("P-ON-TIME", loans[0], "2024-02-10", str(fen_to_yuan(first.amount_fen))),
        payment_row("P-LATE", loans[0], "2024-03-15", str(fen_to_yuan(first.amount_fen))),
        payment_row("P-EARLY", loans[1], "2024-02-01", "100.00"),
    ]
    import_payments(write_payments_csv(tmp_path / "payments.csv", payments))
    flags = {
        (a.payment.payment_ref, a.installment.seq, a.component): a.is_late
        for a in Allocation.objects.select_related("payment", "installment")
    }
    assert flags
    assert all(not late for (ref, _, _), late in flags.items() if ref != "P-LATE")
    assert all(late for (ref, _, _), late in flags.items() if ref == "P-LATE")
    assert {seq for (ref, seq, _) in flags if ref == "P-LATE"} == {2}
