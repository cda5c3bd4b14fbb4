"""The demo book: deterministic, valid identifiers, plausible distributions, calibrated
delinquency, and ``autocollect demo`` end to end through the importers."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from collections import Counter
from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Sum
from django.test import override_settings

from autocollect.cases.models import CollectionCase
from autocollect.core.crypto import generate_key
from autocollect.core.ids import parse_mobile, parse_national_id, parse_plate, parse_vin
from autocollect.core.money import yuan_to_fen
from autocollect.delinquency.models import CycleRun
from autocollect.demo import DemoBook, generate, measure_delinquency
from autocollect.demo import reference as ref
from autocollect.demo.generator import LOAN_COLUMNS, PAYMENT_COLUMNS, TERMS
from autocollect.demo.management.commands.demo import book_delinquency
from autocollect.engine.loanmath import add_months
from autocollect.portfolio.models import (
    Borrower,
    ImportBatch,
    Installment,
    Loan,
    Payment,
    Vehicle,
)
from autocollect.strategy.models import PlannedAction

AS_OF = date(2026, 11, 29)
SEED = 20261129


@pytest.fixture(scope="module")
def book() -> DemoBook:
    return generate(loans=3000, seed=SEED, as_of=AS_OF, risk="normal")


@pytest.fixture(scope="module")
def high_book() -> DemoBook:
    return generate(loans=3000, seed=SEED, as_of=AS_OF, risk="high")


def _rows(frame):
    return frame.to_dicts()


def test_same_seed_gives_byte_identical_frames():
    first = generate(loans=400, seed=7, as_of=AS_OF)
    second = generate(loans=400, seed=7, as_of=AS_OF)
    assert first.loans.write_csv() == second.loans.write_csv()
    assert first.payments.write_csv() == second.payments.write_csv()
    other = generate(loans=400, seed=8, as_of=AS_OF)
    assert other.loans.write_csv() != first.loans.write_csv()


def test_frames_have_the_import_columns_as_strings(book):
    assert tuple(book.loans.columns) == LOAN_COLUMNS
    assert tuple(book.payments.columns) == PAYMENT_COLUMNS
    assert all(str(t) == "String" for t in book.loans.dtypes + book.payments.dtypes)
    assert book.loans.height == 3000
    for row in _rows(book.loans):
        assert Decimal(row["principal"]).as_tuple().exponent == -2
        assert Decimal(row["vehicle_price"]).as_tuple().exponent == -2
    for row in _rows(book.payments):
        assert Decimal(row["amount"]).as_tuple().exponent == -2


def test_identifiers_are_valid_and_unique(book):
    cities = {(c.province, c.name): c for c in ref.CITIES}
    codes_by_province: dict[str, set[str]] = {}
    for c in ref.CITIES:
        codes_by_province.setdefault(c.province, set()).update(c.area_codes)
    models = {(m.brand, m.model): m for m in ref.CAR_MODELS}
    mobiles: list[str] = []
    for row in _rows(book.loans):
        city = cities[(row["province"], row["city"])]
        national_id = parse_national_id(row["national_id"])
        assert row["national_id"][:6] in codes_by_province[city.province]
        disbursed = date.fromisoformat(row["disbursed_on"])
        born = national_id.birth_date
        birthday_to_come = (disbursed.month, disbursed.day) < (born.month, born.day)
        age = disbursed.year - born.year - birthday_to_come
        assert 22 <= age <= 60
        mobiles += [row["mobile"], row["emergency_contact_mobile"]]
        parse_mobile(row["mobile"])
        parse_mobile(row["emergency_contact_mobile"])
        car = models[(row["vehicle_brand"], row["vehicle_model"])]
        assert parse_vin(row["vin"]) == row["vin"]
        assert row["vin"][:3] == car.wmi
        assert ref.MODEL_YEAR_CODES[int(row["vehicle_year"])] == row["vin"][9]
        plate = parse_plate(row["plate"])
        assert plate[0] == city.plate_province
        assert plate[1] in city.plate_letters
        assert len(plate) == (7 if car.energy is ref.Energy.ICE else 8)
        assert row["borrower_name"]
        assert row["emergency_contact_name"]
        assert row["emergency_contact_relation"] in dict(ref.RELATIONS)
        assert row["dealer"].endswith("汽车销售服务有限公司")
        assert row["product_code"] == ""
    for column in ("contract_no", "national_id", "vin", "plate"):
        assert book.loans[column].n_unique() == book.loans.height, column
    assert len(set(mobiles)) == len(mobiles)
    emails = [e for e in book.loans["email"].to_list() if e]
    assert 0.2 < len(emails) / book.loans.height < 0.4
    assert len(set(emails)) == len(emails)
    assert all("@" in e for e in emails)


def test_distributions_are_plausible(book):
    rows = _rows(book.loans)
    terms = [int(r["term_months"]) for r in rows]
    assert set(terms) <= set(TERMS)
    assert 38 <= sum(terms) / len(terms) <= 42
    assert sum(t in (24, 36, 48, 60) for t in terms) / len(terms) > 0.85
    rates = [Decimal(r["annual_rate"]) for r in rows]
    assert min(rates) >= Decimal("0.03")
    assert max(rates) <= Decimal("0.15")
    ltvs = [yuan_to_fen(r["principal"]) / yuan_to_fen(r["vehicle_price"]) for r in rows]
    assert min(ltvs) >= 0.4999
    assert max(ltvs) <= 0.8001
    assert 0.64 <= sum(ltvs) / len(ltvs) <= 0.70
    for r in rows:
        assert yuan_to_fen(r["principal"]) % 100 == 0  # whole yuan
    prices = [yuan_to_fen(r["vehicle_price"]) // 100 for r in rows]
    typical = sum(80_000 <= p <= 400_000 for p in prices) / len(prices)
    luxury = sum(p > 400_000 for p in prices) / len(prices)
    assert typical > 0.8
    assert 0.01 < luxury < 0.1
    methods = Counter(r["repayment_method"] for r in rows)
    assert methods["equal_installment"] / len(rows) > 0.8
    assert methods["equal_principal"] > 0
    assert methods["interest_first"] > 0
    disbursed = [date.fromisoformat(r["disbursed_on"]) for r in rows]
    assert min(disbursed) >= add_months(AS_OF, -36)
    assert max(disbursed) < AS_OF
    # Seasoning: every year of the window holds a good part of the book.
    by_year = Counter((AS_OF - d).days // 365 for d in disbursed)
    assert all(by_year[y] / len(rows) > 0.2 for y in range(3))
    for r, d in zip(rows, disbursed, strict=True):
        assert date.fromisoformat(r["first_due_on"]) == add_months(d, 1)
    assert Counter(r["city"] for r in rows)["深圳市"] > 0


def test_payments_are_consistent(book):
    loans = {r["contract_no"]: r for r in _rows(book.loans)}
    payments = _rows(book.payments)
    assert len({p["payment_ref"] for p in payments}) == len(payments)
    channels = Counter(p["channel"] for p in payments)
    assert set(channels) == {c.value for c in ref.PaymentChannel}
    assert channels["银行代扣"] / len(payments) > 0.4
    for p in payments:
        loan = loans[p["contract_no"]]
        paid_on = date.fromisoformat(p["paid_on"])
        assert date.fromisoformat(loan["disbursed_on"]) < paid_on <= AS_OF
        assert yuan_to_fen(p["amount"]) > 0
    # Almost every loan with an installment due has payments.
    with_payments = {p["contract_no"] for p in payments}
    due = [c for c, r in loans.items() if date.fromisoformat(r["first_due_on"]) <= AS_OF]
    assert sum(c in with_payments for c in due) / len(due) > 0.98


def test_normal_risk_delinquency_is_china_auto_finance_like(book):
    report = measure_delinquency(book.loans, book.payments, AS_OF)
    assert 0.02 <= report.delinquent_share <= 0.04
    counts = {name: report.buckets.get(name, (0, 0))[0] for name in ("M1", "M2", "M3", "M4+")}
    assert counts["M1"] == max(counts.values())
    assert 0.003 <= report.share_over(90) <= 0.012
    assert report.outstanding_loans > 0.8 * book.loans.height


def test_high_risk_delinquency_is_subprime_like(high_book):
    report = measure_delinquency(high_book.loans, high_book.payments, AS_OF)
    assert 0.08 <= report.delinquent_share <= 0.125
    assert 0.045 <= report.share_over(60) <= 0.075


def test_production_settings_refuse_before_touching_the_database():
    # No django_db mark: any query would fail the test, so refusal comes first.
    with override_settings(DEMO_ALLOWED=False), pytest.raises(CommandError, match="DEMO_ALLOWED"):
        call_command("demo", "--loans", "10", "--no-serve")


def test_production_settings_module_refuses(tmp_path):
    # The real production settings, with a database nobody listens on: refusal comes first.
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": "only-for-this-test",
        "DATABASE_URL": "postgres://nobody@127.0.0.1:9/none",
        "AUTOCOLLECT_VAR_DIR": str(tmp_path),
        # Real keys, or production would refuse to start for want of them (tests/privacy).
        "AUTOCOLLECT_FIELD_KEYS": generate_key(),
        "AUTOCOLLECT_BLIND_INDEX_KEY": generate_key(),
        "AUTOCOLLECT_AUDIT_KEYS": generate_key(),
    }
    done = subprocess.run(
        [sys.executable, "-m", "autocollect.cli", "demo", "--no-serve"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1
    assert "DEMO_ALLOWED" in done.stderr


def _counts() -> tuple[int, ...]:
    return (
        Loan.objects.count(),
        Borrower.objects.count(),
        Vehicle.objects.count(),
        Installment.objects.count(),
        Payment.objects.count(),
        ImportBatch.objects.count(),
        get_user_model().objects.count(),
    )


@pytest.mark.django_db
def test_demo_command_builds_the_book_once():
    out = io.StringIO()
    call_command(
        "demo",
        "--loans",
        "200",
        "--days",
        "1",
        "--no-serve",
        "--as-of",
        AS_OF.isoformat(),
        stdout=out,
    )
    expected = generate(loans=200, seed=SEED, as_of=AS_OF)
    assert Loan.objects.count() == 200
    assert Borrower.objects.count() == 200
    assert Vehicle.objects.count() == 200
    terms = sum(int(t) for t in expected.loans["term_months"].to_list())
    assert Installment.objects.count() == terms
    assert Payment.objects.count() == expected.payments.height > 0
    batches = ImportBatch.objects.filter(actor="demo")
    assert batches.count() == 2
    assert batches.aggregate(rejected=Sum("rejected"))["rejected"] == 0
    paid = Payment.objects.aggregate(total=Sum("amount_fen"))["total"]
    assert paid == sum(yuan_to_fen(a) for a in expected.payments["amount"].to_list())
    admin = get_user_model().objects.get(username="admin")
    assert admin.is_superuser
    assert admin.check_password("autocollect-demo")
    text = out.getvalue()
    assert "200 loans" in text
    assert "autocollect-demo" in text
    assert "http://127.0.0.1:8000/" in text

    # The database agrees with the frames on who is late (same allocation, same DPD).
    report = measure_delinquency(expected.loans, expected.payments, AS_OF)
    stored = book_delinquency(AS_OF)
    assert stored.outstanding == report.outstanding_loans
    assert stored.buckets == {name: count for name, (count, _) in report.buckets.items()}
    # The daily cycle ran for the as-of date and agrees: one open case per delinquent loan.
    run = CycleRun.objects.get(as_of=AS_OF)
    assert run.stats["delinquent"] == stored.delinquent
    assert CollectionCase.objects.filter(status="open").count() == stored.delinquent
    # …and the day was planned with the default strategy: one or more actions per open case.
    planned = PlannedAction.objects.filter(as_of=AS_OF)
    assert planned.values("case_id").distinct().count() == stored.delinquent

    before = _counts()
    again = io.StringIO()
    call_command(
        "demo",
        "--loans",
        "200",
        "--days",
        "1",
        "--no-serve",
        "--as-of",
        AS_OF.isoformat(),
        stdout=again,
    )
    assert _counts() == before
    assert "nothing generated" in again.getvalue()


@pytest.mark.django_db
def test_demo_reset_rebuilds_the_book():
    call_command("demo", "--loans", "40", "--days", "1", "--no-serve", stdout=io.StringIO())
    call_command(
        "demo", "--loans", "25", "--seed", "3", "--risk", "high", "--reset", "--no-serve",
        "--days", "1", stdout=io.StringIO(),
    )  # fmt: skip
    assert Loan.objects.count() == 25
    assert Borrower.objects.count() == 25
    assert ImportBatch.objects.filter(actor="demo").count() == 2
    assert get_user_model().objects.filter(username="admin").count() == 1
