"""Helpers shared by the legal and hard-cases tests."""

from __future__ import annotations

from datetime import date, timedelta

from autocollect.accounts.models import User
from autocollect.accounts.roles import Role
from autocollect.cases.models import CollectionCase
from tests.factories import (
    make_borrower,
    make_contact,
    make_loan,
    make_product,
    make_user,
    make_vehicle,
)


def make_case(
    *, first_due_on: date, with_vehicle: bool = True, **vehicle: object
) -> CollectionCase:
    """An open case on a 24-month loan of ¥120,000 whose first installment fell due on
    ``first_due_on``; the borrower has one mobile number."""
    borrower = make_borrower(name="张伟")
    loan = make_loan(
        product=make_product(),
        borrower=borrower,
        principal_fen=12_000_000,
        term=24,
        first_due_on=first_due_on,
    )
    if with_vehicle:
        make_vehicle(loan, **vehicle)  # type: ignore[arg-type]
    make_contact(borrower, value="+8613800138000")
    return CollectionCase.objects.create(
        loan=loan, opened_on=first_due_on + timedelta(days=4), opened_dpd=4, opened_bucket="M1"
    )


def users() -> dict[str, User]:
    return {
        "collector": make_user("collector1", Role.COLLECTOR),
        "lead": make_user("lead1", Role.TEAM_LEAD),
        "legal": make_user("legal1", Role.LEGAL),
        "risk": make_user("risk1", Role.RISK),
    }
