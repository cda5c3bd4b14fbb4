"""Fixtures for arrangement tests: a delinquent case, its collector, a team lead, risk."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from autocollect.accounts.models import Team, User
from autocollect.accounts.roles import Role
from autocollect.cases.models import CollectionCase
from tests.factories import make_loan, make_product, make_user

TODAY = date(2026, 3, 10)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def document_dir(settings: Any, tmp_path: Path) -> Path:
    folder = tmp_path / "documents"
    settings.AUTOCOLLECT = {**settings.AUTOCOLLECT, "DOCUMENTS": {"DIR": str(folder)}}
    return folder


@pytest.fixture
def team(db: None) -> Team:
    return Team.objects.create(name="一组")


@pytest.fixture
def collector(team: Team) -> User:
    return make_user("collector.li", Role.COLLECTOR, team=team)


@pytest.fixture
def lead(team: Team) -> User:
    return make_user("lead.wang", Role.TEAM_LEAD, lead_of=team)


@pytest.fixture
def risk(db: None) -> User:
    return make_user("risk.zhao", Role.RISK)


def make_case(agent: User | None, *, principal_fen: int = 4_000_000) -> CollectionCase:
    """A case on a 24-month loan whose installments 1–3 are due and unpaid as of TODAY."""
    loan = make_loan(
        product=make_product(),
        principal_fen=principal_fen,
        term=24,
        first_due_on=date(2025, 12, 5),
    )
    return CollectionCase.objects.create(
        loan=loan,
        opened_on=date(2025, 12, 6),
        opened_dpd=1,
        opened_bucket="M1",
        assigned_agent=agent,
    )


@pytest.fixture
def case(collector: User) -> CollectionCase:
    return make_case(collector)


def signed_pdf(name: str = "签字确认.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")
