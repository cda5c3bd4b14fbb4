"""Strategy API: strategies and their versions, the daily plan, work queues, experiments.

Mounted at ``/api/strategy/``. Reads only (strategies change in the admin, where a version is
validated and its activation audited; the plan changes by ``autocollect plan``). A token or a
session (``config/api.py``). Strategies and experiments need ``manage_strategy`` or
``view_reports``; the plan and the queues ``manage_strategy`` or ``view_team``, and a team lead
sees only the plan items of the cases visible to them and the queues of the teams they lead
(docs/roles.md).
"""

# Ninja resolves annotations at import time: no ``from __future__ import annotations``.
from datetime import date, datetime, time
from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError

from autocollect.accounts import access
from autocollect.accounts.api_auth import require_api_permission
from autocollect.cases import selectors as case_selectors
from autocollect.core.money import fen_to_yuan
from autocollect.strategy import selectors
from autocollect.strategy.models import ActionStatus, PlannedAction, Strategy, StrategyVersion
from autocollect.ui.api_common import PAGE_DEFAULT, PAGE_MAX, AnyDate, Int32, Offset

router = Router(tags=["strategy"])

STRATEGY_READERS = ("manage_strategy", "view_reports")
PLAN_READERS = ("manage_strategy", "view_team")


def _queue_allowed(request: HttpRequest, queue: Any) -> bool:
    """Strategy managers and the roles that see every case see every queue; a team lead
    the queues of the teams they lead."""
    if access.has_permission(request.user, "manage_strategy") or access.sees_all_cases(
        request.user
    ):
        return True
    return queue.team is not None and queue.team.lead_id == request.user.pk


class VersionOut(Schema):
    version: int
    status: str
    note: str
    created_by: str
    created_at: datetime
    activated_by: str
    activated_at: datetime | None


class StrategyOut(Schema):
    code: str
    name: str
    description: str
    active_version: int | None
    challenger_version: int | None
    challenger_share_bp: int


class StrategyDetailOut(StrategyOut):
    versions: list[VersionOut]
    definition: dict[str, Any] | None = Field(None, description="the active version's")
    challenger_definition: dict[str, Any] | None = None


class StrategyListOut(Schema):
    items: list[StrategyOut]
    count: int


def _strategy(strategy: Strategy) -> dict[str, Any]:
    active = selectors.strategy_active_version(strategy)
    challenger = strategy.challenger if strategy.challenger_share_bp > 0 else None
    return {
        "code": strategy.code,
        "name": strategy.name,
        "description": strategy.description,
        "active_version": active.version if active else None,
        "challenger_version": challenger.version if challenger else None,
        "challenger_share_bp": strategy.challenger_share_bp if challenger else 0,
        "_active": active,
        "_challenger": challenger,
    }


@router.get("/strategies", response=StrategyListOut, summary="催收策略列表")
def list_strategies(request: HttpRequest) -> Any:
    require_api_permission(request, *STRATEGY_READERS)
    items = [_strategy(s) for s in selectors.strategy_list()]
    return {"items": items, "count": len(items)}


@router.get("/strategies/{code}", response=StrategyDetailOut, summary="催收策略详情")
def strategy_detail(request: HttpRequest, code: str) -> Any:
    require_api_permission(request, *STRATEGY_READERS)
    strategy = get_object_or_404(Strategy, code=code)
    data = _strategy(strategy)
    active: StrategyVersion | None = data["_active"]
    challenger: StrategyVersion | None = data["_challenger"]
    return {
        **data,
        "versions": list(strategy.versions.order_by("-version")),
        "definition": active.definition if active else None,
        "challenger_definition": challenger.definition if challenger else None,
    }


# --- the plan -------------------------------------------------------------------------------


class PlanQuery(Schema):
    as_of: AnyDate | None = Field(None, description="default: the latest planned date")
    status: ActionStatus | None = None
    channel: str | None = None
    queue: str | None = None
    limit: int = Field(PAGE_DEFAULT, ge=1, le=PAGE_MAX)
    offset: Offset = 0


