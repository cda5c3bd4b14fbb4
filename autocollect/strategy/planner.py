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
"""

from __future__ import annotations

import hashlib
import os
import time as clock
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import polars as pl
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from autocollect.accounts.models import Team, WorkQueue
from autocollect.audit.services import audit_record
from autocollect.channels.conf import lender_config
from autocollect.channels.models import MessageTemplate, TemplateStatus
from autocollect.channels.templating import format_due_date, opt_out_line
from autocollect.compliance.policy import load_policy
from autocollect.core.crypto import decrypt
from autocollect.core.dbio import insert_frame, is_postgres
from autocollect.core.errors import ApplicationError
from autocollect.core.money import format_yuan
from autocollect.delinquency.models import CycleRun
from autocollect.strategy import plan_frames
from autocollect.strategy import planner_io as io
from autocollect.strategy.capacity import TeamCapacity, WorkItem, assign
from autocollect.strategy.definitions import (
    AUTOMATED_CHANNELS,
    MAX_VALID_DAYS,
    StrategyDefinition,
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
from autocollect.strategy.outbox_bulk import (
    NewMessage,
    existing_messages,
    outbox_enqueue_many,
    render_job,
)
from autocollect.strategy.rendering import Pending, Renderer, renderer

# People who act in person need the collection authorisation; robots act for the lender.
HUMAN_CONTACT = frozenset({"call", "visit"})
NO_TEMPLATE = "strategy.no_template"
# Below this many open cases the messages are rendered in this process (starting worker
# processes costs more than it saves).
RENDER_POOL_MIN_CASES = 20_000


def _setting(name: str, default: Any) -> Any:
    return (getattr(settings, "AUTOCOLLECT", {}) or {}).get(name, default)


def idempotency_key(as_of: date, case_id: int, step_id: str) -> str:
    return f"plan:{as_of.isoformat()}:{case_id}:{step_id}"


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
    sc: io.OpenScope, cases: pl.DataFrame, versions: _Versions, as_of: date
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
    known = io.load_assignments(sc, strategy.pk, challenger.pk)
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


# --- the outbox -----------------------------------------------------------------------------


def _templates(language: str) -> dict[tuple[str, str], MessageTemplate]:
    """Active templates by (channel, code): the plan's language, else any active one."""
    found: dict[tuple[str, str], MessageTemplate] = {}
    for template in MessageTemplate.objects.filter(status=TemplateStatus.ACTIVE).order_by(
        "code", "language"
    ):
        key = (template.channel, template.code)
        if key not in found or template.language == language:
            found[key] = template
    return found


SENT = {"row": pl.Int64(), "outbox_id": pl.Int64(), "problem": pl.List(pl.String())}


@dataclass(frozen=True)
class _Draft:
    """A message an automated action would send: its template, values and key."""

    key: str
    template: MessageTemplate
    variables: dict[str, str]


@dataclass
class _Messages:
    """The day's automated actions as messages, their texts being rendered meanwhile."""

    drafts: dict[int, _Draft]  # by action row
    missing: set[int]  # rows with no active template
    pending: Pending | None
    rendering: list[str]  # keys in the order submitted


def _prepare_messages(rows: pl.DataFrame, as_of: date, language: str, texts: Renderer) -> _Messages:
    """The message of every automated action due today, and start rendering the new ones
    (all of them, before the gate: the few the gate holds back cost less than waiting)."""
    if rows.height == 0:
        return _Messages({}, set(), None, [])
    templates = _templates(language)
    lender = lender_config()
    facts = io.load_message_facts(rows.get_column("loan_id").unique().sort().to_list(), as_of)
    drafts: dict[int, _Draft] = {}
    missing: set[int] = set()
    for row in rows.join(facts, on="loan_id", how="left").iter_rows(named=True):
        template = templates.get((row["channel"], row["template"]))
        if template is None:
            missing.add(row["row"])
            continue
        lang = template.language
        due_on = row["oldest_due_on"] or as_of - timedelta(days=row["dpd"])
        drafts[row["row"]] = _Draft(
            key=idempotency_key(as_of, row["case_id"], row["step_id"]),
            template=template,
            variables={
                "borrower_name": row["borrower_name"],
                "contract_no": row["contract_no"],
                "overdue_amount": format_yuan(row["overdue_total_fen"]),
                "due_date": format_due_date(due_on, lang),
                "lender_name": lender.name_in(lang),
                "lender_hotline": lender.hotline,
                "payment_channels": lender.payment_channels_in(lang),
                "opt_out_line": opt_out_line(row["channel"], lang),
            },
        )
    known = existing_messages([d.key for d in drafts.values()])
    new = [d for d in drafts.values() if d.key not in known]
    pending = texts.submit([render_job(d.template, d.variables) for d in new])
    return _Messages(drafts, missing, pending, [d.key for d in new])


