"""Masked by default everywhere: the API, the admin (lists, detail pages, search) and the
workbench's loan page show masked values and never the clear ones."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from autocollect.accounts.roles import Role
from autocollect.portfolio.models import Borrower, ContactOwner
from tests.factories import make_borrower, make_contact, make_loan, make_user

pytestmark = pytest.mark.django_db

NATIONAL_ID = "11010519491231002X"
MOBILE = "+8613812345678"
SISTER = "+8613987654321"
EMAIL = "zhang.wei@example.com"
CLEAR = (NATIONAL_ID, "13812345678", "13987654321", EMAIL)


@pytest.fixture
def borrower() -> Borrower:
    person = make_borrower(name="张伟", national_id=NATIONAL_ID)
    make_contact(person, value=MOBILE)
    make_contact(person, kind="email", value=EMAIL)
    make_contact(person, value=SISTER, owner=ContactOwner.EMERGENCY, owner_name="张丽")
    make_loan(contract_no="HT-PRIV-1", borrower=person, term=3)
    return person


def _page(client: Client, url: str, **params: Any) -> str:
    response = client.get(url, params)
    assert response.status_code == 200, (url, response.status_code)
    return response.content.decode()


def _assert_masked(text: str, *, shows_some: bool = True) -> None:
    for value in CLEAR:
        assert value not in text
    if shows_some:
        assert "110105********002X" in text or "138****5678" in text


def test_the_api_shows_masked_values_and_finds_by_the_full_id(client: Client, borrower) -> None:
    client.force_login(make_user("risk", Role.RISK))
    listed = _page(client, "/api/portfolio/borrowers", national_id=NATIONAL_ID.lower())
    _assert_masked(listed)
    assert [row["id"] for row in json.loads(listed)["items"]] == [borrower.pk]
    detail = _page(client, f"/api/portfolio/borrowers/{borrower.pk}")
    _assert_masked(detail)
    assert "138****5678" in detail
    assert "z***@example.com" in detail
    _assert_masked(_page(client, "/api/portfolio/loans/HT-PRIV-1"), shows_some=False)


@pytest.mark.parametrize("path", ["borrower", "contactpoint"])
def test_the_admin_lists_and_detail_pages_show_masked_values_only(
    client: Client, borrower, path: str
) -> None:
    client.force_login(make_user("root", Role.ADMIN))
    _assert_masked(_page(client, f"/admin/portfolio/{path}/"))
    obj = borrower if path == "borrower" else borrower.contacts.get(owner="borrower", kind="mobile")
    _assert_masked(_page(client, f"/admin/portfolio/{path}/{obj.pk}/change/"))


def test_the_admin_finds_a_borrower_and_a_contact_by_the_full_value(
    client: Client, borrower
) -> None:
    make_borrower(name="李娜")
    client.force_login(make_user("root", Role.ADMIN))
    response = client.get("/admin/portfolio/borrower/", {"q": NATIONAL_ID.lower()})
    assert [b.pk for b in response.context["cl"].result_list] == [borrower.pk]
    response = client.get("/admin/portfolio/contactpoint/", {"q": "13987654321"})
    assert [c.owner_name for c in response.context["cl"].result_list] == ["张丽"]


def test_the_workbench_loan_page_shows_masked_values_only(client: Client, borrower) -> None:
    client.force_login(make_user("root", Role.ADMIN))
    page = _page(client, "/loans/HT-PRIV-1/")
    _assert_masked(page)
    assert "110105********002X" in page