class ActionOut(Schema):
    id: int
    case_id: int
    contract_no: str
    segment: str
    arm: str
    step: str
    reason: str
    channel: str
    template: str
    queue: str | None
    priority: int
    status: str
    local_time: time
    planned_at: datetime
    scheduled_at: datetime | None
    due_on: date | None
    gate_rules: list[str]
    agent: str | None
    queue_rank: int | None
    minutes: int
    outbox_message_id: int | None


class PlanOut(Schema):
    as_of: date
    stats: dict[str, Any]
    items: list[ActionOut]
    count: int


def _action(action: PlannedAction) -> dict[str, Any]:
    return {
        "id": action.pk,
        "case_id": action.case_id,
        "contract_no": action.case.loan.contract_no,
        "segment": action.segment,
        "arm": action.arm,
        "step": action.step,
        "reason": action.reason,
        "channel": action.channel,
        "template": action.template,
        "queue": action.queue.code if action.queue else None,
        "priority": action.priority,
        "status": action.status,
        "local_time": action.local_time,
        "planned_at": action.planned_at,
        "scheduled_at": action.scheduled_at,
        "due_on": action.due_on,
        "gate_rules": list(action.gate_rules or []),
        "agent": action.agent.get_username() if action.agent else None,
        "queue_rank": action.queue_rank,
        "minutes": action.minutes,
        "outbox_message_id": action.outbox_message_id,
    }


def _plan_date(as_of: date | None) -> date:
    day = as_of or selectors.latest_plan_date()
    if day is None:
        raise HttpError(404, _("还没有每日计划（请运行 `autocollect plan`）"))
    return day


@router.get("/plan", response=PlanOut, summary="每日计划")
def plan(request: HttpRequest, query: Query[PlanQuery]) -> Any:
    require_api_permission(request, *PLAN_READERS)
    day = _plan_date(query.as_of)
    run = selectors.plan_for_date(day)
    if run is None:
        raise HttpError(
            404,
            _("%(day)s 没有每日计划（请运行 `autocollect plan --as-of`）")
            % {"day": day.isoformat()},
        )
    actions = selectors.plan_actions(
        as_of=day, status=query.status, channel=query.channel, queue=query.queue
    )
    if not access.sees_all_cases(request.user):
        actions = actions.filter(case__in=case_selectors.visible_cases(request.user))
    page = actions[query.offset : query.offset + query.limit]
    return {
        "as_of": day,
        "stats": run.stats,
        "items": [_action(a) for a in page],
        "count": actions.count(),
    }


# --- queues ---------------------------------------------------------------------------------


class QueueOut(Schema):
    code: str
    name: str
    team: str | None
    agents: int
    capacity_minutes: int
    queued: int
    overflow: int
    planned_minutes: int


class QueueListOut(Schema):
    as_of: date | None
    items: list[QueueOut]
    count: int


class QueueItemOut(Schema):
    rank: int | None
    status: str
    case_id: int
    contract_no: str
    borrower: str
    step: str
    channel: str
    priority: int
    minutes: int
    agent: str | None
    scheduled_at: datetime | None
    gate_rules: list[str]


class QueueDetailOut(Schema):
    as_of: date
    queue: QueueOut
    items: list[QueueItemOut]
    count: int


class QueueQuery(Schema):
    as_of: AnyDate | None = Field(None, description="default: the latest planned date")
    limit: int = Field(PAGE_DEFAULT, ge=1, le=PAGE_MAX)
    offset: Offset = 0


def _queue(summary: selectors.QueueSummary) -> dict[str, Any]:
    return {
        "code": summary.queue.code,
        "name": summary.queue.name,
        "team": summary.queue.team.name if summary.queue.team else None,
        "agents": summary.agents,
        "capacity_minutes": summary.capacity_minutes,
        "queued": summary.queued,
        "overflow": summary.overflow,
        "planned_minutes": summary.planned_minutes,
    }


