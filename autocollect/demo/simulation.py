"""Days of collection work, simulated on the real code paths (``autocollect simulate``, and
``autocollect demo``, which simulates the days before its as-of date).

Each simulated day, on a simulated clock (``core.clock``) in the business time zone:

1. 01:30 — the daily cycle (``cycle_run``): DPD, buckets, penalties, promises kept or broken,
   cases opened and cured, against the payments dated up to that day only;
2. 02:30 — the daily plan (``plan_run``) with the active strategy, through the batch gate;
3. the day's work in time order: every outbox message is dispatched at its planned moment by
   the real dispatcher (which asks the gate again, ``GATE_AT_SEND``), and every agent works
   their queued calls in rank order from 09:00, each call logged as a collector logs it on
   the case page, through ``workbench.services.outcome_log`` (the gate asked through
   ``compliance.services.contact_record``, a refused call is not made; the result code, the
   promise and their audit events). Call results are drawn from a seeded generator (answered
   30 %, no answer 55 %, refused 10 %, wrong number 5 %); half of the answered calls end with
   a promise to pay the overdue amount within three days, which the next cycles judge against
   the real payments, the others with a callback agreed or a refusal to pay.

A ``Casework`` given to ``simulate`` adds the rest of the team's day to step 3, at the local times
it asks for: the demo's legal referrals, repayment arrangements and hardship claims
(``demo.casework``), each through its app's services. It draws from a generator of
its own, seeded from the same seed, never from the one of the call results.

Nothing is written past the gate and nothing bypasses the services: the history a simulation
leaves is the history the product would have written, and ``tests/demo/test_simulation.py``
checks all of it against the single gate after the fact.
"""

from __future__ import annotations

import heapq
import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils.translation import gettext as _

from autocollect.accounts.models import User
from autocollect.cases.models import CollectionCase, InteractionOutcome, OutcomeCode
from autocollect.channels.models import OutboxMessage, OutboxStatus
from autocollect.channels.outbox import outbox_dispatch
from autocollect.compliance.services import contact_check
from autocollect.core.clock import SimulatedClock, simulated_time
from autocollect.core.errors import ApplicationError
from autocollect.delinquency.models import LoanDelinquency
from autocollect.delinquency.services import cycle_run
from autocollect.portfolio.models import ContactKind, ContactOwner, ContactPoint
from autocollect.strategy.models import ActionStatus, PlannedAction
from autocollect.strategy.planner import plan_run
from autocollect.workbench.services import PARTY_OF_OWNER, ContactBlockedError, outcome_log

CALL_OUTCOMES = (
    [InteractionOutcome.ANSWERED.value] * 30
    + [InteractionOutcome.NO_ANSWER.value] * 55
    + [InteractionOutcome.REFUSED.value] * 10
    + [InteractionOutcome.WRONG_NUMBER.value] * 5
)
PROMISE_SHARE = 0.5
PROMISE_DAYS = 3
# An answered call without a promise ends in a callback agreed (below this draw) or a refusal
# to pay: the upper half of the draw that decided the promise, split evenly.
CALLBACK_BELOW = 0.75
# Result codes of the calls that reach nobody who talks (code, right party reached). A refusal
# to talk is not a right-party contact: nobody confirmed who hung up.
UNANSWERED_CODES: dict[str, tuple[str, bool]] = {
    InteractionOutcome.NO_ANSWER: (OutcomeCode.NOT_REACHED, False),
    InteractionOutcome.WRONG_NUMBER: (OutcomeCode.WRONG_PARTY, False),
    InteractionOutcome.REFUSED: (OutcomeCode.OTHER, False),
}
WORKDAY_START_HOUR = 9
# A dispatcher that keeps failing within one day stops being retried that day after this many
# attempts at one message (the outbox's own MAX_ATTEMPTS still applies across days).
MAX_SENDS_PER_MESSAGE_PER_DAY = 20


