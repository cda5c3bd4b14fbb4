"""Workbench pages: login required, overview counts, loan search and the loan page, language."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from autocollect.core.money import format_yuan
from autocollect.engine.loanmath import add_months
from autocollect.portfolio.models import ContactOwner, ImportBatch
from tests.factories import (
    make_borrower,
    make_contact,
    make_loan,
    make_payment,
    make_vehicle,
    pay_installments,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def user_client(client: Client, django_user_model: Any) -> Client:
    user = django_user_model.objects.create_user("lead", password="pw-for-tests", role="risk")
    client.force_login(user)
    return client


def page(client: Client, url: str, **params: Any) -> str:
    response = client.get(url, params)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def stat(html: str, name: str) -> str:
    match = re.search(rf'data-stat="{name}"[^>]*>([^<]*)<', html)
    assert match, f"no {name} on the page"
    return match.group(1).strip()


@pytest.mark.parametrize("url", ["/", "/loans/", "/loans/HT1/"])
def test_anonymous_user_is_sent_to_the_login_page(client: Client, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={url}"


def test_home_shows_portfolio_counts_and_outstanding_principal(user_client: Client) -> None:
    today = timezone.localdate()
    borrower = make_borrower()
    late = make_loan(
        borrower=borrower, principal_fen=6_000_000, term=12, first_due_on=add_months(today, -2)
    )
    pay_installments(late, through_seq=1)
    make_loan(principal_fen=1_000_000, term=6, first_due_on=add_months(today, 1))
    paid_principal = late.installments.get(seq=1).principal_fen

    html = page(user_client, "/")

    assert stat(html, "borrowers") == "2"
    assert stat(html, "loans") == "2"
    assert stat(html, "installments") == "18"
    assert stat(html, "payments") == "1"
    assert stat(html, "outstanding-principal") == format_yuan(7_000_000 - paid_principal)
    assert stat(html, "overdue-loans") == "1"
    assert 'href="/api/docs"' in html
    assert 'href="/admin/"' in html
    assert 'href="/loans/"' in html


def test_loan_page_shows_masked_borrower_terms_vehicle_schedule_and_payments(
    user_client: Client,
) -> None:
    borrower = make_borrower(name="王芳", gender="F")
    make_contact(borrower, value="+8613812341234")
    make_contact(
        borrower,
        value="+8613998765432",
        owner=ContactOwner.EMERGENCY,
        owner_name="王建国",
        relationship="父亲",
    )
    loan = make_loan(
        borrower=borrower,
        principal_fen=12_000_000,
        annual_rate=Decimal("0.0688"),
        term=24,
        first_due_on=add_months(timezone.localdate(), -1),
    )
    make_vehicle(loan, brand="比亚迪", model="汉 EV", plate="粤B12345")
    first = loan.installments.get(seq=1)
    make_payment(loan, amount_fen=first.amount_fen, paid_on=first.due_on, payment_ref="PAY-A1")

    html = page(user_client, f"/loans/{loan.contract_no}/")

    assert borrower.national_id[:6] + "********" + borrower.national_id[-4:] in html
    assert borrower.national_id not in html
    assert "138****1234" in html
    assert "139****5432" in html
    assert "13812341234" not in html
    assert "6.88%" in html
    assert "比亚迪 汉 EV" in html
    schedule = html[html.index('id="schedule"') : html.index('id="payments"')]
    for installment in loan.installments.all():
        assert format_yuan(installment.principal_fen) in schedule
        assert format_yuan(installment.interest_fen) in schedule
    assert format_yuan(12_000_000) in schedule  # the principal column's total
    payments = html[html.index('id="payments"') :]
    assert "PAY-A1" in payments
    assert format_yuan(first.amount_fen) in payments
    assert format_yuan(first.interest_fen) in payments


def test_unknown_loan_page_is_404(user_client: Client) -> None:
    assert user_client.get("/loans/HT-NOPE/").status_code == 404


def test_loan_search_finds_by_contract_number_and_borrower_name(user_client: Client) -> None:
    make_loan(contract_no="HT2024A001", borrower=make_borrower(name="王芳"))
    make_loan(contract_no="HT2024B002", borrower=make_borrower(name="李强"))

    by_contract = page(user_client, "/loans/", q="A001")
    by_name = page(user_client, "/loans/", q="李")

    assert "HT2024A001" in by_contract
    assert "HT2024B002" not in by_contract
    assert "HT2024B002" in by_name
    assert "HT2024A001" not in by_name


def test_loan_list_paginates_fifty_per_page(user_client: Client) -> None:
    for n in range(51):
        make_loan(contract_no=f"PG{n:03d}", term=1)

    first = page(user_client, "/loans/")
    second = page(user_client, "/loans/", page=2)

    assert len(re.findall(r'href="/loans/PG\d{3}/"', first)) == 50
    assert len(re.findall(r'href="/loans/PG\d{3}/"', second)) == 1
    assert 'rel="next"' in first
    assert 'rel="next"' not in second


def test_live_search_returns_only_the_results(user_client: Client) -> None:
    make_loan(contract_no="HT-LIVE")

    response = user_client.get("/loans/", {"q": "LIVE"}, headers={"HX-Request": "true"})

    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<section id="loan-results">')
    assert "<html" not in html
    assert "HT-LIVE" in html


def test_language_switch_sets_the_interface_language(user_client: Client) -> None:
    assert 'lang="zh-hans"' in page(user_client, "/")

    response = user_client.post("/i18n/setlang/", {"language": "en", "next": "/loans/"})

    assert response.status_code == 302
    assert response["Location"] == "/loans/"
    assert user_client.cookies["django_language"].value == "en"
    assert '<html lang="en">' in page(user_client, "/")


@pytest.mark.parametrize(
    ("model", "query", "found"),
    [
        ("product", "AUTO-STD", 1),
        ("borrower", "赵磊", 1),
        ("contactpoint", "HT-ADMIN-1", 1),
        ("loan", "HT-ADMIN-1", 1),
        ("installment", "HT-ADMIN-1", 3),
        ("payment", "HT-ADMIN-1", 1),
        ("allocation", "HT-ADMIN-1", 2),  # interest and principal of installment 1
        ("vehicle", "HT-ADMIN-1", 1),
        ("importbatch", "loans-2025.csv", 1),
    ],
)
def test_admin_lists_every_portfolio_model_and_finds_by_search(
    client: Client, django_user_model: Any, model: str, query: str, found: int
) -> None:
    admin_user = django_user_model.objects.create_superuser(username="root", password="pw")
    client.force_login(admin_user)
    loan = make_loan(contract_no="HT-ADMIN-1", borrower=make_borrower(name="赵磊"), term=3)
    make_loan(contract_no="HT-ADMIN-2", borrower=make_borrower(name="钱多"), term=3)
    make_contact(loan.borrower)
    make_vehicle(loan)
    pay_installments(loan, through_seq=1)
    ImportBatch.objects.create(
        kind="loans",
        file_name="loans-2025.csv",
        file_sha256="0" * 64,
        actor="admin",
        started_at=timezone.now(),
    )

    response = client.get(f"/admin/portfolio/{model}/", {"q": query})

    assert response.status_code == 200
    assert response.context["cl"].result_count == found


@pytest.mark.parametrize("model", ["borrower", "loan", "payment", "vehicle"])
def test_admin_is_read_only_for_imported_data(
    client: Client, django_user_model: Any, model: str
) -> None:
    admin_user = django_user_model.objects.create_superuser(username="root", password="pw")
    client.force_login(admin_user)

    assert client.get(f"/admin/portfolio/{model}/add/").status_code == 403


def test_admin_loan_page_shows_the_schedule_inline(client: Client, django_user_model: Any) -> None:
    admin_user = django_user_model.objects.create_superuser(username="root", password="pw")
    client.force_login(admin_user)
    loan = make_loan(term=3)
    last = loan.installments.get(seq=3)

    html = page(client, f"/admin/portfolio/loan/{loan.pk}/change/")

    assert format_yuan(last.outstanding_fen) in html
    assert html.count('<td class="field-seq">') == 3