@router.get("/queues", response=QueueListOut, summary="工作队列")
def queues(request: HttpRequest, as_of: AnyDate | None = None) -> Any:
    require_api_permission(request, *PLAN_READERS)
    day = as_of or selectors.latest_plan_date()
    items = [_queue(s) for s in selectors.queue_summaries(day) if _queue_allowed(request, s.queue)]
    return {"as_of": day, "items": items, "count": len(items)}


@router.get("/queues/{code}", response=QueueDetailOut, summary="队列明细（按处理顺序）")
def queue_detail(request: HttpRequest, code: str, query: Query[QueueQuery]) -> Any:
    require_api_permission(request, *PLAN_READERS)
    day = _plan_date(query.as_of)
    summary = next((s for s in selectors.queue_summaries(day) if s.queue.code == code), None)
    if summary is None or not _queue_allowed(request, summary.queue):
        raise HttpError(404, _("工作队列 %(code)s 不存在") % {"code": code})
    items = selectors.queue_items(code=code, as_of=day)
    page = items[query.offset : query.offset + query.limit]
    return {
        "as_of": day,
        "queue": _queue(summary),
        "items": [
            {
                "rank": a.queue_rank,
                "status": a.status,
                "case_id": a.case_id,
                "contract_no": a.case.loan.contract_no,
                "borrower": a.case.loan.borrower.name,
                "step": a.step,
                "channel": a.channel,
                "priority": a.priority,
                "minutes": a.minutes,
                "agent": a.agent.get_username() if a.agent else None,
                "scheduled_at": a.scheduled_at,
                "gate_rules": list(a.gate_rules or []),
            }
            for a in page
        ],
        "count": items.count(),
    }


# --- experiments ----------------------------------------------------------------------------


class ArmOut(Schema):
    arm: str
    cases: int
    recovered_fen: int
    recovered_yuan: str
    cured: int
    cure_rate_bp: int
    contacts: int
    contacts_per_case: str
    complaints: int


class ExperimentOut(Schema):
    strategy: str
    champion_version: int | None
    challenger_version: int
    share_bp: int
    arms: list[ArmOut]


@router.get("/experiments/{strategy}/arms", response=ExperimentOut, summary="冠军/挑战者各组结果")
def experiment_arms(
    request: HttpRequest, strategy: str, challenger_version: Int32 | None = None
) -> Any:
    require_api_permission(request, *STRATEGY_READERS)
    target = get_object_or_404(Strategy, code=strategy)
    if challenger_version is not None:
        challenger = get_object_or_404(StrategyVersion, strategy=target, version=challenger_version)
    elif target.challenger is not None:
        challenger = target.challenger
    else:
        latest = target.assignments.order_by("-challenger__version").first()
        if latest is None:
            raise HttpError(
                404,
                _("策略 %(strategy)s 没有挑战者，也没有以往的实验") % {"strategy": strategy},
            )
        challenger = latest.challenger
    active = selectors.strategy_active_version(target)
    arms = selectors.arm_outcomes(strategy=target, challenger=challenger)
    return {
        "strategy": target.code,
        "champion_version": active.version if active else None,
        "challenger_version": challenger.version,
        "share_bp": target.challenger_share_bp if target.challenger_id == challenger.pk else 0,
        "arms": [
            {
                "arm": a.arm,
                "cases": a.cases,
                "recovered_fen": a.recovered_fen,
                "recovered_yuan": f"{fen_to_yuan(a.recovered_fen)}",
                "cured": a.cured,
                "cure_rate_bp": a.cure_rate_bp,
                "contacts": a.contacts,
                "contacts_per_case": f"{a.contacts / a.cases:.2f}" if a.cases else "0.00",
                "complaints": a.complaints,
            }
            for a in arms
        ],
    }
