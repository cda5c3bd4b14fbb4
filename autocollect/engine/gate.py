"""The contact gate (联络合规闸门): may this contact happen now, and if not, when?

``decide(policy, check, events, timezone=…)`` answers for one case: a channel, a party, a number
(or address) and a moment, against the case's history of contacts, holds, releases, opt-outs,
agreed hours and "unreachable" findings. It is pure Python (no database, no Django): the
database-backed service (``autocollect.compliance.services``) loads the history and calls it,
the scenario console feeds it a file, and the batch gate (``gating.py``) gives the same answers
over frames. Every number comes from the policy (``policy.py``; the packs are
``autocollect/compliance/policies/*.yaml``); local days and wall-clock times are
``contact_time.py``'s; the definitions below are documented with examples in
``docs/compliance.md``.

Definitions (all days are calendar days on the debtor's local wall clock, ``timezone``):

* Only events at or before ``check.at`` count; events at the same instant count in the order
  given (ties keep input order).
* A call is a contact on a call channel of the rule (``call`` and ``robot_call`` in both packs:
  a robot's calls count toward, and are limited by, the same limits as a person's).
* Reached (answered) = outcome ``answered`` or ``refused`` (the person picked up); an
  unanswered attempt = ``no_answer``; ``wrong_number`` is neither, and closes that number.
* ``answered_calls_daily``: reached calls with the check's party on the check's local day.
* ``unanswered_attempts_daily``: ``no_answer`` calls to the check's number (any party) that day.
* ``calls_in_period`` (Reg F 7-in-7): call attempts, any outcome, to the check's party within
  the ``days`` local days ending on the check's day. Blocked while there are ``max`` of them;
  allowed again on the day the oldest of the last ``max`` leaves the window.
* ``wait_after_conversation``: a reached call with the party on day C blocks calls to that
  party on C … C+days-1 ("the date of the telephone conversation is the first day").
* Third parties: ``third_party_unreachable_only`` needs an ``unreachable`` event after the last
  reached contact (any channel) with the borrower; ``third_party_refusal`` closes a number on
  which a third party refused; ``third_party_once`` counts reached contacts with third parties
  on the number.
* A hold blocks all contact until a ``release`` with the same reason; an opt-out closes that
  channel to the borrower (the opt-out rule's parties); agent authorisation is required on the
  rule's (human) channels.

The answer:

* ``rules`` for a block: every rule that blocks, in pack order. For an allow: the rules that
  allow *with a condition* (requirements such as ``record_call``), not every rule that passed.
* ``next_allowed_at``: ``check.at`` when allowed; ``None`` when a block does not end by itself
  (hold, opt-out, wrong number, third-party refusal or limit, no unreachable finding, agent not
  authorised); otherwise the earliest instant at which the same check, with the same history,
  is allowed: the day-counting rules say from which local day, the window says from which wall
  clock time. Wall-clock times are converted with ``zoneinfo``: a window opening in a repeated
  hour (autumn) opens at its first occurrence after the moment asked about, one in a skipped
  hour (spring) opens when the clocks jump past it.
* Product or region overrides are applied by the caller: ``decide(policy.for_context(...), …)``.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from operator import attrgetter
from typing import Any
from zoneinfo import ZoneInfo

from autocollect.engine.contact_time import (
    Intervals,
    clock_us,
    day_start,
    day_starts,
    inside,
    next_in_window,
    rule_intervals,
    time_us,
)
from autocollect.engine.policy import (
    CHANNELS,
    EVENT_TYPES,
    OUTCOMES,
    PARTIES,
    REACHED_OUTCOMES,
    AgentAuthorisationRule,
    AnsweredCallsDailyRule,
    CallsInPeriodRule,
    ContactWindowRule,
    HoldRule,
    OptOutRule,
    Policy,
    Reason,
    Rule,
    ThirdPartyOnceRule,
    ThirdPartyRefusalRule,
    ThirdPartyUnreachableOnlyRule,
    UnansweredAttemptsDailyRule,
    WaitAfterConversationRule,
    WrongNumberRule,
)


class GateInputError(ValueError):
    """A check or an event the gate cannot judge (naive time, unknown channel, party, type)."""


def _require_aware(at: datetime, what: str) -> None:
    if at.tzinfo is None or at.utcoffset() is None:
        raise GateInputError(f"{what}: the time {at.isoformat()} has no time zone (use UTC)")


@dataclass(frozen=True, slots=True)
class Event:
    """One thing that happened on the case. ``start``/``end`` are a ``consent_hours`` window
    (debtor-local wall clock; ``end`` before ``start`` wraps midnight, equal means all day)."""

    at: datetime
    type: str
    channel: str | None = None
    party: str | None = None
    number: str | None = None
    outcome: str | None = None
    reason: str | None = None
    start: time | None = None
    end: time | None = None

    def __post_init__(self) -> None:
        _require_aware(self.at, "event")
        if self.type not in EVENT_TYPES:
            raise GateInputError(
                f"event: type must be one of {', '.join(EVENT_TYPES)}, not {self.type!r}"
            )
        if self.type == "contact":
            if self.channel not in CHANNELS or self.party not in PARTIES:
                raise GateInputError(
                    f"contact event: channel {self.channel!r} / party {self.party!r} unknown"
                )
            if self.outcome not in OUTCOMES or not self.number:
                raise GateInputError(
                    f"contact event: outcome {self.outcome!r} unknown or number missing"
                )
        elif self.type in ("hold", "release") and not self.reason:
            raise GateInputError(f"{self.type} event: reason is missing")
        elif self.type == "opt_out" and self.channel not in CHANNELS:
            raise GateInputError(f"opt_out event: channel {self.channel!r} unknown")
        elif self.type == "consent_hours" and (self.start is None or self.end is None):
            raise GateInputError("consent_hours event: start and end are required")


@dataclass(frozen=True, slots=True)
class Check:
    """A contact about to happen. ``agent_authorised`` is the acting user's certification and
    authorisation for collection (True for machines, which the rule does not cover)."""

    at: datetime
    channel: str
    party: str
    number: str
    agent_authorised: bool = True

    def __post_init__(self) -> None:
        _require_aware(self.at, "check")
        if self.channel not in CHANNELS:
            raise GateInputError(f"check: channel must be one of {', '.join(CHANNELS)}")
        if self.party not in PARTIES:
            raise GateInputError(f"check: party must be one of {', '.join(PARTIES)}")
        if not self.number:
            raise GateInputError("check: number (or address) is missing")


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    rules: tuple[str, ...]
    reasons: tuple[Reason, ...]
    next_allowed_at: datetime | None
    # Conditions of an allowed contact, e.g. record_call, no_debt_disclosure (script checked
    # for the content checker's third_party audience), opt_out_notice. Empty when blocked.
    requirements: tuple[str, ...] = ()

    def as_dict(self, timezone: ZoneInfo) -> dict[str, Any]:
        """JSON-ready; ``next_allowed_at`` as ISO-8601 in the debtor's zone."""
        nxt = self.next_allowed_at
        return {
            "allowed": self.allowed,
            "rules": list(self.rules),
            "reasons": [reason.as_dict() for reason in self.reasons],
            "next_allowed_at": None if nxt is None else nxt.astimezone(timezone).isoformat(),
            "requirements": list(self.requirements),
        }


