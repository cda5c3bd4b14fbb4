"""Reads for the team lead's page: the load of each collector of the lead's teams, today's
queued and overflowing plan items on the team's cases, open alerts and contact holds."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Count, Q

from autocollect.accounts.access import has_permission
from autocollect.accounts.models import Team, User
from autocollect.cases.models import Alert, CaseStatus, CollectionCase, FollowUp
from autocollect.cases.selectors import visible_cases
from autocollect.compliance.models import ContactHold
from autocollect.strategy.models import ActionStatus, PlannedAction
from autocollect.workbench.display import CHANNEL_LABELS

TEAM_ROWS = 100


@dataclass(frozen=True, slots=True)
class AgentLoad:
    agent: User
    planned: int
    follow_ups: int
    open_cases: int


@dataclass(frozen=True, slots=True)
class TeamItem:
    case_id: int
    contract_no: str
    borrower_name: str
    agent_id: int | None
    agent: str
    step: str
    channel: str
    priority: int
    on_hold: bool


@dataclass(frozen=True)
class TeamPage:
    today: date
    agents: list[AgentLoad]
    items: list[TeamItem]
    alerts: list[Alert]
    holds: list[ContactHold]


def team_agents(lead: User) -> list[User]:
    """The collectors a lead may give work to: the agents of the teams they lead (an
    administrator: every active user who works cases)."""
    if has_permission(lead, "admin"):
        users = User.objects.filter(is_active=True).order_by("username")
        return [u for u in users if has_permission(u, "work_cases")]
    return list(
        User.objects.filter(teams__in=Team.objects.filter(lead=lead), is_active=True)
        .distinct()
        .order_by("username")
    )


def team_page(lead: User, *, today: date) -> TeamPage:
    loads = _agent_loads(team_agents(lead), today=today)
    items = _team_items(lead, today=today)
    alerts = list(
        Alert.objects.filter(acknowledged_at__isnull=True, case__in=visible_cases(lead))
        .select_related("case__loan__borrower", "raised_by")
        .order_by("-raised_at")[:TEAM_ROWS]
    )
    holds = list(
        ContactHold.objects.filter(released_at__isnull=True, case__in=visible_cases(lead))
        .select_related("case__loan__borrower")
        .order_by("-placed_at")[:TEAM_ROWS]
    )
    return TeamPage(today=today, agents=loads, items=items, alerts=alerts, holds=holds)


def _agent_loads(agents: list[User], *, today: date) -> list[AgentLoad]:
    """Each collector's queued plan items and follow-ups due today, and open cases."""
    ids = [a.pk for a in agents]
    planned = dict(
        PlannedAction.objects.filter(as_of=today, agent_id__in=ids, status=ActionStatus.QUEUED)
        .values("agent_id")
        .annotate(n=Count("id"))
        .values_list("agent_id", "n")
    )
    follow_ups = dict(
        FollowUp.objects.filter(agent_id__in=ids, done_at__isnull=True, due_on__lte=today)
        .values("agent_id")
        .annotate(n=Count("id"))
        .values_list("agent_id", "n")
    )
    open_cases = dict(
        CollectionCase.objects.filter(assigned_agent_id__in=ids, status=CaseStatus.OPEN)
        .values("assigned_agent_id")
        .annotate(n=Count("id"))
        .values_list("assigned_agent_id", "n")
    )
    return [
        AgentLoad(
            agent=a,
            planned=planned.get(a.pk, 0),
            follow_ups=follow_ups.get(a.pk, 0),
            open_cases=open_cases.get(a.pk, 0),
        )
        for a in agents
    ]


def _team_items(lead: User, *, today: date) -> list[TeamItem]:
    """Today's queued and overflowing plan items on the team's open cases, most urgent first."""
    team_cases = visible_cases(lead).filter(status=CaseStatus.OPEN)
    actions = list(
        PlannedAction.objects.filter(as_of=today, case__in=team_cases)
        .filter(Q(status=ActionStatus.QUEUED) | Q(status=ActionStatus.OVERFLOW))
        .select_related("case__loan__borrower", "case__assigned_agent", "agent")
        .order_by("-priority", "queue_rank", "id")[:TEAM_ROWS]
    )
    held = set(
        ContactHold.objects.filter(
            case_id__in=[a.case_id for a in actions], released_at__isnull=True
        ).values_list("case_id", flat=True)
    )
    return [
        TeamItem(
            case_id=a.case_id,
            contract_no=a.case.loan.contract_no,
            borrower_name=a.case.loan.borrower.name,
            agent_id=a.case.assigned_agent_id,
            agent=(
                a.case.assigned_agent.get_username()
                if a.case.assigned_agent
                else (a.agent.get_username() if a.agent else "")
            ),
            step=a.step,
            channel=str(CHANNEL_LABELS.get(a.channel, a.channel)),
            priority=a.priority,
            on_hold=a.case_id in held,
        )
        for a in actions
    ]
