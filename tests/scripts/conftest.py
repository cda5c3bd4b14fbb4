"""Fixtures for the script library: a case with an overdue loan, users by role."""

from __future__ import annotations

from datetime import timedelta

import pytest

from autocollect.accounts.models import User
from autocollect.accounts.roles import Role
from autocollect.cases.models import CollectionCase
from autocollect.channels.selectors import business_today
from tests.factories import make_borrower, make_contact, make_loan, make_product, make_user


def make_case(*, name: str = "张伟", agent: User | None = None) -> CollectionCase:
    """An open case on a loan whose first three monthly installments are due and unpaid (the
    first fell due about 75 days ago), with a mobile number on file."""
    first_due = business_today() - timedelta(days=75)
    borrower = make_borrower(name=name)
    make_contact(borrower, value="+8613912345678")
    loan = make_loan(
        product=make_product(),
        borrower=borrower,
        principal_fen=12_000_000,
        term=24,
        first_due_on=first_due,
    )
    return CollectionCase.objects.create(
        loan=loan,
        opened_on=first_due + timedelta(days=4),
        opened_dpd=4,
        opened_bucket="M1",
        assigned_agent=agent,
    )


@pytest.fixture
def collector(db: None) -> User:
    user = make_user("collector.li", Role.COLLECTOR)
    user.first_name, user.last_name = "明", "李"
    user.save(update_fields=["first_name", "last_name"])
    return user


@pytest.fixture
def compliance(db: None) -> User:
    return make_user("compliance.wang", Role.COMPLIANCE)


@pytest.fixture
def case(collector: User) -> CollectionCase:
    return make_case(agent=collector)
