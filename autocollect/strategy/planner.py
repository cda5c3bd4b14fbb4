"""The daily planner: after the cycle, today's actions for every open case (docs/strategy.md).

``plan_run(as_of=…)`` is one transaction per date:

1. Load the open cases with the date's loan state, flags, triggers, and the actions of earlier
   dates still waiting (blocked, rescheduled, over capacity).
2. Put each case in an arm (champion/challenger: stable hash, recorded once), then in the first
   matching segment of its version, and take the steps of its path due today (engine).
3. Load the contact points and the gate's history of the borrowers with something to do, and
   ask the vectorised contact gate about every contact at its planned moment. Allowed: it goes
   ahead. Blocked until a later moment: moved there (today: it goes ahead then; a later day:
   carried to that day). Blocked with no end (hold, opt-out): kept, and asked again daily.
4. Automated actions go to the outbox (idempotency key ``plan:{date}:{case}:{step}``); agent
   actions go to their queue in priority order and to agents within the team's minutes, the
   same borrower to the same agent where possible; what does not fit is overflow.
5. Write the date's actions and its ``PlanRun``.

Re-running a date undoes that date first (its actions, and its taking up of earlier dates'
actions) and plans again from the same inputs: the same plan, and no message enqueued twice.

What it reads comes from ``plan_cases`` (the open cases), ``plan_reach`` (the borrowers'
contact points and gate history) and ``plan_history`` (its own earlier plans), over the
temporary tables of ``plan_db``; the frame work is the engine's ``planning``; the messages are
``plan_messages``.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import polars as pl
from django.conf import settings
from django.db import connection, transaction
from django.utils.translation import gettext as _

from autocollect.accounts.models import Team, WorkQueue
from autocollect.audit.services import audit_record
from autocollect.compliance.policy import load_policy
from autocollect.core import clock
from autocollect.core.dbio import insert_frame, is_postgres
from autocollect.core.errors import ApplicationError
from autocollect.delinquency.models import CycleRun
from autocollect.engine import planning
from autocollect.engine.frames import AUTOMATED_CHANNELS
from autocollect.strategy.capacity import TeamCapacity, WorkItem, assign
from autocollect.strategy.definitions import (
    MAX_VALID_DAYS,
    StrategyDefinition,
    engine_frames,
    parse_definition,
)
from autocollect.strategy.models import (
    BASIS_POINTS,
    ActionStatus,
    Arm,
    PlanRun,
    Strategy,
    StrategyVersion,
    VersionStatus,
)
from autocollect.strategy.plan_cases import (
    load_flags,
    load_open_cases,
    load_triggers,
)
from autocollect.strategy.plan_db import OpenScope, day_start, open_scope, reach_scope
from autocollect.strategy.plan_history import (
    assign_cases,
    load_assignments,
    load_carried,
    load_previous_agents,
)
from autocollect.strategy.plan_messages import enqueue_messages, prepare_messages
from autocollect.strategy.plan_reach import (
    HISTORY_WINDOW,
    events_for_cases,
    load_contacts,
    load_gate_events,
)
from autocollect.strategy.rendering import renderer

# People who act in person need the collection authorisation; robots act for the lender.
HUMAN_CONTACT = frozenset({"call", "visit"})
# Below this many open cases the messages are rendered in this process (starting worker
# processes costs more than it saves).
RENDER_POOL_MIN_CASES = 20_000


def _setting(name: str, default: Any) -> Any:
    return (getattr(settings, "AUTOCOLLECT", {}) or {}).get(name, default)


def arm_hash(strategy_code: str, case_id: int) -> tuple[str, int]:
    """The first 16 hex digits of SHA-256("{code}:{case id}") and its bucket 0…9,999: the
    same on every machine and run, and independent of everything else about the case."""
    digest = hashlib.sha256(f"{strategy_code}:{case_id}".encode()).hexdigest()[:16]
    return digest, int(digest, 16) % BASIS_POINTS


def arm_of(bucket: int, share_bp: int) -> str:
    return Arm.CHALLENGER.value if bucket < share_bp else Arm.CHAMPION.value


@dataclass(frozen=True)
class _Versions:
    strategy: Strategy
    champion: StrategyVersion
    challenger: StrategyVersion | None
    definitions: dict[int, StrategyDefinition]


def _versions(strategy_code: str) -> _Versions:
    strategy = Strategy.objects.select_for_update().filter(code=strategy_code).first()
    if strategy is None:
        raise ApplicationError(
            _("策略 %(code)s 不存在（用 `autocollect strategy load` 载入默认策略）")
            % {"code": strategy_code}
        )
    champion = strategy.versions.filter(status=VersionStatus.ACTIVE).first()
    if champion is None:
        raise ApplicationError(_("策略 %(code)s 没有启用的版本") % {"code": strategy_code})
    challenger = strategy.challenger if strategy.challenger_share_bp > 0 else None
    definitions = {champion.pk: parse_definition(champion.definition)}
    if challenger is not None:
        definitions[challenger.pk] = parse_definition(challenger.definition)
    return _Versions(strategy, champion, challenger, definitions)


def _reset(as_of: date) -> None:
    """Undo an earlier run of ``as_of``: its actions (and with them its taking up of earlier
    ones, which its actions record)."""
    with connection.cursor() as cursor:
        # Later dates' actions carried from this one (only when later dates were planned).
        cursor.execute(
            "UPDATE strategy_plannedaction SET carried_from_id = NULL WHERE as_of > %s AND "
            "as_of <= %s AND carried_from_id IN "
            "(SELECT id FROM strategy_plannedaction WHERE as_of = %s)",
            [as_of, as_of + timedelta(days=MAX_VALID_DAYS + 1), as_of],
        )
        cursor.execute("DELETE FROM strategy_plannedaction WHERE as_of = %s", [as_of])


# --- arms -----------------------------------------------------------------------------------


def _arms(
    sc: OpenScope, cases: pl.DataFrame, versions: _Versions, as_of: date
) -> tuple[pl.DataFrame, int]:
    """(case_id, arm, version_id) for every case, and how many were assigned now (recorded)."""
    strategy, challenger = versions.strategy, versions.challenger
    if challenger is None:
        return (
            cases.select(
                "case_id",
                pl.lit(Arm.CHAMPION.value).alias("arm"),
                pl.lit(versions.champion.pk, dtype=pl.Int64).alias("version_id"),
            ),
            0,
        )
    known = load_assignments(sc, strategy.pk, challenger.pk)
    share = strategy.challenger_share_bp
    rows = []
    for case_id in cases.join(known, on="case_id", how="anti").get_column("case_id"):
        digest, bucket = arm_hash(strategy.code, case_id)
        rows.append((case_id, digest, bucket, arm_of(bucket, share)))
    new = pl.DataFrame(
        rows,
        schema={"case_id": pl.Int64, "hash": pl.String, "bucket": pl.Int64, "arm": pl.String},
        orient="row",
    )
    insert_frame(
        "strategy_armassignment",
        new.select(
            "case_id",
            pl.lit(strategy.pk).alias("strategy_id"),
            pl.lit(challenger.pk).alias("challenger_id"),
            "arm",
            pl.lit(as_of).alias("assigned_on"),
            "hash",
            "bucket",
            pl.lit(share).alias("share_bp"),
        ),
    )
    arms = pl.concat([known, new.select("case_id", "arm")])
    return (
        cases.select("case_id")
        .join(arms, on="case_id", how="left")
        .with_columns(
            pl.when(pl.col("arm") == Arm.CHALLENGER.value)
            .then(pl.lit(challenger.pk))
            .otherwise(pl.lit(versions.champion.pk))
            .cast(pl.Int64)
            .alias("version_id")
        ),
        new.height,
    )


# --- queues and agents ----------------------------------------------------------------------


def _teams() -> dict[int, TeamCapacity]:
    teams = {}
    for team in Team.objects.prefetch_related("agents"):
        members = list(team.agents.all())
        teams[team.pk] = TeamCapacity(
            team_id=team.pk,
            minutes_per_agent=team.minutes_per_agent,
            agents=tuple(sorted(a.pk for a in members if a.is_active)),
            authorised=frozenset(a.pk for a in members if a.may_collect),
        )
    return teams


ASSIGNED = {"row": pl.Int64(), "agent_id": pl.Int64(), "queue_rank": pl.Int64()}


def _assign_agents(
    work: pl.DataFrame, queues: Mapping[str, WorkQueue], previous: pl.DataFrame
) -> pl.DataFrame:
    """``ASSIGNED`` for the agent work that goes ahead: in queue order (priority, then the
    latest and largest debts first), each item to an agent of the queue's team with minutes
    left (``capacity.assign``); ``agent_id`` null is overflow."""
    if work.height == 0:
        return pl.DataFrame(schema=ASSIGNED)
    team_of = {code: q.team_id for code, q in queues.items()}
    ordered = work.with_columns(
        pl.col("queue").replace_strict(team_of, default=None, return_dtype=pl.Int64).alias("team")
    ).sort(
        ["priority", "dpd", "overdue_total_fen", "case_id", "step_id"],
        descending=[True, True, True, False, False],
    )
    items = [
        WorkItem(
            team_id=team,
            borrower_id=borrower,
            minutes=minutes,
            needs_authorised=channel in HUMAN_CONTACT,
        )
        for team, borrower, minutes, channel in ordered.select(
            "team", "borrower_id", "minutes", "channel"
        ).iter_rows()
    ]
    agents = assign(items, _teams(), dict(previous.iter_rows()))
    return ordered.select(
        "row",
        pl.Series("agent_id", agents, dtype=pl.Int64),
        pl.int_range(1, pl.len() + 1).over("queue").cast(pl.Int64).alias("queue_rank"),
    )


# --- writing --------------------------------------------------------------------------------


def _write(actions: pl.DataFrame, queues: Mapping[str, WorkQueue], as_of: date) -> None:
    queue_ids = {code: q.pk for code, q in queues.items()}
    rows = actions.sort("case_id", "step_id").select(
        pl.lit(as_of).alias("as_of"),
        "case_id",
        "borrower_id",
        "version_id",
        "arm",
        pl.col("segment_id").alias("segment"),
        pl.col("step_id").alias("step"),
        "reason",
        "channel",
        pl.col("template").fill_null(""),
        pl.col("queue")
        .replace_strict(queue_ids, default=None, return_dtype=pl.Int64)
        .alias("queue_id"),
        "priority",
        "status",
        "local_time",
        "planned_at",
        "scheduled_at",
        "due_on",
        "valid_until",
        pl.col("carried_from").alias("carried_from_id"),
        pl.col("rules").alias("gate_rules"),
        "agent_id",
        "queue_rank",
        "minutes",
        pl.col("outbox_id").alias("outbox_message_id"),
    )
    if not is_postgres():
        # Django keeps SQLite datetimes as naive UTC text and times as text; the sqlite3
        # module stores neither an aware datetime nor a time that way by itself.
        rows = rows.with_columns(
            pl.col("planned_at", "scheduled_at").dt.replace_time_zone(None),
            pl.col("local_time").dt.strftime("%H:%M:%S"),
        )
    insert_frame("strategy_plannedaction", rows)


def _counts(frame: pl.DataFrame, column: str) -> dict[str, int]:
    return {str(key): int(n) for key, n in frame.group_by(column).len().sort(column).iter_rows()}


def _stats(
    actions: pl.DataFrame, arms: pl.DataFrame, versions: _Versions, **figures: Any
) -> dict[str, Any]:
    by_status = _counts(actions, "status")
    by_queue = {
        str(code): {
            "queued": int((part.get_column("status") == ActionStatus.QUEUED.value).sum()),
            "overflow": int((part.get_column("status") == ActionStatus.OVERFLOW.value).sum()),
            "minutes": int(
                part.filter(pl.col("status") == ActionStatus.QUEUED.value)
                .get_column("minutes")
                .sum()
            ),
        }
        for (code,), part in actions.filter(pl.col("queue").is_not_null())
        .sort("queue")
        .group_by(["queue"], maintain_order=True)
    }
    return {
        "strategy": versions.strategy.code,
        "champion": versions.champion.version,
        "challenger": versions.challenger.version if versions.challenger else None,
        "actions": actions.height,
        "by_channel": _counts(actions, "channel"),
        "by_queue": by_queue,
        "by_status": by_status,
        "by_arm": _counts(arms, "arm"),
        "outbox": by_status.get(ActionStatus.SENT_TO_OUTBOX.value, 0),
        "blocked": by_status.get(ActionStatus.BLOCKED.value, 0),
        # Moved by the gate: to a later day, or later the same day.
        "rescheduled": by_status.get(ActionStatus.RESCHEDULED.value, 0)
        + int(actions.get_column("moved").fill_null(False).sum()),
        "overflow": by_status.get(ActionStatus.OVERFLOW.value, 0),
        **figures,
    }


# --- the plan -------------------------------------------------------------------------------


class _Phases:
    """Seconds spent in each phase of the plan, reported in its figures (operations)."""

    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.seconds: dict[str, float] = {}

    def mark(self, name: str) -> None:
        elapsed = time.perf_counter() - self.started
        self.seconds[name] = round(elapsed - sum(self.seconds.values()), 3)

    @property
    def total(self) -> float:
        return round(time.perf_counter() - self.started, 3)


def _render_processes(open_cases: int) -> int:
    configured = int(_setting("PLAN_RENDER_PROCESSES", min(2, os.cpu_count() or 1)))
    return configured if open_cases >= RENDER_POOL_MIN_CASES and configured > 1 else 0


def _require_cycle(as_of: date) -> None:
    if not CycleRun.objects.filter(as_of=as_of).exists():
        raise ApplicationError(
            _("日终批处理尚未运行 %(day)s：请先运行 `autocollect cycle --as-of %(day)s`")
            % {"day": as_of.isoformat()}
        )


@dataclass(frozen=True)
class _Inputs:
    """What the plan knows of the open cases before it decides anything."""

    cases: pl.DataFrame
    arms: pl.DataFrame
    new_assignments: int  # cases put in an arm by this plan
    flags: pl.DataFrame
    triggers: pl.DataFrame
    carried: pl.DataFrame


def _load(cases: pl.DataFrame, versions: _Versions, as_of: date, known_at: datetime) -> _Inputs:
    with open_scope(as_of) as sc:
        arms, assigned = _arms(sc, cases, versions, as_of)
        flags = load_flags(sc, as_of, known_at)
        triggers = load_triggers(sc, as_of, cases)
        carried = load_carried(sc, as_of)
    return _Inputs(cases, arms, assigned, flags, triggers, carried)


def _due(
    inputs: _Inputs, versions: _Versions, queues: Mapping[str, WorkQueue], as_of: date
) -> tuple[pl.DataFrame, int]:
    """The actions due today, numbered (``row``), with their case's state and planned moment;
    and how many cases a segment took."""
    rules, steps = engine_frames(versions.definitions)
    actions, segmented = planning.due_actions(
        inputs.cases,
        inputs.arms,
        inputs.flags,
        inputs.triggers,
        inputs.carried,
        rules=rules,
        steps=steps,
        queue_codes={q.pk: code for code, q in queues.items()},
        as_of=as_of,
    )
    actions = (
        actions.join(
            inputs.cases.select(
                "case_id",
                "loan_id",
                "borrower_id",
                "dpd",
                "overdue_total_fen",
                "product",
                "region",
                "timezone",
            ),
            on="case_id",
            how="left",
        )
        .sort("case_id", "step_id")
        .with_row_index("row")
        .with_columns(pl.col("row").cast(pl.Int64))
        .pipe(planning.with_planned_at, as_of)
    )
    return actions, segmented


def _reach(actions: pl.DataFrame, as_of: date) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """For the borrowers with something to do: the actions with their contact points, the
    borrowers' gate history and the agents they had before."""
    reach = actions.get_column("borrower_id").unique().sort().to_list()
    with reach_scope(reach) as rc:
        raw_events = load_gate_events(
            rc,
            since=day_start(as_of) - HISTORY_WINDOW - timedelta(days=1),
            until=day_start(as_of + timedelta(days=2)),
        )
        contacts = load_contacts(rc, raw_events)
        previous_agents = load_previous_agents(rc, as_of)
    return planning.with_contact_points(actions, contacts), raw_events, previous_agents


