"""The batch gate's answer for each check, from the state columns beside it.

Every rule of the pack becomes an expression over the columns (``gating_state.py``): whether it
blocks the check, and for a block that ends by itself, from how many local days after the
check's day it no longer does. A rule is a bit of an Int64 mask (a pack has at most 62 rules),
so the answer travels as one number per check: the blocking rules, or the requirement rules of
an allowed contact. The next allowed moment is the single gate's: the latest day any
day-counting block names, and on it the window's (or the agreed hours') next opening; a row
whose opening falls near a UTC offset change is finished by the single gate's own routine.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl

from autocollect.engine.contact_time import day_start, next_in_window, rule_intervals, time_us
from autocollect.engine.gating_codes import CHANNEL_BIT, PARTY_BIT, bits
from autocollect.engine.gating_state import NO_TIME
from autocollect.engine.gating_zones import ZoneTable, day_of, instant_us
from autocollect.engine.policy import (
    AgentAuthorisationRule,
    AnsweredCallsDailyRule,
    CallsInPeriodRule,
    ContactWindowRule,
    HoldRule,
    OptOutRule,
    Policy,
    RequirementRule,
    Rule,
    ThirdPartyOnceRule,
    ThirdPartyRefusalRule,
    ThirdPartyUnreachableOnlyRule,
    UnansweredAttemptsDailyRule,
    WaitAfterConversationRule,
    WrongNumberRule,
)

_AT, _DAY, _TOD = pl.col("_at"), pl.col("_day"), pl.col("_tod")


@dataclass(frozen=True)
class _Consent:
    """The debtor's agreed hours at the check (µs of the day; ``NO_TIME`` when none)."""

    start: pl.Expr
    end: pl.Expr
    has: pl.Expr


def _consent(frame: pl.DataFrame) -> _Consent:
    consent_on = "consent_start" in frame.columns
    start = pl.col("consent_start") if consent_on else pl.lit(NO_TIME, pl.Int64)
    end = pl.col("consent_end") if consent_on else pl.lit(NO_TIME, pl.Int64)
    return _Consent(start=start, end=end, has=start != NO_TIME)


def _channel_in(channels: Iterable[str]) -> pl.Expr:
    return (pl.col("_channel") & bits(channels, CHANNEL_BIT)) != 0


def _party_in(parties: Iterable[str]) -> pl.Expr:
    return (pl.col("_party") & bits(parties, PARTY_BIT)) != 0


def _inside(tod: pl.Expr, window: ContactWindowRule, consent: _Consent) -> pl.Expr:
    """Whether a microsecond of the day is in the window or the agreed hours."""
    in_policy = (tod >= time_us(window.start)) & (tod < time_us(window.end))
    start, end = consent.start, consent.end
    in_consent = (
        pl.when(start < end)
        .then((tod >= start) & (tod < end))
        .when(start > end)
        .then((tod >= start) | (tod < end))
        .otherwise(pl.lit(True))
    )
    return in_policy | (consent.has & in_consent)


# When each kind of rule blocks a check, and (for a block that ends by itself) from how many
# local days after the check's day it no longer does; ``None`` for a block with no end. One
# function per kind, the batch twin of ``gate._BLOCKS``.
_BlockExpr = tuple[pl.Expr, "pl.Expr | None"]


def _window_block(rule: ContactWindowRule, frame: pl.DataFrame, consent: _Consent) -> _BlockExpr:
    outside = ~_inside(_TOD, rule, consent)
    return _channel_in(rule.channels) & outside, pl.lit(0, pl.Int64)


def _hold_block(rule: HoldRule, frame: pl.DataFrame, consent: _Consent) -> _BlockExpr:
    name = f"hold:{rule.hold}"
    return (pl.col(name) if name in frame.columns else pl.lit(False)), None


def _answered_block(
    rule: AnsweredCallsDailyRule, frame: pl.DataFrame, consent: _Consent
) -> _BlockExpr:
    today = pl.when(pl.col("calls_day") == _DAY).then(pl.col("answered")).otherwise(0)
    on = _channel_in(rule.channels) & _party_in(rule.parties) & (today >= rule.max)
    return on, pl.lit(1, pl.Int64)


def _unanswered_block(
    rule: UnansweredAttemptsDailyRule, frame: pl.DataFrame, consent: _Consent
) -> _BlockExpr:
    limit = (pl.col("unanswered_limit_at") <= _AT).fill_null(False)
    return _channel_in(rule.channels) & limit, pl.lit(1, pl.Int64)


def _period_block(rule: CallsInPeriodRule, frame: pl.DataFrame, consent: _Consent) -> _BlockExpr:
    nth = pl.col("nth_call_day")
    on = _channel_in(rule.channels) & _party_in(rule.parties) & (nth > _DAY - rule.days)
    return on, nth + rule.days - _DAY