# --- the decision ---------------------------------------------------------------------------

_AT = attrgetter("at")
_NONE: frozenset[str] = frozenset()
_OLD = -(10**6)  # the day offset of "long before the window"
# Block "days": how many local days after the check's day a day-counting block ends, or
# INDEFINITE when it does not end by itself.
INDEFINITE = -1


@dataclass(frozen=True, slots=True)
class _Scope:
    """The call channels each counting rule looks at for the check's party (none when the rule
    does not cover the party), and the unanswered attempts' channels (any party)."""

    answered: frozenset[str]
    period: frozenset[str]
    wait: frozenset[str]
    unanswered: frozenset[str]

    @property
    def party(self) -> frozenset[str]:
        return self.answered | self.period | self.wait


def _scope(policy: Policy, party: str) -> _Scope:
    answered = policy.answered_calls_daily
    period = policy.calls_in_period
    wait = policy.wait_after_conversation
    unanswered = policy.unanswered_attempts_daily
    return _Scope(
        answered=answered.channels if answered is not None and party in answered.parties else _NONE,
        period=period.channels if period is not None and party in period.parties else _NONE,
        wait=wait.channels if wait is not None and party in wait.parties else _NONE,
        unanswered=unanswered.channels if unanswered is not None else _NONE,
    )


@dataclass(frozen=True, slots=True)
class _History:
    """What the case's history says at the check, as the rules count it. Days are offsets from
    the check's local day (0 today, -1 yesterday; ``_OLD`` before the look-back)."""

    holds: dict[str, bool]
    opted_out: set[str]
    consent: tuple[int, int] | None
    unreachable: bool
    answered_today: int
    unanswered_today: int
    third_party_reached: int
    attempts: list[int]
    conversation: int
    wrong: bool
    refused: bool


