"""Reads for the collector's queue: today's work, one row per case, most urgent first.

The queue is built from three small, indexed reads — today's plan items of the agent
(``PlannedAction``), the agent's open follow-ups due, and pending promises due on the agent's
cases — and one read of those cases with their loan, borrower and delinquency. With 100,000
open cases in the database a collector's queue touches only their own few hundred rows
(``benchmarks/queue_bench.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, time, timedelta

from django.db.models import Exists, OuterRef
from django.utils.translation import gettext as _

from autocollect.accounts.models import User
from autocollect.cases.models import (
    CaseFlag,
    CaseStatus,
    FollowUp,
    Promise,
    PromiseStatus,
)
from autocollect.cases.selectors import visible_cases
from autocollect.compliance.models import ContactHold
from autocollect.strategy.models import ActionStatus, PlannedAction
from autocollect.workbench.display import CHANNEL_LABELS, FLAG_LABELS, Yuan

# Promises show in the queue from the day before they fall due (a reminder call) until the
# daily cycle judges them.
PROMISE_REMINDER_DAYS = 1
# Queue order: the plan's priority (0–100); a promise falling due and a follow-up the
# collector set themselves rank with the plan's most urgent work.
PROMISE_PRIORITY = 85
FOLLOW_UP_PRIORITY = 80


@dataclass(frozen=True, slots=True)
class QueueTask:
    """One reason the case is in today's queue."""

    kind: str  # planned | follow_up | promise
    label: str


@dataclass(frozen=True, slots=True)
class QueueItem:
    case_id: int
    contract_no: str
    borrower_name: str
    dpd: int
    bucket: str
    overdue: Yuan
    priority: int
    tasks: tuple[QueueTask, ...]
    local_time: time | None
    follow_up_on: date | None
    promise_due_on: date | None
    promise_amount: Yuan | None
    flags: tuple[str, ...]
    flag_labels: tuple[str, ...]
    on_hold: bool
    # Ready-made text of the row's cells: a string renders without the template engine's
    # localisation lookups, which a hundred rows of numbers and dates make noticeable.
    cells: dict[str, str] = field(default_factory=dict)

    @property
    def kinds(self) -> frozenset[str]:
        return frozenset(task.kind for task in self.tasks)


@dataclass(frozen=True, slots=True)
class QueueCounts:
    total: int
    planned: int
    follow_ups: int
    promises: int
    on_hold: int
    flagged: int


@dataclass(frozen=True)
class Queue:
    today: date
    items: list[QueueItem]
    counts: QueueCounts
    buckets: list[str] = field(default_factory=list)


@dataclass
class _Draft:
    priority: int = 0
    tasks: list[QueueTask] = field(default_factory=list)
    local_time: time | None = None
    follow_up_on: date | None = None
    promise_due_on: date | None = None
    promise_amount_fen: int | None = None


def agent_queue(user: User, *, today: date) -> Queue:
    """The collector's work for ``today``: plan items given to them, their follow-ups due and
    promises falling due on their cases; one row per case, most urgent first."""
    drafts: dict[int, _Draft] = {}
    _add_planned(drafts, user, today=today)
    _add_follow_ups(drafts, user, today=today)
    _add_promises(drafts, user, today=today)
    items = _queue_items(user, drafts)
    counts = QueueCounts(
        total=len(items),
        planned=sum(1 for i in items if "planned" in i.kinds),
        follow_ups=sum(1 for i in items if "follow_up" in i.kinds),
        promises=sum(1 for i in items if "promise" in i.kinds),
        on_hold=sum(1 for i in items if i.on_hold),
        flagged=sum(1 for i in items if i.flags),
    )
    buckets = sorted({i.bucket for i in items})
    return Queue(today=today, items=items, counts=counts, buckets=buckets)


def _add_planned(drafts: dict[int, _Draft], user: User, *, today: date) -> None:
    """Today's plan items given to the collector."""
    planned = PlannedAction.objects.filter(
        as_of=today, agent=user, status=ActionStatus.QUEUED
    ).values_list("case_id", "priority", "channel", "step", "local_time")
    for case_id, priority, channel, step, local_time in planned:
        draft = drafts.setdefault(case_id, _Draft())
        draft.priority = max(draft.priority, priority)
        label = str(CHANNEL_LABELS.get(channel, channel))
        draft.tasks.append(QueueTask("planned", f"{label} · {step}"))
        if draft.local_time is None or local_time < draft.local_time:
            draft.local_time = local_time