def _wait_block(
    rule: WaitAfterConversationRule, frame: pl.DataFrame, consent: _Consent
) -> _BlockExpr:
    last = pl.col("conversation_day")
    on = _channel_in(rule.channels) & _party_in(rule.parties) & (last > _DAY - rule.days)
    return on, last + rule.days - _DAY


def _unreachable_only_block(
    rule: ThirdPartyUnreachableOnlyRule, frame: pl.DataFrame, consent: _Consent
) -> _BlockExpr:
    return _party_in(["third_party"]) & ~pl.col("unreachable"), None


def _refusal_block(
    rule: ThirdPartyRefusalRule, frame: pl.DataFrame, consent: _Consent
) -> _BlockExpr:
    return (pl.col("refused_at") <= _AT).fill_null(False), None


def _once_block(rule: ThirdPartyOnceRule, frame: pl.DataFrame, consent: _Consent) -> _BlockExpr:
    limit = (pl.col("third_party_limit_at") <= _AT).fill_null(False)
    return _party_in(["third_party"]) & limit, None


def _opt_out_block(rule: OptOutRule, frame: pl.DataFrame, consent: _Consent) -> _BlockExpr:
    opted = [c for c in frame.columns if c.startswith("opt:")]
    on = _party_in(rule.parties) & pl.any_horizontal(
        pl.lit(False), *(_channel_in([c.split(":", 1)[1]]) & pl.col(c) for c in opted)
    )
    return on, None


def _wrong_number_block(
    rule: WrongNumberRule, frame: pl.DataFrame, consent: _Consent
) -> _BlockExpr:
    return (pl.col("wrong_at") <= _AT).fill_null(False), None


def _authorisation_block(
    rule: AgentAuthorisationRule, frame: pl.DataFrame, consent: _Consent
) -> _BlockExpr:
    return ~pl.col("agent_authorised") & _channel_in(rule.channels), None


_BLOCKS: dict[type, Callable[[Any, pl.DataFrame, _Consent], _BlockExpr]] = {
    ContactWindowRule: _window_block,
    HoldRule: _hold_block,
    AnsweredCallsDailyRule: _answered_block,
    UnansweredAttemptsDailyRule: _unanswered_block,
    CallsInPeriodRule: _period_block,
    WaitAfterConversationRule: _wait_block,
    ThirdPartyUnreachableOnlyRule: _unreachable_only_block,
    ThirdPartyRefusalRule: _refusal_block,
    ThirdPartyOnceRule: _once_block,
    OptOutRule: _opt_out_block,
    WrongNumberRule: _wrong_number_block,
    AgentAuthorisationRule: _authorisation_block,
}


def _rule_block(rule: Rule, frame: pl.DataFrame, consent: _Consent) -> _BlockExpr:
    """When ``rule`` blocks a check, and from how many days after it no longer does."""
    return _BLOCKS[type(rule)](rule, frame, consent)


def _with_blocks(policy: Policy, frame: pl.DataFrame, consent: _Consent) -> pl.DataFrame:
    """``_blocked`` and ``_requirements`` (rule bit masks), ``_window`` (the window applies),
    ``_indefinite`` (a block with no end) and ``_after_days``."""
    blocks: list[tuple[int, pl.Expr, pl.Expr | None]] = []
    requirement_bits: list[pl.Expr] = []
    window_applies = pl.lit(False)
    for bit, rule in enumerate(policy.rules):
        if isinstance(rule, RequirementRule):
            applies = _channel_in(rule.channels) & _party_in(rule.parties)
            requirement_bits.append(pl.when(applies).then(pl.lit(1 << bit)).otherwise(0))
            continue
        if isinstance(rule, ContactWindowRule):
            window_applies = _channel_in(rule.channels)
        on, after = _rule_block(rule, frame, consent)
        blocks.append((1 << bit, on, after))

    # A block that ends by itself says from how many local days after the check's day; the
    # latest of those is the first day all allow (they only loosen as days pass, with no new
    # history). A block that does not end by itself makes the answer "never" (None).
    blocked_bits = pl.sum_horizontal(
        pl.lit(0, pl.Int64),
        *(pl.when(on).then(pl.lit(bit, pl.Int64)).otherwise(0) for bit, on, _after in blocks),
    )
    frame = frame.with_columns(
        _blocked=blocked_bits,
        _requirements=pl.sum_horizontal(pl.lit(0, pl.Int64), *requirement_bits),
        _window=window_applies,
    )
    indefinite = sum(bit for bit, _on, after in blocks if after is None)
    return frame.with_columns(
        _indefinite=(pl.col("_blocked") & indefinite) != 0,
        _after_days=pl.max_horizontal(
            pl.lit(0, pl.Int64),
            *(
                pl.when((pl.col("_blocked") & bit) != 0).then(after).otherwise(0)
                for bit, _on, after in blocks
                if after is not None
            ),
        ),
    )


