"""Helpers for the hard-cases tests."""

from __future__ import annotations

from autocollect.accounts.models import User
from autocollect.cases.models import CollectionCase
from autocollect.strategy.models import Team


def worked_by(case: CollectionCase, people: dict[str, User]) -> CollectionCase:
    """``case`` assigned to the collector, in a team the team lead leads: both see it and may
    act on it (the services check it, docs/hard-cases.md). Risk sees every case; legal sees
    it once it is referred."""
    team, _ = Team.objects.get_or_create(name="失联修复测试组", defaults={"lead": people["lead"]})
    team.agents.add(people["collector"])
    case.assigned_agent = people["collector"]
    case.assigned_team = team
    case.save(update_fields=["assigned_agent", "assigned_team"])
    return case