def _enqueue(rows: pl.DataFrame, messages: _Messages, as_of: date) -> pl.DataFrame:
    """Send the automated actions that go ahead to the outbox: ``SENT`` per row, with
    ``outbox_id`` null and the ``problem`` when no message could be made."""
    if rows.height == 0:
        return pl.DataFrame(schema=SENT)
    rendered = (
        dict(zip(messages.rendering, messages.pending.result(), strict=True))
        if messages.pending is not None
        else {}
    )
    results: list[tuple[int, int | None, list[str]]] = []
    new: list[NewMessage] = []
    new_rows: list[int] = []
    for row in rows.sort("case_id", "step_id").iter_rows(named=True):
        draft = messages.drafts.get(row["row"])
        if draft is None:
            results.append((row["row"], None, [NO_TEMPLATE]))
            continue
        new.append(
            NewMessage(
                case_id=row["case_id"],
                loan_id=row["loan_id"],
                channel=row["channel"],
                # The one place the plan opens a contact value: a message that goes out.
                to=decrypt(row["sealed"]),
                template=draft.template,
                variables=draft.variables,
                idempotency_key=draft.key,
                not_before=row["scheduled_at"],
            )
        )
        new_rows.append(row["row"])
    done = outbox_enqueue_many(new, as_of=as_of, rendered=rendered)
    results += [
        (row, result.message_id, list(result.problems))
        for row, result in zip(new_rows, done, strict=True)
    ]
    return pl.DataFrame(results, schema=SENT, orient="row")


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


def _render_processes(open_cases: int) -> int:
    configured = int(_setting("PLAN_RENDER_PROCESSES", min(2, os.cpu_count() or 1)))
    return configured if open_cases >= RENDER_POOL_MIN_CASES and configured > 1 else 0


@transaction.atomic
def plan_run(*, as_of: date, strategy_code: str | None = None) -> dict[str, Any]:
    """Plan ``as_of`` (after its cycle): see the module docstring. Returns the figures."""
    started = timezone.now()
    t0 = clock.perf_counter()
    phases: dict[str, float] = {}

    def mark(name: str) -> None:
        phases[name] = round(clock.perf_counter() - t0 - sum(phases.values()), 3)

    if not CycleRun.objects.filter(as_of=as_of).exists():
        raise ApplicationError(
            _("日终批处理尚未运行 %(day)s：请先运行 `autocollect cycle --as-of %(day)s`")
            % {"day": as_of.isoformat()}
        )
    versions = _versions(strategy_code or str(_setting("STRATEGY", "default")))
    policy = load_policy(str(_setting("CONTACT_POLICY", "cn")))
    language = str(_setting("STRATEGY_LANGUAGE", "zh-hans"))
    _reset(as_of)
    queues = {q.code: q for q in WorkQueue.objects.all()}
    cases = io.load_open_cases(as_of)
    known_at = min(timezone.now(), io.day_start(as_of + timedelta(days=1)))
    with renderer(_render_processes(cases.height)) as texts:
        with io.open_scope(as_of) as sc:
            arms, assigned = _arms(sc, cases, versions, as_of)
            flags = io.load_flags(sc, as_of, known_at)
            triggers = io.load_triggers(sc, as_of, cases)
            carried = io.load_carried(sc, as_of)
        mark("load")

        actions, segmented = plan_frames.due_actions(
            cases,
            arms,
            flags,
            triggers,
            carried,
            versions.definitions,
            {q.pk: code for code, q in queues.items()},
            as_of,
        )
        actions = (
            actions.join(
                cases.select(
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
            .pipe(plan_frames.with_planned_at, as_of)
        )
        automated = pl.col("channel").is_in(list(AUTOMATED_CHANNELS))
        messages = _prepare_messages(actions.filter(automated), as_of, language, texts)
        mark("due")

        reach = actions.get_column("borrower_id").unique().sort().to_list()
        with io.reach_scope(reach) as rc:
            raw_events = io.load_gate_events(
                rc,
                since=io.day_start(as_of) - io.HISTORY_WINDOW - timedelta(days=1),
                until=io.day_start(as_of + timedelta(days=2)),
            )
            contacts = io.load_contacts(rc, raw_events)
            previous_agents = io.load_previous_agents(rc, as_of)
        actions = plan_frames.with_contact_points(actions, contacts)
        mark("load_contacts")

        answers = plan_frames.gate(actions, io.events_for_cases(raw_events, cases), policy)
        actions = plan_frames.decide(actions, answers, as_of)
        mark("gate")

        go = pl.col("_go")
        work = _assign_agents(actions.filter(go & ~automated), queues, previous_agents)
        mark("queues")
        sent = _enqueue(actions.filter(go & automated), messages, as_of)
        mark("outbox")
    actions = plan_frames.settle(actions, sent, work, as_of)

    _write(actions, queues, as_of)
    reassigned = io.assign_cases(as_of)
    mark("write")

    stats = {
        "as_of": as_of.isoformat(),
        "cases": cases.height,
        "segmented": segmented,
        **_stats(
            actions,
            arms,
            versions,
            new_assignments=assigned,
            carried_in=int(carried.get_column("due").sum()),
        ),
        "phases": phases,
    }
    stats["seconds"] = round(clock.perf_counter() - t0, 3)
    PlanRun.objects.update_or_create(
        as_of=as_of,
        defaults={
            "strategy": versions.strategy,
            "champion": versions.champion,
            "challenger": versions.challenger,
            "started_at": started,
            "finished_at": timezone.now(),
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
    return stats
