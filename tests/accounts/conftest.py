"""A small organisation for the access tests: two teams, one user per role, and cases that
belong to one collector and not to another.

- team A: lead ``lead_a`` (team lead), agent ``collector_a`` (collector);
- team B: lead ``lead_b``, agent ``collector_b``;
- ``own_case``: assigned to collector_a in team A;
- ``other_case``: assigned to collector_b in team B — the case nobody but risk, compliance,
  administrators and team B may see; its loan, borrower and vehicle carry names that must
  never appear in a page or an answer for anyone else;
- ``referred_case``: referred to legal, assigned to nobody.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from autocollect.accounts.models import Team, User
from autocollect.accounts.roles import Role
from autocollect.cases.models import CollectionCase
from autocollect.portfolio.models import Loan
from tests.factories import make_borrower, make_loan, make_user, make_vehicle

HIDDEN_CONTRACT = "HT-HIDDEN-0001"
HIDDEN_NAME = "隐藏借款人"
ROLE_USERS = {
    Role.COLLECTOR: "collector_a",
    Role.TEAM_LEAD: "lead_a",
    Role.LEGAL: "legal1",
    Role.RISK: "risk1",
    Role.COMPLIANCE: "qa1",
    Role.ADMIN: "admin1",
}


@dataclass
class World:
    team_a: Team
    team_b: Team
    users: dict[str, User]  # by role (collector: collector_a; team_lead: lead_a)
    collector_b: User
    lead_b: User
    own_case: CollectionCase
    other_case: CollectionCase
    referred_case: CollectionCase

    @property
    def other_loan(self) -> Loan:
        return self.other_case.loan


def open_case(loan: Loan, **fields: object) -> CollectionCase:
    return CollectionCase.objects.create(
        loan=loan,
        opened_on=timezone.localdate() - timedelta(days=10),
        opened_dpd=4,
        opened_bucket="M1",
        **fields,
    )


def build_world() -> World:
    team_a = Team.objects.create(name="一组")
    team_b = Team.objects.create(name="二组")
    users: dict[str, User] = {
        Role.COLLECTOR: make_user("collector_a", Role.COLLECTOR, team=team_a),
        Role.TEAM_LEAD: make_user("lead_a", Role.TEAM_LEAD, lead_of=team_a),
        Role.LEGAL: make_user("legal1", Role.LEGAL),
        Role.RISK: make_user("risk1", Role.RISK),
        Role.COMPLIANCE: make_user("qa1", Role.COMPLIANCE),
        Role.ADMIN: make_user("admin1", Role.ADMIN),
    }
    collector_b = make_user("collector_b", Role.COLLECTOR, team=team_b)
    lead_b = make_user("lead_b", Role.TEAM_LEAD, lead_of=team_b)
    first_due = timezone.localdate() - timedelta(days=40)
    own_loan = make_loan(first_due_on=first_due, with_vehicle=True)
    other_loan = make_loan(
        borrower=make_borrower(name=HIDDEN_NAME),
        contract_no=HIDDEN_CONTRACT,
        first_due_on=first_due,
    )
    make_vehicle(other_loan, plate="粤B隐藏01")
    referred_loan = make_loan(first_due_on=first_due)
    return World(
        team_a=team_a,
        team_b=team_b,
        users=users,
        collector_b=collector_b,
        lead_b=lead_b,
        own_case=open_case(own_loan, assigned_agent=users[Role.COLLECTOR], assigned_team=team_a),
        other_case=open_case(other_loan, assigned_agent=collector_b, assigned_team=team_b),
        referred_case=open_case(referred_loan, legal_referred_at=timezone.now()),
    )


@pytest.fixture
def world(db: None) -> World:
    return build_world()


def client_for(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client