@dataclass
class DayFigures:
    day: date
    delinquent: int
    cases_opened: int
    actions: int
    sent: Counter[str] = field(default_factory=Counter)
    held_back: int = 0
    calls: Counter[str] = field(default_factory=Counter)
    calls_refused: int = 0
    promises: int = 0
    # Casework steps done, by audit action (``legal.refer``, ``arrangement.approve`` …), and
    # the arrangements the day's cycle judged (``broken``, ``completed``).
    casework: Counter[str] = field(default_factory=Counter)
    arrangements_judged: Counter[str] = field(default_factory=Counter)
    casework_seconds: float = 0.0

    def line(self) -> str:
        sent = ", ".join(f"{k} {v}" for k, v in sorted(self.sent.items())) or "none"
        calls = sum(self.calls.values())
        text = (
            f"{self.day.isoformat()}: {self.delinquent} delinquent, {self.cases_opened} cases "
            f"opened, {self.actions} actions; sent {sent}; held back by the gate "
            f"{self.held_back}; calls {calls} (refused by the gate {self.calls_refused}), "
            f"promises {self.promises}"
        )
        if self.casework:
            text += "; " + ", ".join(f"{k} {v}" for k, v in sorted(self.casework.items()))
        if self.arrangements_judged:
            judged = ", ".join(f"{k} {v}" for k, v in sorted(self.arrangements_judged.items()))
            text += f"; arrangements judged {judged}"
        return text


@dataclass
class SimulationReport:
    first: date
    last: date
    days: list[DayFigures]
    seconds: float

    @property
    def sent(self) -> Counter[str]:
        total: Counter[str] = Counter()
        for day in self.days:
            total.update(day.sent)
        return total

    @property
    def calls(self) -> int:
        return sum(sum(day.calls.values()) for day in self.days)

    @property
    def promises(self) -> int:
        return sum(day.promises for day in self.days)

    @property
    def casework(self) -> Counter[str]:
        total: Counter[str] = Counter()
        for day in self.days:
            total.update(day.casework)
        return total

    @property
    def arrangements_judged(self) -> Counter[str]:
        total: Counter[str] = Counter()
        for day in self.days:
            total.update(day.arrangements_judged)
        return total

    @property
    def casework_seconds(self) -> float:
        return sum(day.casework_seconds for day in self.days)


class Casework(Protocol):
    """The team's work besides the queued calls (legal referrals, arrangements, hardship
    claims), added to each worked day. ``rng`` is the casework's own seeded generator."""

    def day_events(
        self, day: date, rng: random.Random, today: DayFigures
    ) -> list[tuple[datetime, Callable[[], None]]]:
        """What to do when on ``day``: callables run on the simulated clock at their moment,
        in time order with the day's sends and calls."""
        ...

    def answered(
        self,
        *,
        case: CollectionCase,
        agent: User,
        promising: bool,
        rng: random.Random,
        today: DayFigures,
    ) -> bool:
        """An answered call the gate allows, before it is logged; ``promising``: the borrower
        would promise to pay. True when the call ended otherwise (an arrangement proposed,
        hardship claimed): it is then logged with the result code ``hardship``, no promise."""
        ...


def business_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def local_moment(day: date, hour: int, minute: int = 0) -> datetime:
    """``day hour:minute`` on the business clock, as UTC."""
    zone = business_zone()
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone).astimezone(UTC)


def simulate(
    *,
    first: date,
    last: date,
    seed: int = 1,
    plan_last_day_only: bool = False,
    progress: Callable[[str], None] | None = None,
    after_day: Callable[[date, SimulatedClock], None] | None = None,
    casework: Casework | None = None,
) -> SimulationReport:
    """Simulate every day from ``first`` to ``last``. With ``plan_last_day_only`` the last day
    gets its cycle and plan but no work: its queues and outbox are left for the people and the
    worker (what ``autocollect demo`` wants for "today"). ``after_day`` is called at 20:00 of
    each worked day on the simulated clock, for events from outside (payments, holds, flags).
    ``casework`` adds the team's other work to each worked day (see ``Casework``)."""
    if last < first:
        raise ApplicationError(
            _("没有可模拟的日期：%(last)s 早于 %(first)s") % {"last": last, "first": first}
        )
    started = time.perf_counter()
    rng = random.Random(seed)
    # A stream of its own (a str seed is hashed with SHA-512: the same in every process): the
    # casework takes no draws from the call results' ``rng``.
    work = _Work(casework, random.Random(f"{seed}/casework")) if casework is not None else None
    clock = SimulatedClock(local_moment(first, 0, 5))
    figures: list[DayFigures] = []
    with simulated_time(clock):
        day = first
        while day <= last:
            clock.set(local_moment(day, 1, 30))
            stats = cycle_run(as_of=day).runs[-1]
            clock.set(local_moment(day, 2, 30))
            plan = plan_run(as_of=day)
            today = DayFigures(
                day=day,
                delinquent=int(stats["delinquent"]),
                cases_opened=int(stats["cases_opened"]),
                actions=int(plan["actions"]),
            )
            judged = stats.get("arrangements") or {}
            today.arrangements_judged.update(
                {k: int(v) for k, v in judged.items() if k != "evaluated" and v}
            )
            if not (plan_last_day_only and day == last):
                _work_the_day(day, clock, rng, today, work)
                if after_day is not None:
                    clock.set(local_moment(day, 20))
                    after_day(day, clock)
            figures.append(today)
            if progress:
                progress(today.line())
            day += timedelta(days=1)
    return SimulationReport(
        first=first, last=last, days=figures, seconds=time.perf_counter() - started
    )


