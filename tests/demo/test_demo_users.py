"""``autocollect demo`` makes one user per role and a staffed demo team (local use only)."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from autocollect.accounts.models import Team, User, WorkQueue
from autocollect.cases.models import CollectionCase
from autocollect.cases.selectors import visible_cases

pytestmark = pytest.mark.django_db

DEMO_ROLES = {
    "admin": "admin",
    "collector1": "collector",
    "collector2": "collector",
    "lead1": "team_lead",
    "legal1": "legal",
    "risk1": "risk",
    "qa1": "compliance",
}


def test_the_demo_creates_one_user_per_role_and_a_team_that_gets_work() -> None:
    out = io.StringIO()
    args = ("--loans", "200", "--risk", "high", "--days", "1", "--as-of", "2026-03-16")
    call_command("demo", *args, "--no-serve", stdout=out)
    users = {u.username: u for u in User.objects.filter(username__in=DEMO_ROLES)}
    assert {name: u.effective_role for name, u in users.items()} == DEMO_ROLES
    assert all(u.check_password("autocollect-demo") for u in users.values())
    assert users["collector1"].may_collect
    assert users["collector2"].may_collect
    assert not users["risk1"].is_staff
    assert users["admin"].is_staff
    team = Team.objects.get(lead=users["lead1"])
    assert set(team.agents.values_list("username", flat=True)) == {"collector1", "collector2"}
    assert not WorkQueue.objects.filter(team__isnull=True).exists()
    # The plan gave the demo collectors cases, which they (and their lead) now see.
    mine = visible_cases(users["collector1"]) | visible_cases(users["collector2"])
    assert mine.exists()
    assert set(visible_cases(users["lead1"])) >= set(mine)
    assert CollectionCase.objects.filter(assigned_team=team).count() == mine.count()
    text = out.getvalue()
    assert "collector1" in text
    assert "autocollect-demo" in text
    # Running it again leaves the users as they are.
    call_command("demo", *args, "--no-serve", stdout=io.StringIO())
    assert User.objects.filter(username__in=DEMO_ROLES).count() == len(DEMO_ROLES)
    assert Team.objects.count() == 1