def _with_next_day(table: ZoneTable, frame: pl.DataFrame) -> pl.DataFrame:
    """Where the first day all day-counting rules allow starts and ends, and whether a UTC
    offset change is near it (the single gate's routine then finishes the row)."""
    next_day = frame.get_column("_day") + frame.get_column("_after_days")
    index = table.index(frame.get_column("_zone"), next_day)
    return frame.with_columns(
        _next_start=table.starts.gather(index),
        _next_day_start=table.starts.gather(index + 1),
        _near_change=table.near_change.gather(index) | table.near_change.gather(index + 1),
    )


def _opening(window: ContactWindowRule | None, consent: _Consent) -> tuple[pl.Expr, pl.Expr]:
    """(the next opening of the window on the first allowed day, the moment that day's
    counting starts from: the check itself when it is today, else the day's start)."""
    after_tod = pl.when(pl.col("_after_days") == 0).then(_TOD).otherwise(0)
    after_at = pl.when(pl.col("_after_days") == 0).then(_AT).otherwise(pl.col("_next_start"))
    if window is None:
        return after_at, after_at
    c_start, c_end, has_consent = consent.start, consent.end, consent.has
    w_start = pl.lit(time_us(window.start), pl.Int64)
    consent_later = pl.when(has_consent & (c_start != c_end) & (c_start > after_tod)).then(c_start)
    same_day = pl.min_horizontal(pl.when(w_start > after_tod).then(w_start), consent_later)
    consent_first = pl.when(has_consent).then(
        pl.when(c_start >= c_end).then(pl.lit(0, pl.Int64)).otherwise(c_start)
    )
    first_start = pl.min_horizontal(w_start, consent_first)
    opening = (
        pl.when(_inside(after_tod, window, consent))
        .then(after_at)
        .when(same_day.is_not_null())
        .then(pl.col("_next_start") + same_day)
        .otherwise(pl.col("_next_day_start") + first_start)
    )
    return opening, after_at


def decisions(policy: Policy, table: ZoneTable, frame: pl.DataFrame) -> pl.DataFrame:
    """``_row``, ``check_id``, ``_allowed``, ``_next`` (µs, null: never) and ``_mask`` (the
    blocking rules' bits, or the requirement rules' of an allowed contact) per check."""
    consent = _consent(frame)
    frame = _with_blocks(policy, frame, consent)
    frame = _with_next_day(table, frame)
    window = policy.window
    opening, after_at = _opening(window, consent)
    blocked = pl.col("_blocked") != 0
    frame = frame.with_columns(
        _allowed=~blocked,
        _next=pl.when(~blocked)
        .then(_AT)
        .when(pl.col("_indefinite"))
        .then(pl.lit(None, pl.Int64))
        .when(pl.col("_window"))
        .then(opening)
        .otherwise(after_at),
        _fallback=blocked & ~pl.col("_indefinite") & pl.col("_window") & pl.col("_near_change"),
        _mask=pl.when(blocked).then(pl.col("_blocked")).otherwise(pl.col("_requirements")),
    )
    if window is not None and frame.get_column("_fallback").any():
        frame = _finish_near_changes(window, table.zones, frame)
    return frame.select("_row", "check_id", "_allowed", "_next", "_mask")


def _finish_near_changes(
    window: ContactWindowRule, zones: tuple[ZoneInfo, ...], frame: pl.DataFrame
) -> pl.DataFrame:
    """Rows whose next opening is near a UTC offset change: the single gate's own routine."""
    rows = frame.get_column("_fallback").arg_true()
    consent = [c for c in ("consent_start", "consent_end") if c in frame.columns]
    subset = frame.select(pl.col("_at", "_day", "_after_days", "_zone", *consent).gather(rows))
    values = []
    for record in subset.iter_rows(named=True):
        zone = zones[record["_zone"]]
        start = record.get("consent_start", NO_TIME)
        agreed = None if start == NO_TIME else (start, record["consent_end"])
        intervals = rule_intervals(window, agreed)
        if record["_after_days"] == 0:
            after = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=record["_at"])
        else:
            after = day_start(zone, day_of(record["_day"] + record["_after_days"]))
        values.append(instant_us(next_in_window(zone, intervals, after)))
    fixed = frame.get_column("_next").scatter(rows, pl.Series(values, dtype=pl.Int64))
    return frame.with_columns(_next=fixed)
