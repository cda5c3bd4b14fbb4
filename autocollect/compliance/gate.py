"""The contact gate (联络合规闸门): may this contact happen now, and if not, when?

``decide(policy, check, events, timezone=…)`` answers for one case: a channel, a party, a number
(or address) and a moment, against the case's history of contacts, holds, releases, opt-outs,
agreed hours and "unreachable" findings. It is pure Python (no database, no Django): the
database-backed service loads the history and calls it, the scenario console feeds it a file,
and the engine's batch gate (``autocollect/engine/gating.py``) gives the same answers over
frames. Every number comes from the policy pack (``policy.py``, ``policies/*.yaml``); the
definitions below are documented with examples in ``docs/compliance.md``.

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
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from operator import attrgetter
from typing import Any
from zoneinfo import ZoneInfo

from autocollect.compliance.policy import (
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
    ThirdPartyOnceRule,
    ThirdPartyRefusalRule,
    ThirdPartyUnreachableOnlyRule,
    UnansweredAttemptsDailyRule,
    WaitAfterConversationRule,
    WrongNumberRule,
)
from autocollect.core.errors import ApplicationError

DAY_US = 86_400_000_000
EPOCH = date(1970, 1, 1)
# A window as half-open [start, end) microsecond-of-day intervals, sorted and merged.
Intervals = tuple[tuple[int, int], ...]


class GateError(ApplicationError):
    """A check or an event the gate cannot judge (naive time, unknown channel, party, type)."""


def _require_aware(at: datetime, what: str) -> None:
    if at.tzinfo is None or at.utcoffset() is None:
        raise GateError(f"{what}: the time {at.isoformat()} has no time zone (use UTC)")


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
            raise GateError(
                f"event: type must be one of {', '.join(EVENT_TYPES)}, not {self.type!r}"
            )
        if self.type == "contact":
            if self.channel not in CHANNELS or self.party not in PARTIES:
                raise GateError(
                    f"contact event: channel {self.channel!r} / party {self.party!r} unknown"
                )
            if self.outcome not in OUTCOMES or not self.number:
                raise GateError(
                    f"contact event: outcome {self.outcome!r} unknown or number missing"
                )
        elif self.type in ("hold", "release") and not self.reason:
            raise GateError(f"{self.type} event: reason is missing")
        elif self.type == "opt_out" and self.channel not in CHANNELS:
            raise GateError(f"opt_out event: channel {self.channel!r} unknown")
        elif self.type == "consent_hours" and (self.start is None or self.end is None):
            raise GateError("consent_hours event: start and end are required")


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
            raise GateError(f"check: channel must be one of {', '.join(CHANNELS)}")
        if self.party not in PARTIES:
            raise GateError(f"check: party must be one of {', '.join(PARTIES)}")
        if not self.number:
            raise GateError("check: number (or address) is missing")


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


# --- local time -----------------------------------------------------------------------------


def time_us(value: time) -> int:
    """Microseconds since midnight of a wall-clock time."""
    return (value.hour * 3600 + value.minute * 60 + value.second) * 1_000_000 + value.microsecond


def _tod(local: datetime) -> int:
    return (local.hour * 3600 + local.minute * 60 + local.second) * 1_000_000 + local.microsecond


def _offset_at(zone: ZoneInfo, instant: datetime) -> timedelta:
    offset = instant.astimezone(zone).utcoffset()
    assert offset is not None
    return offset


def _transition_in(zone: ZoneInfo, low: datetime, high: datetime) -> datetime:
    """The first whole second in (low, high] with the UTC offset of ``high`` (one change)."""
    target = _offset_at(zone, high)
    lo, hi = int(low.timestamp()), int(high.timestamp())
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if datetime.fromtimestamp(mid, zone).utcoffset() == target:
            hi = mid
        else:
            lo = mid
    return datetime.fromtimestamp(hi, UTC)


@lru_cache(maxsize=1 << 16)
def wall_instants(zone: ZoneInfo, day: date, tod_us: int) -> tuple[datetime, ...]:
    """The UTC instants at which the wall clock in ``zone`` reads ``day`` ``tod_us``.

    One normally; two in a repeated hour (autumn), earliest first; for a wall time the clocks
    skip (spring), the instant they jump past it.
    """
    naive = datetime(day.year, day.month, day.day) + timedelta(microseconds=tod_us)
    first = naive.replace(tzinfo=zone).astimezone(UTC)
    second = naive.replace(tzinfo=zone, fold=1).astimezone(UTC)
    if first.astimezone(zone).replace(tzinfo=None) != naive:
        # Skipped: fold=0 read it with the offset before the change, fold=1 with the one after,
        # so the change lies between them.
        return (_transition_in(zone, min(first, second), max(first, second)),)
    return (first,) if first == second else (min(first, second), max(first, second))


def day_start(zone: ZoneInfo, day: date) -> datetime:
    """The first instant (UTC) of a local calendar day."""
    return wall_instants(zone, day, 0)[0]


@lru_cache(maxsize=1 << 14)
def day_transition(zone: ZoneInfo, day: date) -> datetime | None:
    """The instant the UTC offset changes during a local day, if it does."""
    start, end = day_start(zone, day), day_start(zone, day + timedelta(days=1))
    if _offset_at(zone, start) == _offset_at(zone, end):
        return None
    return _transition_in(zone, start, end)


@lru_cache(maxsize=1 << 14)
def _day_starts(zone: ZoneInfo, day: date, lookback: int) -> tuple[datetime, ...]:
    """Starts of the local days ``day - lookback`` … ``day``, to place events on a day."""
    return tuple(day_start(zone, day - timedelta(days=k)) for k in range(lookback, -1, -1))


def inside(intervals: Intervals, tod_us: int) -> bool:
    return any(start <= tod_us < end for start, end in intervals)


@lru_cache(maxsize=4096)
def window_intervals(start_us: int, end_us: int, consent: tuple[int, int] | None) -> Intervals:
    """The policy window, plus the debtor's agreed hours when there are some."""
    pieces = [(start_us, end_us)]
    if consent is not None:
        c_start, c_end = consent
        if c_start < c_end:
            pieces.append((c_start, c_end))
        elif c_start > c_end:
            pieces += [(c_start, DAY_US), (0, c_end)]
        else:
            pieces.append((0, DAY_US))
    merged: list[tuple[int, int]] = []
    for start, end in sorted(pieces):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return tuple(merged)


