"""The borrower detail of the API lists only the loans whose cases the caller sees
(docs/roles.md, "Which cases a person sees"): seeing one loan of a borrower does not open the
borrower's other loans."""

from __future__ import annotations

from datetime import date

import pytest
from django.test import Client

from autocollect.accounts.models import User
from autocollect.accounts.roles import Role
from autocollect.cases.models import CollectionCase
from autocollect.portfolio.models import Borrower, Loan
from tests.factories import make_borrower, make_loan, make_user

pytestmark = pytest.mark.django_db


def open_case(loan: Loan, agent: User | None) -> CollectionCase:
    return CollectionCase.objects.create(
        loan=loan,
        opened_on=date(2026, 1, 10),
        opened_dpd=5,
        opened_bucket="M1",
        assigned_agent=agent,
    )


def detail(user: User, borrower: Borrower) -> dict[str, object]:
    client = Client()
    client.force_login(user)
    response = client.get(f"/api/portfolio/borrowers/{borrower.pk}")
    assert response.status_code == 200, response.content
    body: dict[str, object] = response.json()
    return body


def contracts(body: dict[str, object]) -> list[str]:
    loans = body["loans"]
    assert isinstance(loans, list)
    return [loan["contract_no"] for loan in loans]


@pytest.fixture
def borrower() -> Borrower:
    return make_borrower(name="李娜")


def test_each_collector_sees_only_the_loan_of_their_own_case(borrower: Borrower) -> None:
    collector_a = make_user("collector.a", Role.COLLECTOR)
    collector_b = make_user("collector.b", Role.COLLECTOR)
    loan_a = make_loan(borrower=borrower, contract_no="HT-A-0001")
    loan_b = make_loan(borrower=borrower, contract_no="HT-B-0002")
    open_case(loan_a, collector_a)
    open_case(loan_b, collector_b)

    body_a = detail(collector_a, borrower)
    body_b = detail(collector_b, borrower)

    assert contracts(body_a) == ["HT-A-0001"]
    assert body_a["loan_count"] == 1
    assert contracts(body_b) == ["HT-B-0002"]
    assert body_b["loan_count"] == 1
    assert "HT-B-0002" not in str(body_a)
    assert "HT-A-0001" not in str(body_b)


@pytest.mark.parametrize("role", [Role.ADMIN, Role.RISK, Role.COMPLIANCE])
def test_the_roles_that_see_the_whole_book_get_every_loan(borrower: Borrower, role: str) -> None:
    collector_a = make_user("collector.a", Role.COLLECTOR)
    collector_b = make_user("collector.b", Role.COLLECTOR)
    loan_a = make_loan(borrower=borrower, contract_no="HT-A-0001", first_due_on=date(2024, 3, 15))
    loan_b = make_loan(borrower=borrower, contract_no="HT-B-0002", first_due_on=date(2024, 6, 15))
    open_case(loan_a, collector_a)
    open_case(loan_b, collector_b)

    body = detail(make_user("seer", role), borrower)

    # Newest disbursement first, as the selector orders them.
    assert contracts(body) == ["HT-B-0002", "HT-A-0001"]
    assert body["loan_count"] == 2


def test_a_collector_with_no_case_of_the_borrower_gets_a_404(borrower: Borrower) -> None:
    open_case(make_loan(borrower=borrower), make_user("collector.a", Role.COLLECTOR))
    client = Client()
    client.force_login(make_user("collector.c", Role.COLLECTOR))

    response = client.get(f"/api/portfolio/borrowers/{borrower.pk}")

    assert response.status_code == 404


def test_the_borrower_list_counts_only_the_loans_the_caller_sees(borrower: Borrower) -> None:
    collector_a = make_user("collector.a", Role.COLLECTOR)
    open_case(make_loan(borrower=borrower, contract_no="HT-A-0001"), collector_a)
    open_case(
        make_loan(borrower=borrower, contract_no="HT-B-0002"),
        make_user("collector.b", Role.COLLECTOR),
    )

    def listed(user: User) -> list[tuple[object, object]]:
        client = Client()
        client.force_login(user)
        response = client.get("/api/portfolio/borrowers")
        assert response.status_code == 200, response.content
        return [(row["id"], row["loan_count"]) for row in response.json()["items"]]

    assert listed(collector_a) == [(borrower.pk, 1)]
    assert listed(make_user("seer", Role.RISK)) == [(borrower.pk, 2)]