def _case_state(
    policy: Policy, events: Sequence[Event]
) -> tuple[dict[str, bool], set[str], tuple[int, int] | None]:
    """Holds (on or released, by reason), opted-out channels and agreed hours, from the
    non-contact events in time order."""
    holds: dict[str, bool] = {}
    opted_out: set[str] = set()
    consent: tuple[int, int] | None = None
    for event in events:
        kind = event.type
        if kind == "hold" or kind == "release":
            reason = event.reason or ""
            if reason not in policy.holds:
                raise GateInputError(
                    f"{kind} event: reason {reason!r} has no hold rule in pack "
                    f"{policy.name} ({', '.join(policy.holds)})"
                )
            holds[reason] = kind == "hold"
        elif kind == "opt_out":
            if event.channel is not None:
                opted_out.add(event.channel)
        elif kind == "consent_hours" and event.start is not None and event.end is not None:
            consent = (time_us(event.start), time_us(event.end))
    return holds, opted_out, consent


@dataclass
class _Tally:
    """What the contacts before the check add up to, while they are read in time order."""

    unreachable: bool = False
    wrong: bool = False
    refused: bool = False
    answered_today: int = 0
    unanswered_today: int = 0
    third_party_reached: int = 0
    attempts: list[int] = field(default_factory=list)
    conversation: int = _OLD

    def on_number(self, event: Event, *, reached: bool, scope: _Scope, today: datetime) -> None:
        """A contact on the check's number (any party): wrong number, third-party contacts,
        today's unanswered attempts."""
        if event.outcome == "wrong_number":
            self.wrong = True
        elif event.party == "third_party" and reached:
            self.third_party_reached += 1
            self.refused = self.refused or event.outcome == "refused"
        elif (
            event.outcome == "no_answer" and event.channel in scope.unanswered and event.at >= today
        ):
            self.unanswered_today += 1

    def on_party(self, event: Event, *, reached: bool, scope: _Scope, day: int) -> None:
        """A call to the check's party on a counted channel, ``day`` local days from today."""
        if event.channel in scope.period:
            self.attempts.append(day)
        if reached:
            if day == 0 and event.channel in scope.answered:
                self.answered_today += 1
            if event.channel in scope.wait:
                self.conversation = day


def _history(
    policy: Policy,
    check: Check,
    events: Sequence[Event],
    scope: _Scope,
    starts: tuple[datetime, ...],
) -> _History:
    """Count the events at or before the check (``starts``: the local days' starts)."""
    lookback = policy.lookback_days
    tally = _Tally()
    others: list[Event] = []
    for event in sorted(events, key=_AT):
        if event.at > check.at:
            break
        if event.type == "unreachable":
            tally.unreachable = True
            continue
        if event.type != "contact":
            others.append(event)
            continue
        reached = event.outcome in REACHED_OUTCOMES
        if event.number == check.number:
            tally.on_number(event, reached=reached, scope=scope, today=starts[-1])
        if event.party == check.party and event.channel in scope.party:
            day = bisect_right(starts, event.at) - 1 - lookback
            tally.on_party(
                event, reached=reached, scope=scope, day=_OLD if day < -lookback else day
            )
        if reached and event.party == "borrower":
            tally.unreachable = False
    holds, opted_out, consent = _case_state(policy, others)
    return _History(
        holds=holds,
        opted_out=opted_out,
        consent=consent,
        unreachable=tally.unreachable,
        answered_today=tally.answered_today,
        unanswered_today=tally.unanswered_today,
        third_party_reached=tally.third_party_reached,
        attempts=tally.attempts,
        conversation=tally.conversation,
        wrong=tally.wrong,
        refused=tally.refused,
    )


# How each kind of rule blocks a check: from how many local days after the check's day it
# stops blocking, ``None`` when it does not block, ``INDEFINITE`` when the block does not end by
# itself. One function per kind; the window, which also says from when on that day, is the
# caller's, and requirements never block.
_Block = Callable[[Any, Check, _History, _Scope], "int | None"]


def _hold(rule: HoldRule, check: Check, history: _History, scope: _Scope) -> int | None:
    return INDEFINITE if history.holds.get(rule.hold) else None


def _answered_daily(
    rule: AnsweredCallsDailyRule, check: Check, history: _History, scope: _Scope
) -> int | None:
    return 1 if check.channel in scope.answered and history.answered_today >= rule.max else None


def _unanswered_daily(
    rule: UnansweredAttemptsDailyRule, check: Check, history: _History, scope: _Scope
) -> int | None:
    limited = check.channel in scope.unanswered and history.unanswered_today >= rule.max
    return 1 if limited else None


def _calls_in_period(
    rule: CallsInPeriodRule, check: Check, history: _History, scope: _Scope
) -> int | None:
    if check.channel in scope.period and len(history.attempts) >= rule.max:
        oldest = history.attempts[-rule.max]
        if oldest > -rule.days:
            return oldest + rule.days
    return None


def _wait_after_conversation(
    rule: WaitAfterConversationRule, check: Check, history: _History, scope: _Scope
) -> int | None:
    if check.channel in scope.wait and history.conversation > -rule.days:
        return history.conversation + rule.days
    return None