def _record(
    as_of: date,
    versions: _Versions,
    stats: dict[str, Any],
    actions: pl.DataFrame,
    *,
    started: datetime,
    reassigned: int,
) -> None:
    """The date's ``PlanRun`` and its audit events."""
    PlanRun.objects.update_or_create(
        as_of=as_of,
        defaults={
            "strategy": versions.strategy,
            "champion": versions.champion,
            "challenger": versions.challenger,
            "started_at": started,
            "finished_at": clock.now(),
            "stats": stats,
        },
    )
    audit_record(
        actor="planner",
        action="strategy.plan",
        object_type="strategy.planrun",
        object_id=as_of.isoformat(),
        after={k: stats[k] for k in ("strategy", "champion", "challenger", "actions", "outbox")},
    )
    # One event for the day's assignments, not one per case (tens of thousands).
    with_agent = actions.filter(pl.col("agent_id").is_not_null())
    audit_record(
        actor="planner",
        action="case.assign",
        object_type="strategy.planrun",
        object_id=as_of.isoformat(),
        after={
            "cases_with_agent": with_agent.get_column("case_id").n_unique(),
            "agents": with_agent.get_column("agent_id").n_unique(),
            "changed": reassigned,
        },
    )


@transaction.atomic
def plan_run(*, as_of: date, strategy_code: str | None = None) -> dict[str, Any]:
    """Plan ``as_of`` (after its cycle): see the module docstring. Returns the figures."""
    started = clock.now()
    phases = _Phases()
    _require_cycle(as_of)
    versions = _versions(strategy_code or str(_setting("STRATEGY", "default")))
    policy = load_policy(str(_setting("CONTACT_POLICY", "cn")))
    language = str(_setting("STRATEGY_LANGUAGE", "zh-hans"))
    _reset(as_of)
    queues = {q.code: q for q in WorkQueue.objects.all()}
    cases = load_open_cases(as_of)
    known_at = min(clock.now(), day_start(as_of + timedelta(days=1)))
    with renderer(_render_processes(cases.height)) as texts:
        inputs = _load(cases, versions, as_of, known_at)
        phases.mark("load")

        actions, segmented = _due(inputs, versions, queues, as_of)
        automated = pl.col("channel").is_in(list(AUTOMATED_CHANNELS))
        messages = prepare_messages(actions.filter(automated), as_of, language, texts)
        phases.mark("due")

        actions, raw_events, previous_agents = _reach(actions, as_of)
        phases.mark("load_contacts")

        answers = planning.gate(actions, events_for_cases(raw_events, cases), policy)
        actions = planning.decide(actions, answers, as_of)
        phases.mark("gate")

        go = pl.col("_go")
        work = _assign_agents(actions.filter(go & ~automated), queues, previous_agents)
        phases.mark("queues")
        sent = enqueue_messages(actions.filter(go & automated), messages, as_of)
        phases.mark("outbox")
    actions = planning.settle(actions, sent, work, as_of)

    _write(actions, queues, as_of)
    reassigned = assign_cases(as_of)
    phases.mark("write")

    stats = {
        "as_of": as_of.isoformat(),
        "cases": cases.height,
        "segmented": segmented,
        **_stats(
            actions,
            inputs.arms,
            versions,
            new_assignments=inputs.new_assignments,
            carried_in=int(inputs.carried.get_column("due").sum()),
        ),
        "phases": phases.seconds,
    }
    stats["seconds"] = phases.total
    _record(as_of, versions, stats, actions, started=started, reassigned=reassigned)
    return stats
