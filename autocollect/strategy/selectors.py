"""Reads for strategies, the plan, the work queues and the champion/challenger report."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import connection
from django.db.models import Count, Q, QuerySet, Sum

from autocollect.accounts.models import WorkQueue
from autocollect.strategy.models import (
    ActionStatus,
    Arm,
    PlannedAction,
    PlanRun,
    Strategy,
    StrategyVersion,
    VersionStatus,
)


def strategy_list() -> QuerySet[Strategy]:
    return Strategy.objects.select_related("challenger").order_by("code")


def strategy_active_version(strategy: Strategy) -> StrategyVersion | None:
    return strategy.versions.filter(status=VersionStatus.ACTIVE).first()


def latest_plan_date() -> date | None:
    return PlanRun.objects.order_by("-as_of").values_list("as_of", flat=True).first()


def plan_for_date(as_of: date) -> PlanRun | None:
    return PlanRun.objects.filter(as_of=as_of).select_related("strategy").first()


def plan_actions(
    *,
    as_of: date,
    status: str | None = None,
    channel: str | None = None,
    queue: str | None = None,
) -> QuerySet[PlannedAction]:
    """The date's actions, by case and step."""
    actions = PlannedAction.objects.filter(as_of=as_of)
    if status:
        actions = actions.filter(status=status)
    if channel:
        actions = actions.filter(channel=channel)
    if queue:
        actions = actions.filter(queue__code=queue)
    return actions.select_related("case__loan", "queue", "agent").order_by("case_id", "step")


@dataclass(frozen=True, slots=True)
class QueueSummary:
    queue: WorkQueue
    agents: int
    capacity_minutes: int
    queued: int
    overflow: int
    planned_minutes: int


def queue_summaries(as_of: date | None) -> list[QueueSummary]:
    """Every work queue with its team's capacity and the date's load (queued, overflow)."""
    counts: dict[int, Mapping[str, Any]] = {}
    if as_of is not None:
        for row in (
            PlannedAction.objects.filter(as_of=as_of, queue__isnull=False)
            .values("queue_id")
            .annotate(
                queued=Count("id", filter=Q(status=ActionStatus.QUEUED)),
                overflow=Count("id", filter=Q(status=ActionStatus.OVERFLOW)),
                minutes=Sum("minutes", filter=Q(status=ActionStatus.QUEUED)),
            )
        ):
            counts[row["queue_id"]] = row
    summaries = []
    for queue in WorkQueue.objects.select_related("team").order_by("code"):
        team = queue.team
        agents = team.agents.filter(is_active=True).count() if team else 0
        load = counts.get(queue.pk, {})
        summaries.append(
            QueueSummary(
                queue=queue,
                agents=agents,
                capacity_minutes=agents * team.minutes_per_agent if team else 0,
                queued=int(load.get("queued") or 0),
                overflow=int(load.get("overflow") or 0),
                planned_minutes=int(load.get("minutes") or 0),
            )
        )
    return summaries


def queue_items(*, code: str, as_of: date) -> QuerySet[PlannedAction]:
    """The queue's items for the date in working order (queued first by rank, then overflow)."""
    return (
        PlannedAction.objects.filter(as_of=as_of, queue__code=code)
        .select_related("case__loan__borrower", "agent")
        .order_by("queue_rank", "id")
    )


# --- champion/challenger --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ArmOutcome:
    arm: str
    cases: int
    # Payments on the case's loan from its assignment date until the case closed.
    recovered_fen: int
    cured: int
    cure_rate_bp: int
    # Contact attempts (interactions) on the case since its assignment.
    contacts: int
    # Complaint holds placed on the case since its assignment.
    complaints: int


def _by_arm(sql: str, params: list[Any]) -> dict[str, int]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {arm: int(value or 0) for arm, value in cursor.fetchall()}


def arm_outcomes(*, strategy: Strategy, challenger: StrategyVersion) -> list[ArmOutcome]:
    """Outcomes per arm of the experiment ``challenger`` of ``strategy``."""
    params = [strategy.pk, challenger.pk]
    where = "a.strategy_id = %s AND a.challenger_id = %s"
    cases = _by_arm(
        f"SELECT a.arm, COUNT(*) FROM strategy_armassignment a WHERE {where} GROUP BY a.arm",  # noqa: S608
        params,
    )
    cured = _by_arm(
        f"""
        SELECT a.arm, COUNT(*) FROM strategy_armassignment a
        JOIN cases_collectioncase c ON c.id = a.case_id
        WHERE {where} AND c.status = 'closed' AND c.close_reason = 'cured'
        GROUP BY a.arm
        """,  # noqa: S608 - fixed SQL
        params,
    )
    recovered = _by_arm(
        f"""
        SELECT a.arm, SUM(p.amount_fen) FROM strategy_armassignment a
        JOIN cases_collectioncase c ON c.id = a.case_id
        JOIN portfolio_payment p ON p.loan_id = c.loan_id AND p.paid_on >= a.assigned_on
             AND (c.closed_on IS NULL OR p.paid_on <= c.closed_on)
        WHERE {where}
        GROUP BY a.arm
        """,  # noqa: S608 - fixed SQL
        params,
    )
    contacts = _by_arm(
        f"""
        SELECT a.arm, COUNT(i.id) FROM strategy_armassignment a
        JOIN cases_interaction i ON i.case_id = a.case_id
        WHERE {where} AND i.at >= a.assigned_on
        GROUP BY a.arm
        """,  # noqa: S608 - fixed SQL
        params,
    )
    complaints = _by_arm(
        f"""
        SELECT a.arm, COUNT(h.id) FROM strategy_armassignment a
        JOIN compliance_contacthold h ON h.case_id = a.case_id
        WHERE {where} AND h.reason = 'complaint' AND h.placed_at >= a.assigned_on
        GROUP BY a.arm
        """,  # noqa: S608 - fixed SQL
        params,
    )
    outcomes = []
    for arm in (Arm.CHAMPION.value, Arm.CHALLENGER.value):
        n = cases.get(arm, 0)
        outcomes.append(
            ArmOutcome(
                arm=arm,
                cases=n,
                recovered_fen=recovered.get(arm, 0),
                cured=cured.get(arm, 0),
                cure_rate_bp=cured.get(arm, 0) * 10_000 // n if n else 0,
                contacts=contacts.get(arm, 0),
                complaints=complaints.get(arm, 0),
            )
        )
    return outcomes