def rule_intervals(rule: ContactWindowRule, consent: tuple[int, int] | None) -> Intervals:
    return window_intervals(
        time_us(rule.start), time_us(rule.end), consent if rule.consent_extends else None
    )


def next_in_window(zone: ZoneInfo, intervals: Intervals, after: datetime) -> datetime:
    """The earliest instant at or after ``after`` whose local wall clock is inside the window.

    The wall clock enters the window only where it passes an interval start or where the UTC
    offset changes, so those instants (over the next days) are the only candidates.
    """
    local = after.astimezone(zone)
    if inside(intervals, _tod(local)):
        return after
    day = local.date()
    for k in range(8):
        current = day + timedelta(days=k)
        best: datetime | None = None
        candidates = [c for start, _end in intervals for c in wall_instants(zone, current, start)]
        change = day_transition(zone, current)
        if change is not None:
            candidates.append(change)
        for candidate in candidates:
            if (
                candidate > after
                and (best is None or candidate < best)
                and inside(intervals, _tod(candidate.astimezone(zone)))
            ):
                best = candidate
        if best is not None:
            return best
    raise GateError("the contact window never opens")  # a validated window always opens


# --- the decision ---------------------------------------------------------------------------

_AT = attrgetter("at")
_NONE: frozenset[str] = frozenset()
_OLD = -(10**6)  # the day offset of "long before the window"
# Block "days": how many local days after the check's day a day-counting block ends, or
# INDEFINITE when it does not end by itself.
INDEFINITE = -1