@dataclass(frozen=True)
class _Work:
    casework: Casework
    rng: random.Random


def _work_the_day(
    day: date,
    clock: SimulatedClock,
    rng: random.Random,
    today: DayFigures,
    work: _Work | None = None,
) -> None:
    """Messages, calls and casework in time order until the end of the business day."""
    end = local_moment(day + timedelta(days=1), 0)
    events, tasks = _day_events(day, end, today, work)
    order = len(events)  # the tie-breaker of the next event pushed
    heapq.heapify(events)
    sends: Counter[int] = Counter()
    while events:
        at, _, kind, ref = heapq.heappop(events)
        clock.set(at)
        if kind == "call":
            _make_call(ref, clock, rng, today, work)
        elif kind == "casework":
            started = time.perf_counter()
            tasks[ref]()
            today.casework_seconds += time.perf_counter() - started
        else:
            sends[ref] += 1
            retry_at = _send(ref, end, sends[ref], today)
            if retry_at is not None:
                heapq.heappush(events, (retry_at, order, "message", ref))
                order += 1


def _day_events(
    day: date, end: datetime, today: DayFigures, work: _Work | None
) -> tuple[list[tuple[datetime, int, str, int]], list[Callable[[], None]]]:
    """(at, order, kind, ref) of the day's messages due, calls and casework, in the order
    they were found (which breaks ties of time); and the casework tasks (``ref`` indexes
    them)."""
    events: list[tuple[datetime, int, str, int]] = []
    for message_id, at in OutboxMessage.objects.filter(
        status=OutboxStatus.PENDING, next_attempt_at__lt=end
    ).values_list("id", "next_attempt_at"):
        events.append((at, len(events), "message", message_id))
    for at, action_id in _agent_slots(day):
        events.append((at, len(events), "call", action_id))
    tasks: list[Callable[[], None]] = []
    if work is not None:
        for at, task in work.casework.day_events(day, work.rng, today):
            events.append((at, len(events), "casework", len(tasks)))
            tasks.append(task)
    return events, tasks


def _send(message_id: int, end: datetime, sends: int, today: DayFigures) -> datetime | None:
    """Dispatch a message (its ``sends``-th time today) and count what came of it; returns
    when to try again today, if it is to be tried again."""
    outcome = outbox_dispatch(message_id)
    if outcome.status in (OutboxStatus.SENT, OutboxStatus.DELIVERED):
        channel = OutboxMessage.objects.values_list("channel", flat=True).get(pk=message_id)
        today.sent[channel] += 1
    elif outcome.status == OutboxStatus.BLOCKED:
        today.held_back += 1
    elif outcome.retry_at is not None:
        if outcome.retry_at < end and sends < MAX_SENDS_PER_MESSAGE_PER_DAY:
            return outcome.retry_at
        if "合规拦截" in _last_error(message_id):
            today.held_back += 1
    return None


def _last_error(message_id: int) -> str:
    return OutboxMessage.objects.values_list("last_error", flat=True).get(pk=message_id)