def _add_follow_ups(drafts: dict[int, _Draft], user: User, *, today: date) -> None:
    """The collector's open follow-ups due by ``today``."""
    follow_ups = FollowUp.objects.filter(
        agent=user, done_at__isnull=True, due_on__lte=today
    ).values_list("case_id", "due_on")
    for case_id, due_on in follow_ups:
        draft = drafts.setdefault(case_id, _Draft())
        draft.priority = max(draft.priority, FOLLOW_UP_PRIORITY)
        draft.follow_up_on = due_on
        draft.tasks.append(QueueTask("follow_up", _("跟进到期 %(day)s") % {"day": due_on}))


def _add_promises(drafts: dict[int, _Draft], user: User, *, today: date) -> None:
    """Pending promises on the collector's open cases, from the day before they fall due."""
    promises = Promise.objects.filter(
        case__assigned_agent=user,
        case__status=CaseStatus.OPEN,
        status=PromiseStatus.PENDING,
        due_on__lte=today + timedelta(days=PROMISE_REMINDER_DAYS),
    ).values_list("case_id", "due_on", "amount_fen")
    for case_id, due_on, amount_fen in promises:
        draft = drafts.setdefault(case_id, _Draft())
        draft.priority = max(draft.priority, PROMISE_PRIORITY)
        draft.promise_due_on = due_on
        draft.promise_amount_fen = amount_fen
        draft.tasks.append(
            QueueTask(
                "promise",
                _("承诺还款 %(amount)s 到期 %(day)s") % {"amount": Yuan(amount_fen), "day": due_on},
            )
        )


def _queue_items(user: User, drafts: dict[int, _Draft]) -> list[QueueItem]:
    if not drafts:
        return []
    ids = list(drafts)
    # Only cases the user may open (an item for a case moved to someone else drops out). Plain
    # values, not model instances: the page lists a hundred rows or so and renders each cell.
    held = ContactHold.objects.filter(case_id=OuterRef("pk"), released_at__isnull=True)
    rows = (
        visible_cases(user)
        .filter(pk__in=ids, status=CaseStatus.OPEN)
        .annotate(on_hold=Exists(held))
        .values_list(
            "pk",
            "loan__contract_no",
            "loan__borrower__name",
            "loan__delinquency__dpd",
            "loan__delinquency__bucket",
            "loan__delinquency__overdue_total_fen",
            "on_hold",
        )
    )
    flags: dict[int, list[str]] = {}
    for case_id, kind in CaseFlag.objects.filter(
        case_id__in=ids, cleared_at__isnull=True
    ).values_list("case_id", "kind"):
        flags.setdefault(case_id, []).append(kind)
    items = []
    for case_id, contract_no, name, dpd, bucket, overdue_fen, on_hold in rows:
        draft = drafts[case_id]
        kinds = tuple(sorted(set(flags.get(case_id, []))))
        items.append(
            QueueItem(
                case_id=case_id,
                contract_no=contract_no,
                borrower_name=name,
                dpd=dpd or 0,
                bucket=bucket or "M0",
                overdue=Yuan(overdue_fen or 0),
                priority=draft.priority,
                tasks=tuple(draft.tasks),
                local_time=draft.local_time,
                follow_up_on=draft.follow_up_on,
                promise_due_on=draft.promise_due_on,
                promise_amount=(
                    Yuan(draft.promise_amount_fen) if draft.promise_amount_fen is not None else None
                ),
                flags=kinds,
                flag_labels=tuple(str(FLAG_LABELS.get(k, k)) for k in kinds),
                on_hold=bool(on_hold),
                cells=_cells(case_id, draft, dpd or 0, overdue_fen or 0),
            )
        )
    items.sort(key=lambda i: (-i.priority, -i.dpd, -i.overdue.fen, i.case_id))
    return items


def _cells(case_id: int, draft: _Draft, dpd: int, overdue_fen: int) -> dict[str, str]:
    promise = (
        f"{draft.promise_due_on:%Y-%m-%d} · {Yuan(draft.promise_amount_fen or 0)}"
        if draft.promise_due_on is not None
        else "—"
    )
    return {
        "id": str(case_id),
        "priority": str(draft.priority),
        "dpd": str(dpd),
        "overdue": str(Yuan(overdue_fen)),
        "time": f"{draft.local_time:%H:%M}" if draft.local_time else "—",
        "promise": promise,
    }


def queue_filter(
    items: list[QueueItem], *, kind: str = "", bucket: str = "", search: str = "", flag: str = ""
) -> list[QueueItem]:
    """The queue narrowed by task kind, bucket, flag and a contract number / name search."""
    needle = search.strip().lower()
    return [
        item
        for item in items
        if (not kind or kind in item.kinds)
        and (not bucket or item.bucket == bucket)
        and (not flag or (flag == "hold" and item.on_hold) or flag in item.flags)
        and (
            not needle or needle in item.contract_no.lower() or needle in item.borrower_name.lower()
        )
    ]