def decide(
    policy: Policy, check: Check, events: Sequence[Event], *, timezone: ZoneInfo
) -> Decision:
    """Decide one check against the case's history (any order; see the module docstring)."""
    at = check.at
    channel, party, number = check.channel, check.party, check.number
    local = at.astimezone(timezone)
    today = local.date()
    lookback = policy.lookback_days
    starts = _day_starts(timezone, today, lookback)

    answered_rule = policy.answered_calls_daily
    unanswered_rule = policy.unanswered_attempts_daily
    period_rule = policy.calls_in_period
    wait_rule = policy.wait_after_conversation
    # The call channels each counting rule looks at, for this check's party.
    answered_channels = (
        answered_rule.channels
        if answered_rule is not None and party in answered_rule.parties
        else _NONE
    )
    period_channels = (
        period_rule.channels if period_rule is not None and party in period_rule.parties else _NONE
    )
    wait_channels = (
        wait_rule.channels if wait_rule is not None and party in wait_rule.parties else _NONE
    )
    party_channels = answered_channels | period_channels | wait_channels
    unanswered_channels = unanswered_rule.channels if unanswered_rule is not None else _NONE
    hold_rules = policy.holds

    holds: dict[str, bool] = {}
    opted_out: set[str] = set()
    consent: tuple[int, int] | None = None
    unreachable = False
    answered_today = unanswered_today = third_party_reached = 0
    attempts: list[int] = []
    conversation = _OLD
    wrong = refused = False

    for event in sorted(events, key=_AT):
        if event.at > at:
            break
        kind = event.type
        if kind == "contact":
            outcome = event.outcome
            reached = outcome in REACHED_OUTCOMES
            if event.number == number:
                if outcome == "wrong_number":
                    wrong = True
                elif event.party == "third_party" and reached:
                    third_party_reached += 1
                    refused = refused or outcome == "refused"
                elif (
                    outcome == "no_answer"
                    and event.channel in unanswered_channels
                    and event.at >= starts[-1]
                ):
                    unanswered_today += 1
            if event.party == party and event.channel in party_channels:
                day = bisect_right(starts, event.at) - 1 - lookback
                if day < -lookback:
                    day = _OLD
                if event.channel in period_channels:
                    attempts.append(day)
                if reached:
                    if day == 0 and event.channel in answered_channels:
                        answered_today += 1
                    if event.channel in wait_channels:
                        conversation = day
            if reached and event.party == "borrower":
                unreachable = False
        elif kind == "hold" or kind == "release":
            reason = event.reason or ""
            if reason not in hold_rules:
                raise GateError(
                    f"{kind} event: reason {reason!r} has no hold rule in pack "
                    f"{policy.name} ({', '.join(hold_rules)})"
                )
            holds[reason] = kind == "hold"
        elif kind == "opt_out":
            if event.channel is not None:
                opted_out.add(event.channel)
        elif kind == "consent_hours":
            if event.start is not None and event.end is not None:
                consent = (time_us(event.start), time_us(event.end))
        else:  # unreachable
            unreachable = True

    # Each blocking rule says from how many local days after today it ends, or INDEFINITE.
    blocking: list[str] = []
    after_days = 0
    indefinite = False
    intervals: Intervals | None = None
    for rule in policy.rules:
        blocked_for: int | None = None
        if isinstance(rule, ContactWindowRule):
            if channel in rule.channels:
                intervals = rule_intervals(rule, consent)
                if not inside(intervals, _tod(local)):
                    blocked_for = 0
        elif isinstance(rule, HoldRule):
            if holds.get(rule.hold):
                blocked_for = INDEFINITE
        elif isinstance(rule, AnsweredCallsDailyRule):
            if channel in answered_channels and answered_today >= rule.max:
                blocked_for = 1
        elif isinstance(rule, UnansweredAttemptsDailyRule):
            if channel in unanswered_channels and unanswered_today >= rule.max:
                blocked_for = 1
        elif isinstance(rule, CallsInPeriodRule):
            if channel in period_channels and len(attempts) >= rule.max:
                oldest = attempts[-rule.max]
                if oldest > -rule.days:
                    blocked_for = oldest + rule.days
        elif isinstance(rule, WaitAfterConversationRule):
            if channel in wait_channels and conversation > -rule.days:
                blocked_for = conversation + rule.days
        elif isinstance(rule, ThirdPartyUnreachableOnlyRule):
            if party == "third_party" and not unreachable:
                blocked_for = INDEFINITE
        elif isinstance(rule, ThirdPartyRefusalRule):
            if refused:
                blocked_for = INDEFINITE
        elif isinstance(rule, ThirdPartyOnceRule):
            if party == "third_party" and third_party_reached >= rule.max:
                blocked_for = INDEFINITE
        elif isinstance(rule, OptOutRule):
            if party in rule.parties and channel in opted_out:
                blocked_for = INDEFINITE
        elif isinstance(rule, WrongNumberRule):
            if wrong:
                blocked_for = INDEFINITE
        elif (
            isinstance(rule, AgentAuthorisationRule)
            and not check.agent_authorised
            and channel in rule.channels
        ):
            blocked_for = INDEFINITE
        if blocked_for is not None:
            blocking.append(rule.id)
            if blocked_for == INDEFINITE:
                indefinite = True
            elif blocked_for > after_days:
                after_days = blocked_for

    reasons = policy.reasons
    if not blocking:
        requirements = [
            rule
            for rule in policy.requirements
            if channel in rule.channels and party in rule.parties
        ]
        return Decision(
            allowed=True,
            rules=tuple(rule.id for rule in requirements),
            reasons=tuple(reasons[rule.id] for rule in requirements),
            next_allowed_at=at.astimezone(UTC),
            requirements=tuple(dict.fromkeys(rule.requirement for rule in requirements)),
        )
    next_allowed: datetime | None = None
    if not indefinite:
        # The day-counting rules only ever get more permissive as days pass (no new history),
        # so the latest day any of them names is the first day all of them allow.
        after = (
            at.astimezone(UTC)
            if after_days == 0
            else day_start(timezone, today + timedelta(days=after_days))
        )
        next_allowed = after if intervals is None else next_in_window(timezone, intervals, after)
    return Decision(
        allowed=False,
        rules=tuple(blocking),
        reasons=tuple(reasons[rule_id] for rule_id in blocking),
        next_allowed_at=next_allowed,
    )