def _third_party_unreachable_only(
    rule: ThirdPartyUnreachableOnlyRule, check: Check, history: _History, scope: _Scope
) -> int | None:
    return INDEFINITE if check.party == "third_party" and not history.unreachable else None


def _third_party_refusal(
    rule: ThirdPartyRefusalRule, check: Check, history: _History, scope: _Scope
) -> int | None:
    return INDEFINITE if history.refused else None


def _third_party_once(
    rule: ThirdPartyOnceRule, check: Check, history: _History, scope: _Scope
) -> int | None:
    limited = check.party == "third_party" and history.third_party_reached >= rule.max
    return INDEFINITE if limited else None


def _opt_out(rule: OptOutRule, check: Check, history: _History, scope: _Scope) -> int | None:
    opted = check.party in rule.parties and check.channel in history.opted_out
    return INDEFINITE if opted else None


def _wrong_number(
    rule: WrongNumberRule, check: Check, history: _History, scope: _Scope
) -> int | None:
    return INDEFINITE if history.wrong else None


def _agent_authorisation(
    rule: AgentAuthorisationRule, check: Check, history: _History, scope: _Scope
) -> int | None:
    unauthorised = not check.agent_authorised and check.channel in rule.channels
    return INDEFINITE if unauthorised else None


_BLOCKS: dict[type, _Block] = {
    HoldRule: _hold,
    AnsweredCallsDailyRule: _answered_daily,
    UnansweredAttemptsDailyRule: _unanswered_daily,
    CallsInPeriodRule: _calls_in_period,
    WaitAfterConversationRule: _wait_after_conversation,
    ThirdPartyUnreachableOnlyRule: _third_party_unreachable_only,
    ThirdPartyRefusalRule: _third_party_refusal,
    ThirdPartyOnceRule: _third_party_once,
    OptOutRule: _opt_out,
    WrongNumberRule: _wrong_number,
    AgentAuthorisationRule: _agent_authorisation,
}


def _blocked_for(rule: Rule, check: Check, history: _History, scope: _Scope) -> int | None:
    """From how many local days after the check's day ``rule`` stops blocking the check
    (``_BLOCKS``); ``None`` for the window and requirements, which are decided elsewhere."""
    block = _BLOCKS.get(type(rule))
    return block(rule, check, history, scope) if block is not None else None


def _allowed(policy: Policy, check: Check) -> Decision:
    """An allowed contact, with the rules that put a condition on it."""
    requirements = [
        rule
        for rule in policy.requirements
        if check.channel in rule.channels and check.party in rule.parties
    ]
    return Decision(
        allowed=True,
        rules=tuple(rule.id for rule in requirements),
        reasons=tuple(policy.reasons[rule.id] for rule in requirements),
        next_allowed_at=check.at.astimezone(UTC),
        requirements=tuple(dict.fromkeys(rule.requirement for rule in requirements)),
    )


def decide(
    policy: Policy, check: Check, events: Sequence[Event], *, timezone: ZoneInfo
) -> Decision:
    """Decide one check against the case's history (any order; see the module docstring)."""
    local = check.at.astimezone(timezone)
    today = local.date()
    scope = _scope(policy, check.party)
    starts = day_starts(timezone, today, policy.lookback_days)
    history = _history(policy, check, events, scope, starts)

    # Each blocking rule says from how many local days after today it ends, or INDEFINITE.
    blocking: list[str] = []
    after_days = 0
    indefinite = False
    intervals: Intervals | None = None
    for rule in policy.rules:
        blocked_for: int | None = None
        if isinstance(rule, ContactWindowRule):
            if check.channel in rule.channels:
                intervals = rule_intervals(rule, history.consent)
                if not inside(intervals, clock_us(local)):
                    blocked_for = 0
        else:
            blocked_for = _blocked_for(rule, check, history, scope)
        if blocked_for is not None:
            blocking.append(rule.id)
            if blocked_for == INDEFINITE:
                indefinite = True
            elif blocked_for > after_days:
                after_days = blocked_for

    if not blocking:
        return _allowed(policy, check)
    next_allowed: datetime | None = None
    if not indefinite:
        # The day-counting rules only ever get more permissive as days pass (no new history),
        # so the latest day any of them names is the first day all of them allow.
        after = (
            check.at.astimezone(UTC)
            if after_days == 0
            else day_start(timezone, today + timedelta(days=after_days))
        )
        next_allowed = after if intervals is None else next_in_window(timezone, intervals, after)
    return Decision(
        allowed=False,
        rules=tuple(blocking),
        reasons=tuple(policy.reasons[rule_id] for rule_id in blocking),
        next_allowed_at=next_allowed,
    )