def _agent_slots(day: date) -> list[tuple[datetime, int]]:
    """When each queued call of the day is made: each agent from 09:00, in queue rank order,
    one after the other for the minutes the plan gave each item, not before its planned time."""
    slots: list[tuple[datetime, int]] = []
    cursor: dict[int, datetime] = {}
    rows = (
        PlannedAction.objects.filter(
            as_of=day, status=ActionStatus.QUEUED, channel="call", agent__isnull=False
        )
        .order_by("agent_id", "queue_rank", "id")
        .values_list("id", "agent_id", "scheduled_at", "minutes")
    )
    for action_id, agent_id, scheduled_at, minutes in rows:
        at = cursor.get(agent_id, local_moment(day, WORKDAY_START_HOUR))
        if scheduled_at is not None:
            at = max(at, scheduled_at)
        slots.append((at, action_id))
        cursor[agent_id] = at + timedelta(minutes=minutes or 1)
    return slots


def _make_call(
    action_id: int,
    clock: SimulatedClock,
    rng: random.Random,
    today: DayFigures,
    work: _Work | None = None,
) -> None:
    """One queued call, logged as a collector logs it on the case page (``outcome_log``): the
    interaction through the gate, the result code, the promise to pay, their audit events."""
    action = PlannedAction.objects.select_related("case__loan", "agent").get(pk=action_id)
    case = action.case
    agent: User | None = action.agent
    contact = (
        ContactPoint.objects.filter(
            borrower_id=case.loan.borrower_id,
            kind=ContactKind.MOBILE,
            owner=ContactOwner.BORROWER,
        )
        .order_by("id")
        .first()
    )
    if agent is None or contact is None or case.status != "open":
        return
    at = clock.now()
    outcome = rng.choice(CALL_OUTCOMES)
    code, right_party = UNANSWERED_CODES.get(outcome, (OutcomeCode.CALLBACK, True))
    promise_fen: int | None = None
    if outcome == InteractionOutcome.ANSWERED and _gate_allows(case, contact, agent, at):
        # The call goes through: what the borrower says is decided (and the casework done)
        # before it is logged, since the result code depends on it. The gate is asked first,
        # without recording (the workbench's indicator), so that a call it refuses draws
        # nothing more and leaves no casework behind; it is asked again, recorded, below.
        draw = rng.random()
        promising = draw < PROMISE_SHARE
        handled = False
        if work is not None:
            started = time.perf_counter()
            handled = work.casework.answered(
                case=case, agent=agent, promising=promising, rng=work.rng, today=today
            )
            today.casework_seconds += time.perf_counter() - started
        if handled:
            # An arrangement proposed or a hardship claim filed: the borrower cannot pay.
            code = OutcomeCode.HARDSHIP
        elif promising:
            promise_fen = _overdue_fen(case)
            # Nothing overdue at the day's cycle: the borrower says it is paid.
            code = OutcomeCode.PROMISE_TO_PAY if promise_fen else OutcomeCode.PAID
        else:
            # The other half of the same draw, so that the call results' stream is unchanged.
            code = OutcomeCode.CALLBACK if draw < CALLBACK_BELOW else OutcomeCode.REFUSED_TO_PAY
    try:
        logged = outcome_log(
            case=case,
            agent=agent,
            contact=contact,
            channel="call",
            outcome=outcome,
            code=code,
            right_party=right_party,
            notes="模拟外呼",
            promise_amount_fen=promise_fen or None,
            promise_due_on=today.day + timedelta(days=PROMISE_DAYS) if promise_fen else None,
            at=at,
        )
    except ContactBlockedError:
        today.calls_refused += 1
        return
    today.calls[outcome] += 1
    if logged.promise is not None:
        today.promises += 1


def _gate_allows(case: CollectionCase, contact: ContactPoint, agent: User, at: datetime) -> bool:
    decision = contact_check(
        case=case,
        channel="call",
        party=PARTY_OF_OWNER[contact.owner],
        number=contact.value,
        requested_by=agent.get_username(),
        at=at,
        agent=agent,
        record=False,
    )
    return decision.allowed


def _overdue_fen(case: CollectionCase) -> int:
    """The overdue total as the day's cycle computed it (point in time; the book's own paid
    columns already include payments dated after the simulated day)."""
    overdue = (
        LoanDelinquency.objects.filter(loan_id=case.loan_id)
        .values_list("overdue_total_fen", flat=True)
        .first()
    )
    return max(int(overdue or 0), 0)
