"""The batch contact gate: the single gate's rules over a frame of candidate contacts.

``gate_frame(policy, checks, events)`` decides every row of ``checks`` against the ``events`` of
its case and gives, check by check, the same answer as ``gate.decide``
(same rules, same ``next_allowed_at``; the property test in
``tests/engine/test_gating.py`` holds it to that). The daily planner uses it to
gate a whole day's candidate contacts at once; the definitions are the single gate's (its
module docstring, and ``docs/compliance.md``).

Column contracts (pure Polars, no Django; ``frames.py`` holds the other engine contracts):

``checks`` (``CHECKS``): one row per candidate contact. ``at`` is UTC; ``timezone`` is the
debtor's IANA zone, in which days and windows are decided; ``number`` is the phone number or
the address; ``agent_authorised`` is the acting user's authorisation (True for machines).

``events`` (``EVENTS``): a case's history, in any order; rows with the same ``at`` count in row
order. ``contact`` rows need channel, party, number and outcome; ``hold``/``release`` a reason;
``opt_out`` a channel; ``consent_hours`` start and end (debtor-local wall clock). Other
columns may be null. Events of cases without checks are ignored.

Output (``DECISIONS``), one row per check in the order of ``checks``: ``rules`` as the single
gate gives them (blocking rules in pack order, or the requirement rules of an allowed contact),
``requirements`` likewise, ``next_allowed_at`` in UTC (null when blocked indefinitely).

How it works: a case and a time pack into one sortable Int64 key. For each kind of state
(holds, opt-outs and agreed hours; "unreachable"; per party the answered calls of the day, the
day of the n-th most recent call and the last conversation) the events that change it are
carried forward in key order, and every check takes the state of the last such event of its
case at or before it by a binary search of its key (cache-friendly when the checks come grouped
by case, as loaded; otherwise they are sorted first). Per-number facts (unanswered attempts per
day, wrong numbers, third-party refusals and contacts) become small threshold tables ("blocked
from the k-th such event on") joined to the checks. Local days and wall-clock times come from a
table of each zone's day starts and offset changes built with ``zoneinfo``, as the single gate
computes them; a row whose next opening falls on a day near an offset change is finished by
the single gate's own routine (``next_in_window``). A case whose checks are in two zones is
decided as two cases, one per zone.

Throughput (``benchmarks/gate_bench.py``): well over a million decisions per second on two
cores for a day's checks over 200,000 cases, frames as loaded; shuffled frames pay for a sort.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import polars as pl

from autocollect.engine import frames
from autocollect.engine.contact_time import (
    DAY_US,
    EPOCH,
    day_start,
    day_transition,
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
    RequirementRule,
    ThirdPartyOnceRule,
    ThirdPartyRefusalRule,
    ThirdPartyUnreachableOnlyRule,
    UnansweredAttemptsDailyRule,
    WaitAfterConversationRule,
    WrongNumberRule,
)

UTC_US = pl.Datetime("us", "UTC")

CHECKS: Mapping[str, pl.DataType] = {
    "case_id": pl.Int64(),
    "check_id": pl.Int64(),
    "at": UTC_US,
    "timezone": pl.String(),
    "channel": pl.String(),
    "party": pl.String(),
    "number": pl.String(),
    "agent_authorised": pl.Boolean(),
}

EVENTS: Mapping[str, pl.DataType] = {
    "case_id": pl.Int64(),
    "at": UTC_US,
    "type": pl.String(),
    "channel": pl.String(),
    "party": pl.String(),
    "number": pl.String(),
    "outcome": pl.String(),
    "reason": pl.String(),
    "start": pl.Time(),
    "end": pl.Time(),
}

DECISIONS: Mapping[str, pl.DataType] = {
    "check_id": pl.Int64(),
    "allowed": pl.Boolean(),
    "rules": pl.List(pl.String()),
    "next_allowed_at": UTC_US,
    "requirements": pl.List(pl.String()),
}

_EPOCH_ORDINAL = EPOCH.toordinal()
_OLD = -(10**9)  # a day (days since 1970) before anything that counts
_NO_TIME = -1  # "no agreed hours" in the consent columns
_MAX_RULES = 62  # rule ids travel as bits of an Int64
_KEY_BITS = 62  # case and time share one non-negative Int64 sort key
# Channels and parties as bits, so that "is this channel one of the rule's" is one AND.
_CHANNEL_BIT = {channel: 1 << i for i, channel in enumerate(CHANNELS)}
_PARTY_BIT = {party: 1 << i for i, party in enumerate(PARTIES)}


def _day_of(number: int) -> date:
    return date.fromordinal(number + _EPOCH_ORDINAL)


def _us(instant: datetime) -> int:
    delta = instant - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


# --- the zone tables ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Zones:
    """For each zone of the checks (by code) and each local day ``first`` … ``first+width-1``:
    the UTC instant the day starts and whether a UTC offset change is near (that day or a
    neighbour), stacked zone after zone so that one gather serves every zone. Built with
    ``zoneinfo``, as the single gate computes them."""

    zones: tuple[ZoneInfo, ...]
    first: int
    width: int
    starts: pl.Series  # Int64 µs
    near_change: pl.Series  # Boolean
    changes: tuple[pl.Series, ...]  # per zone: Int64 µs instants its offset changes
    offsets: tuple[pl.Series, ...]  # per zone: offsets[i] holds from changes[i-1] on

    def index(self, zone: pl.Series, day: pl.Series) -> pl.Series:
        return (zone.cast(pl.Int64) * self.width + (day - self.first)).cast(pl.UInt32)

    def day(self, zone: pl.Series, at: pl.Series) -> pl.Series:
        """The local day of each instant: the day whose start is the last at or before it
        (an offset is under a day, so it is the UTC day or a neighbour). Instants before the
        table all fall on its first day less one (long ago)."""
        utc_day = (at // DAY_US).clip(self.first + 1, self.first + self.width - 2)
        index = self.index(zone, utc_day)
        return (
            utc_day
            - 1
            + (at >= self.starts.gather(index)).cast(pl.Int64)
            + (at >= self.starts.gather(index + 1)).cast(pl.Int64)
        )

    def wall_time(self, zone: pl.Series, at: pl.Series, day: pl.Series) -> pl.Series:
        """Microseconds of the wall clock since local midnight: the time since the day began,
        except on days near an offset change, where the zone's offset at the instant counts."""
        index = self.index(zone, day)
        tod = at - self.starts.gather(index)
        near = self.near_change.gather(index)
        if not near.any():
            return tod
        for code, changes in enumerate(self.changes):
            rows = (near & (zone == code)).arg_true()
            if rows.len() and changes.len():
                instants = at.gather(rows)
                offset = self.offsets[code].gather(changes.search_sorted(instants, side="right"))
                tod = tod.scatter(rows, instants + offset - day.gather(rows) * DAY_US)
        return tod


def _zones(zones: tuple[ZoneInfo, ...], first: int, last: int) -> _Zones:
    starts: list[int] = []
    near: list[bool] = []
    changes: list[pl.Series] = []
    offsets: list[pl.Series] = []
    for zone in zones:
        zone_changes: list[int] = []
        before = day_start(zone, _day_of(first - 1)).astimezone(zone).utcoffset()
        assert before is not None
        zone_offsets = [before // timedelta(microseconds=1)]
        has_change: list[bool] = []
        for number in range(first - 1, last + 2):
            change = day_transition(zone, _day_of(number))
            has_change.append(change is not None)
            if change is not None:
                zone_changes.append(_us(change))
                after = change.astimezone(zone).utcoffset()
                assert after is not None
                zone_offsets.append(after // timedelta(microseconds=1))
        starts += [_us(day_start(zone, _day_of(number))) for number in range(first, last + 1)]
        # has_change covers first-1 … last+1: day i is near a change if it or a neighbour has one.
        near += [any(has_change[i : i + 3]) for i in range(last - first + 1)]
        changes.append(pl.Series(zone_changes, dtype=pl.Int64))
        offsets.append(pl.Series(zone_offsets, dtype=pl.Int64))
    return _Zones(
        zones=zones,
        first=first,
        width=last - first + 1,
        starts=pl.Series(starts, dtype=pl.Int64),
        near_change=pl.Series(near, dtype=pl.Boolean),
        changes=tuple(changes),
        offsets=tuple(offsets),
    )


# --- validation and coding ------------------------------------------------------------------


def _members(frame: pl.DataFrame, column: str, allowed: Iterable[str], name: str) -> None:
    values = set(frame.get_column(column).drop_nulls().unique().to_list())
    unknown = values - set(allowed)
    if unknown:
        shown = ", ".join(sorted(map(repr, unknown))[:5])
        raise frames.FrameContractError(
            f"{name}: column {column} has value(s) {shown} outside {', '.join(allowed)}"
        )


def _codes(frame: pl.DataFrame, column: str, names: tuple[str, ...], name: str) -> pl.Series:
    """A string column as the index of its value in ``names`` (Int32; null stays null)."""
    try:
        coded = frame.get_column(column).cast(pl.Enum(names))
    except pl.exceptions.InvalidOperationError:
        _members(frame, column, names, name)
        raise
    return coded.to_physical().cast(pl.Int32)


def _is(column: str, names: tuple[str, ...], values: Iterable[str]) -> pl.Expr:
    codes = sorted({names.index(value) for value in values})
    return pl.col(column) == codes[0] if len(codes) == 1 else pl.col(column).is_in(codes)


def _type(*values: str) -> pl.Expr:
    return _is("_type", EVENT_TYPES, values)


def _channel(values: Iterable[str]) -> pl.Expr:
    return _is("_channel", CHANNELS, values)


def _party(*values: str) -> pl.Expr:
    return _is("_party", PARTIES, values)


def _outcome(*values: str) -> pl.Expr:
    return _is("_outcome", OUTCOMES, values)


def _coded_checks(checks: pl.DataFrame) -> pl.DataFrame:
    frames.require(checks, CHECKS, "checks")
    nulls = [
        name for name, n in checks.select(list(CHECKS)).null_count().row(0, named=True).items() if n
    ]
    if nulls:
        raise frames.FrameContractError(f"checks: null value(s) in {', '.join(nulls)}")
    if checks.select((pl.col("number") == "").any()).item():
        raise frames.FrameContractError("checks: empty number(s)")
    bits = pl.Series([1 << i for i in range(8)], dtype=pl.Int64)
    coded = checks.select(
        "case_id",
        "check_id",
        "timezone",
        "number",
        "agent_authorised",
        _at=pl.col("at").dt.epoch("us"),
        _channel=_codes(checks, "channel", CHANNELS, "checks"),
        _party=_codes(checks, "party", PARTIES, "checks"),
    ).with_row_index("_row")
    # Channels and parties as bits, so that "one of the rule's" is one AND.
    return coded.with_columns(
        _channel=bits.gather(coded.get_column("_channel")),
        _party=bits.gather(coded.get_column("_party")),
    )


def _coded_events(policy: Policy, events: pl.DataFrame) -> pl.DataFrame:
    frames.require(events, EVENTS, "events")
    for column in ("case_id", "at", "type"):
        if events.get_column(column).null_count():
            raise frames.FrameContractError(f"events: null value(s) in {column}")
    coded = events.select(
        "case_id",
        "number",
        "reason",
        "start",
        "end",
        _at=pl.col("at").dt.epoch("us"),
        _type=_codes(events, "type", EVENT_TYPES, "events"),
        _channel=_codes(events, "channel", CHANNELS, "events"),
        _party=_codes(events, "party", PARTIES, "events"),
        _outcome=_codes(events, "outcome", OUTCOMES, "events"),
    )
    contact = _type("contact")
    problems = coded.select(
        contact_fields=(
            contact
            & (
                pl.any_horizontal(pl.col(c).is_null() for c in ("_channel", "_party", "_outcome"))
                | pl.col("number").is_null()
                | (pl.col("number") == "")
            )
        ).any(),
        opt_out_channel=(_type("opt_out") & pl.col("_channel").is_null()).any(),
        consent_hours=(
            _type("consent_hours") & (pl.col("start").is_null() | pl.col("end").is_null())
        ).any(),
        hold_reason=(_type("hold", "release") & pl.col("reason").is_null()).any(),
    ).row(0, named=True)
    messages = {
        "contact_fields": "contact event(s) without a channel, party, outcome or number",
        "opt_out_channel": "opt_out event(s) without a channel",
        "consent_hours": "consent_hours event(s) without start and end",
        "hold_reason": "hold/release event(s) without a reason",
    }
    for key, found in problems.items():
        if found:
            raise frames.FrameContractError(f"events: {messages[key]}")
    held = coded.filter(_type("hold", "release")).select("reason")
    _members(held, "reason", tuple(policy.holds), f"events (hold rules of pack {policy.name})")
    return coded


# --- the gate -------------------------------------------------------------------------------


def gate_frame(policy: Policy, checks: pl.DataFrame, events: pl.DataFrame) -> pl.DataFrame:
    """Decide every check (``CHECKS``) against its case's ``EVENTS``; see the module docstring."""
    if len(policy.rules) > _MAX_RULES:
        raise frames.FrameContractError(f"pack {policy.name} has over {_MAX_RULES} rules")
    coded_checks = _coded_checks(checks)
    coded_events = _coded_events(policy, events)
    if coded_checks.height == 0:
        return frames.empty(DECISIONS)
    names = tuple(coded_checks.get_column("timezone").unique(maintain_order=True).to_list())
    zones = []
    for name in names:
        try:
            zones.append(ZoneInfo(name))
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise frames.FrameContractError(
                f"checks: timezone {name!r} is not an IANA time zone"
            ) from exc
    coded_checks = coded_checks.with_columns(
        _zone=pl.col("timezone").cast(pl.Enum(names)).to_physical().cast(pl.Int64)
    ).drop("timezone")
    try:
        decided = _gate(policy, tuple(zones), coded_checks, coded_events)
    except _CaseInSeveralZones:
        # A case whose checks are in two zones has two local calendars: decide each (case,
        # zone) as a case of its own, with the case's events in each.
        pairs = (
            coded_checks.select("case_id", "_zone").unique().sort("case_id", "_zone")
        ).with_row_index("_context")
        coded_checks = coded_checks.join(
            pairs, on=["case_id", "_zone"], maintain_order="left"
        ).with_columns(case_id=pl.col("_context").cast(pl.Int64))
        coded_events = coded_events.join(
            pairs.select("case_id", "_context"), on="case_id", maintain_order="left"
        ).with_columns(case_id=pl.col("_context").cast(pl.Int64))
        decided = _gate(policy, tuple(zones), coded_checks, coded_events)
    if not decided.get_column("_row").is_sorted():
        decided = decided.sort("_row")
    lists = _mask_lists(policy, decided.get_column("_mask").unique())
    decided = decided.join(lists, on="_mask", how="left", maintain_order="left")
    return decided.select(
        "check_id",
        allowed="_allowed",
        rules="rules",
        next_allowed_at=pl.col("_next").cast(UTC_US),
        requirements="requirements",
    )


# Below this many distinct ids a per-case table is cheap whatever the number of checks.
_DENSE_IDS_MIN = 1 << 20


class _CaseInSeveralZones(Exception):  # noqa: N818 - a signal, not an error
    """Some case has checks in more than one time zone."""


def _bits(values: Iterable[str], table: Mapping[str, int]) -> int:
    return sum(table[value] for value in set(values))


def _gate(
    policy: Policy, zones: tuple[ZoneInfo, ...], checks: pl.DataFrame, events: pl.DataFrame
) -> pl.DataFrame:
    """Decide coded checks (``_zone`` is the index of their zone in ``zones``)."""
    check_at = checks.get_column("_at")
    earliest, latest = int(check_at.min()), int(check_at.max())  # type: ignore[arg-type]
    case = checks.get_column("case_id")
    case_min, case_max = int(case.min()), int(case.max())  # type: ignore[arg-type]
    # Events after the last check, or of cases outside the checks' range, never count.
    relevant = pl.col("case_id").is_between(case_min, case_max) & (pl.col("_at") <= latest)
    if not events.select(relevant.all()).item():
        events = events.filter(relevant)
    base = earliest
    if events.height:
        base = min(base, int(events.get_column("_at").min()))  # type: ignore[arg-type]

    # A case as a small number, so that (case, time) packs into one sortable Int64: its id less
    # the smallest when that leaves room for the time, else its rank among the checks' cases.
    # The id form also sizes a per-case lookup table, so it is only used when the ids are dense
    # enough for that table to stay small.
    dense = case_max - case_min < max(_DENSE_IDS_MIN, 4 * case.len())
    if dense and (case_max - case_min).bit_length() + (latest - base).bit_length() <= _KEY_BITS:
        check_case = case - case_min
        events = events.with_columns(_id=pl.col("case_id") - case_min)
        id_count = case_max - case_min + 1
    else:
        cases = case.unique().sort()
        check_case = cases.search_sorted(case, side="left").cast(pl.Int64)
        rank = cases.search_sorted(events.get_column("case_id"), side="left").cast(pl.Int64)
        events = events.with_columns(_id=rank).filter(
            pl.col("case_id") == cases.gather(rank.clip(upper_bound=cases.len() - 1))
        )
        id_count = cases.len()
    # The zone of each case (its checks'), for its events' local days.
    check_zone = checks.get_column("_zone")
    zone_of = pl.repeat(0, id_count, dtype=pl.Int64, eager=True)
    if len(zones) > 1:
        zone_of = zone_of.scatter(check_case, check_zone)
        if not (zone_of.gather(check_case) == check_zone).all():
            raise _CaseInSeveralZones
    time_bits = _KEY_BITS - (id_count - 1).bit_length()
    if latest - earliest >= 1 << (time_bits - 1):
        # Checks over too long a period for the key: decide them in time slices.
        slices = (check_at - earliest) // (1 << (time_bits - 2))
        pieces = checks.with_columns(_slice=slices).partition_by("_slice", include_key=False)
        return pl.concat([_gate(policy, zones, piece, events.drop("_id")) for piece in pieces])
    # Events older than the key can tell apart all share its first value; they are put in time
    # order below. Their local days stay exact.
    lowest = latest - (1 << time_bits) + 1
    clamped = base < lowest
    base = max(base, lowest)
    lookback = policy.lookback_days
    table = _zones(zones, earliest // DAY_US - lookback - 3, latest // DAY_US + lookback + 3)

    # The lookups are binary searches of the checks' keys: fast when the checks come grouped by
    # case (as loaded), else sorted first (the input order comes back through _row).
    check_key = check_case * (1 << time_bits) + (check_at - base)
    query = checks.select(
        "_row", "check_id", "number", "agent_authorised", "_channel", "_party", "_zone"
    )
    query = query.with_columns(_key=check_key, _id=check_case, _at=check_at)
    if not check_case.is_sorted():
        query = query.sort("_key")
    query_zone, query_at = query.get_column("_zone"), query.get_column("_at")
    day = table.day(query_zone, query_at)
    query = query.with_columns(_day=day, _tod=table.wall_time(query_zone, query_at, day))

    event_zone = zone_of.gather(events.get_column("_id"))
    events = events.with_columns(
        _key=pl.col("_id") * (1 << time_bits) + (pl.col("_at") - base).clip(lower_bound=0),
        _day=table.day(event_zone, events.get_column("_at")),
    )
    # The state columns only need the codes, in key order; ties keep the input order (_pos).
    events = events.with_row_index("_pos")
    ordered = events.select(
        "_key", "_id", "_day", "_at", "_type", "_channel", "_party", "_outcome", "_pos"
    )
    if clamped:
        ordered = ordered.sort("_key", "_at", "_pos")
    elif not ordered.get_column("_key").is_sorted():
        ordered = ordered.sort("_key", maintain_order=True)

    query = _case_state(policy, query, ordered, events)
    query = _party_state(policy, query, ordered)
    query = _number_facts(policy, query, ordered, events)
    return _decisions(policy, table, query)


def _lookup(
    subset: pl.DataFrame, query: pl.DataFrame, columns: Mapping[str, int | bool]
) -> pl.DataFrame:
    """For each query row: the columns at the last ``subset`` row of its case at or before it
    (both frames in key order), or the defaults."""
    if subset.height == 0:
        return pl.DataFrame(
            [
                pl.repeat(
                    default,
                    query.height,
                    dtype=pl.Boolean if isinstance(default, bool) else pl.Int64,
                    eager=True,
                ).alias(name)
                for name, default in columns.items()
            ]
        )
    position = subset.get_column("_key").search_sorted(query.get_column("_key"), side="right")
    position = position.cast(pl.Int64) - 1
    index = position.clip(lower_bound=0).cast(pl.UInt32)
    found = (position >= 0) & (subset.get_column("_id").gather(index) == query.get_column("_id"))
    # Not found (no such event of the case yet): the defaults, in a row added at the end.
    values = pl.concat(
        [
            subset.select(list(columns)),
            pl.DataFrame([columns]).cast(subset.select(list(columns)).schema),
        ]
    )
    index = index.zip_with(found, pl.Series([subset.height], dtype=pl.UInt32))
    return values.select(pl.all().gather(index))


_FIRST = pl.col("_id") != pl.col("_id").shift(1, fill_value=-1)


def _carry(when: pl.Expr, value: pl.Expr, default: int | bool) -> pl.Expr:
    """Along a key-ordered frame: the value at the case's last row where ``when`` held."""
    return (
        pl.when(when)
        .then(value)
        .when(_FIRST)
        .then(pl.lit(default))
        .otherwise(pl.lit(None))
        .forward_fill()
    )


def _case_state(
    policy: Policy, query: pl.DataFrame, ordered: pl.DataFrame, events: pl.DataFrame
) -> pl.DataFrame:
    """Holds, opt-outs and agreed hours (from the rare non-contact events) and "unreachable"."""
    other = ordered.filter(~_type("contact"))
    if other.height:
        # Their reasons, channels and hours, by input row.
        positions = other.get_column("_pos")
        details = events.select(pl.col("reason", "start", "end").gather(positions))
        other = other.with_columns(details)
    columns: dict[str, pl.Expr] = {}
    defaults: dict[str, int | bool] = {}
    holding = _type("hold", "release")
    held = other.filter(holding).get_column("reason").unique().to_list() if other.height else []
    for reason in sorted(set(held) & set(policy.holds)):
        name = f"hold:{reason}"
        columns[name] = _carry(holding & (pl.col("reason") == reason), _type("hold"), False)
        defaults[name] = False
    if policy.opt_out is not None and other.height:
        opted = other.filter(_type("opt_out")).get_column("_channel").unique().to_list()
        for code in sorted(opted):
            name = f"opt:{CHANNELS[code]}"
            columns[name] = _carry(
                _type("opt_out") & (pl.col("_channel") == code), pl.lit(True), False
            )
            defaults[name] = False
    window = policy.window
    consent = _type("consent_hours")
    if (
        window is not None
        and window.consent_extends
        and other.height
        and other.select(consent.any()).item()
    ):
        for name, column in (("consent_start", "start"), ("consent_end", "end")):
            micros = pl.col(column).cast(pl.Int64) // 1000  # Time is nanoseconds of the day
            columns[name] = _carry(consent, micros, _NO_TIME)
            defaults[name] = _NO_TIME
    if columns:
        other = other.select("_key", "_id", **columns)
        query = query.with_columns(_lookup(other, query, defaults))
    if policy.third_party_unreachable_only is not None:
        # Every such event sets the state: an "unreachable" finding, or contact re-established.
        reached = _type("contact") & _outcome(*REACHED_OUTCOMES) & _party("borrower")
        marks = ordered.filter(_type("unreachable") | reached).select(
            "_key", "_id", unreachable=_type("unreachable")
        )
        rows = query.select((pl.col("_party") & _PARTY_BIT["third_party"]) != 0).to_series()
        rows = rows.arg_true()
        asked = query.select(pl.col("_key", "_id").gather(rows))
        found = _lookup(marks, asked, {"unreachable": False}).get_column("unreachable")
        unreachable = pl.repeat(False, query.height, eager=True).scatter(rows, found)
        query = query.with_columns(unreachable=unreachable)
    return query


def _party_channels(policy: Policy) -> dict[str, set[str]]:
    parties: dict[str, set[str]] = {}
    for rule in (
        policy.answered_calls_daily,
        policy.calls_in_period,
        policy.wait_after_conversation,
    ):
        if rule is not None:
            for party in rule.parties:
                parties.setdefault(party, set()).update(rule.channels)
    return parties


def _party_state(policy: Policy, query: pl.DataFrame, ordered: pl.DataFrame) -> pl.DataFrame:
    """Per party: answered calls that day, the day of the n-th last call, the last conversation.

    Only the checks the counting rules apply to (their party, a call channel) look them up.
    """
    answered, period, wait = (
        policy.answered_calls_daily,
        policy.calls_in_period,
        policy.wait_after_conversation,
    )
    reached = _outcome(*REACHED_OUTCOMES)
    outputs: dict[str, int] = {
        "calls_day": _OLD,
        "answered": 0,
        "nth_call_day": _OLD,
        "conversation_day": _OLD,
    }
    filled = {
        name: pl.repeat(default, query.height, dtype=pl.Int64, eager=True)
        for name, default in outputs.items()
    }
    for party, channels in sorted(_party_channels(policy).items()):
        wanted = query.select(
            ((pl.col("_party") & _PARTY_BIT[party]) != 0)
            & ((pl.col("_channel") & _bits(channels, _CHANNEL_BIT)) != 0)
        ).to_series()
        rows = wanted.arg_true()
        if rows.len() == 0:
            continue
        calls = ordered.filter(_type("contact") & _party(party) & _channel(channels))
        if calls.height == 0:
            continue
        columns: dict[str, pl.Expr] = {"calls_day": pl.col("_day")}
        if answered is not None and party in answered.parties:
            # Answered calls with the party on the row's local day, up to the row.
            flag = (reached & _channel(answered.channels)).cast(pl.Int64)
            counted = flag.cum_sum()
            new_day = _FIRST | (pl.col("_day") != pl.col("_day").shift(1))
            columns["answered"] = counted - pl.when(new_day).then(counted - flag).forward_fill()
        if period is not None and party in period.parties:
            columns["nth_call_day"] = _nth_recent_day(calls, _channel(period.channels), period.max)
        if wait is not None and party in wait.parties:
            columns["conversation_day"] = _carry(
                reached & _channel(wait.channels), pl.col("_day"), _OLD
            )
        state = calls.select("_key", "_id", **columns)
        asked = query.select(pl.col("_key", "_id").gather(rows))
        found = _lookup(state, asked, {name: outputs[name] for name in columns})
        for name in columns:
            filled[name] = filled[name].scatter(rows, found.get_column(name))
    return query.with_columns(**filled)


def _nth_recent_day(calls: pl.DataFrame, flag: pl.Expr, nth: int) -> pl.Expr:
    """At each row: the local day of the ``nth`` most recent flagged row of its case."""
    back = nth - 1
    if calls.select(flag.all()).item():
        return (
            pl.when(pl.col("_id").shift(back) == pl.col("_id"))
            .then(pl.col("_day").shift(back))
            .otherwise(pl.lit(_OLD))
        )
    positions = calls.select(flag).to_series().arg_true()
    flagged = calls.select(pl.col("_id", "_day").gather(positions))
    nth_day = flagged.select(
        pl.when(pl.col("_id").shift(back) == pl.col("_id"))
        .then(pl.col("_day").shift(back))
        .otherwise(pl.lit(_OLD))
    ).to_series()
    scattered = pl.repeat(None, calls.height, dtype=pl.Int64, eager=True).scatter(
        positions, nth_day
    )
    return _carry(pl.lit(scattered).is_not_null(), pl.lit(scattered), _OLD)


def _nth_time(nth: int) -> pl.Expr:
    """In a group: the time of the ``nth`` earliest event (null when there are fewer)."""
    return pl.col("_at").sort().slice(nth - 1, 1).first()


def _join_facts(query: pl.DataFrame, table: pl.DataFrame, on: list[str]) -> pl.DataFrame:
    """Left-join a small per-number table; only checks of the table's cases probe it."""
    names = [c for c in table.columns if c not in on]
    rows = query.select(pl.col("_id").is_in(table.get_column("_id").unique().implode())).to_series()
    rows = rows.arg_true()
    asked = query.select(pl.col(on).gather(rows))
    joined = asked.join(table, on=on, how="left", maintain_order="left")
    filled = {
        name: pl.repeat(None, query.height, dtype=pl.Int64, eager=True).scatter(
            rows, joined.get_column(name)
        )
        for name in names
    }
    return query.with_columns(**filled)


def _number_facts(
    policy: Policy, query: pl.DataFrame, ordered: pl.DataFrame, events: pl.DataFrame
) -> pl.DataFrame:
    """Per (case, number): the moment from which each per-number rule blocks (null: never).

    A count "reaches its limit at or before the check" exactly when the limit-th such event
    (in time) is at or before it, so each fact is one threshold time per number (and day).
    """
    contact = _type("contact")
    unanswered = policy.unanswered_attempts_daily
    if unanswered is not None:
        attempt = contact & _outcome("no_answer") & _channel(unanswered.channels)
        # A number can reach the limit on a day only if the case has that many attempts in all
        # that day: find those (case, day)s from the key order, then count per number there.
        runs = ordered.filter(attempt).select("_id", "_day")
        new_run = _FIRST | (pl.col("_day") != pl.col("_day").shift(1))
        index = pl.int_range(pl.len(), dtype=pl.Int64)
        within = index - pl.when(new_run).then(index).forward_fill()
        busy = runs.filter(within >= unanswered.max - 1).unique()
        if busy.height:
            limits = (
                events.filter(attempt & pl.col("_id").is_in(busy.get_column("_id").implode()))
                .join(busy, on=["_id", "_day"])
                .group_by("_id", "number", "_day")
                .agg(unanswered_limit_at=_nth_time(unanswered.max))
                .drop_nulls("unanswered_limit_at")
            )
            if limits.height:
                query = _join_facts(query, limits, ["_id", "number", "_day"])
    third = _party("third_party")
    reached = _outcome(*REACHED_OUTCOMES)
    facts = events.filter(contact & (_outcome("wrong_number") | (third & reached)))
    if facts.height:
        aggs = [
            pl.col("_at").filter(_outcome("wrong_number")).min().alias("wrong_at"),
            pl.col("_at").filter(third & _outcome("refused")).min().alias("refused_at"),
        ]
        once = policy.third_party_once
        if once is not None:
            aggs.append(
                pl.col("_at")
                .filter(third & reached)
                .sort()
                .slice(once.max - 1, 1)
                .first()
                .alias("third_party_limit_at")
            )
        query = _join_facts(query, facts.group_by("_id", "number").agg(aggs), ["_id", "number"])
    missing = [
        name
        for name in ("unanswered_limit_at", "wrong_at", "refused_at", "third_party_limit_at")
        if name not in query.columns
    ]
    return query.with_columns(pl.lit(None, pl.Int64).alias(name) for name in missing)


def _inside(
    tod: pl.Expr, window: ContactWindowRule, start: pl.Expr, end: pl.Expr, has: pl.Expr
) -> pl.Expr:
    """Whether a microsecond of the day is in the window or the agreed hours."""
    in_policy = (tod >= time_us(window.start)) & (tod < time_us(window.end))
    in_consent = (
        pl.when(start < end)
        .then((tod >= start) & (tod < end))
        .when(start > end)
        .then((tod >= start) | (tod < end))
        .otherwise(pl.lit(True))
    )
    return in_policy | (has & in_consent)


def _decisions(policy: Policy, table: _Zones, frame: pl.DataFrame) -> pl.DataFrame:
    at, day, tod = pl.col("_at"), pl.col("_day"), pl.col("_tod")

    def channel_in(channels: Iterable[str]) -> pl.Expr:
        return (pl.col("_channel") & _bits(channels, _CHANNEL_BIT)) != 0

    def party_in(parties: Iterable[str]) -> pl.Expr:
        return (pl.col("_party") & _bits(parties, _PARTY_BIT)) != 0

    window = policy.window
    consent_on = "consent_start" in frame.columns
    c_start = pl.col("consent_start") if consent_on else pl.lit(_NO_TIME, pl.Int64)
    c_end = pl.col("consent_end") if consent_on else pl.lit(_NO_TIME, pl.Int64)
    has_consent = c_start != _NO_TIME
    third_party = party_in(["third_party"])

    # Per rule: its bit when it blocks, and (for rules that end by themselves) the number of
    # local days after the check's day from which it no longer blocks.
    blocks: list[tuple[int, pl.Expr, pl.Expr | None]] = []
    requirement_bits: list[pl.Expr] = []
    window_applies = pl.lit(False)
    for bit, rule in enumerate(policy.rules):
        on: pl.Expr
        after: pl.Expr | None = None
        if isinstance(rule, ContactWindowRule):
            window_applies = channel_in(rule.channels)
            on = window_applies & ~_inside(tod, rule, c_start, c_end, has_consent)
            after = pl.lit(0, pl.Int64)
        elif isinstance(rule, HoldRule):
            name = f"hold:{rule.hold}"
            on = pl.col(name) if name in frame.columns else pl.lit(False)
        elif isinstance(rule, AnsweredCallsDailyRule):
            today = pl.when(pl.col("calls_day") == day).then(pl.col("answered")).otherwise(0)
            on = channel_in(rule.channels) & party_in(rule.parties) & (today >= rule.max)
            after = pl.lit(1, pl.Int64)
        elif isinstance(rule, UnansweredAttemptsDailyRule):
            on = channel_in(rule.channels) & (pl.col("unanswered_limit_at") <= at).fill_null(False)
            after = pl.lit(1, pl.Int64)
        elif isinstance(rule, CallsInPeriodRule):
            nth = pl.col("nth_call_day")
            on = channel_in(rule.channels) & party_in(rule.parties) & (nth > day - rule.days)
            after = nth + rule.days - day
        elif isinstance(rule, WaitAfterConversationRule):
            last = pl.col("conversation_day")
            on = channel_in(rule.channels) & party_in(rule.parties) & (last > day - rule.days)
            after = last + rule.days - day
        elif isinstance(rule, ThirdPartyUnreachableOnlyRule):
            on = third_party & ~pl.col("unreachable")
        elif isinstance(rule, ThirdPartyRefusalRule):
            on = (pl.col("refused_at") <= at).fill_null(False)
        elif isinstance(rule, ThirdPartyOnceRule):
            on = third_party & (pl.col("third_party_limit_at") <= at).fill_null(False)
        elif isinstance(rule, OptOutRule):
            opted = [c for c in frame.columns if c.startswith("opt:")]
            on = party_in(rule.parties) & pl.any_horizontal(
                pl.lit(False), *(channel_in([c.split(":", 1)[1]]) & pl.col(c) for c in opted)
            )
        elif isinstance(rule, WrongNumberRule):
            on = (pl.col("wrong_at") <= at).fill_null(False)
        elif isinstance(rule, AgentAuthorisationRule):
            on = ~pl.col("agent_authorised") & channel_in(rule.channels)
        elif isinstance(rule, RequirementRule):
            applies = channel_in(rule.channels) & party_in(rule.parties)
            requirement_bits.append(pl.when(applies).then(pl.lit(1 << bit)).otherwise(0))
            continue
        else:  # pragma: no cover - every kind is handled above
            raise AssertionError(rule.kind)
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
    frame = frame.with_columns(
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

    # The next opening, on days without a nearby offset change (the rest: the single gate's
    # routine). Day-counting rules give the day; the window gives the time on it.
    next_day = frame.get_column("_day") + frame.get_column("_after_days")
    index = table.index(frame.get_column("_zone"), next_day)
    frame = frame.with_columns(
        _next_start=table.starts.gather(index),
        _next_day_start=table.starts.gather(index + 1),
        _near_change=table.near_change.gather(index) | table.near_change.gather(index + 1),
    )
    after_tod = pl.when(pl.col("_after_days") == 0).then(tod).otherwise(0)
    after_at = pl.when(pl.col("_after_days") == 0).then(at).otherwise(pl.col("_next_start"))
    if window is not None:
        w_start = pl.lit(time_us(window.start), pl.Int64)
        consent_later = pl.when(has_consent & (c_start != c_end) & (c_start > after_tod)).then(
            c_start
        )
        same_day = pl.min_horizontal(pl.when(w_start > after_tod).then(w_start), consent_later)
        consent_first = pl.when(has_consent).then(
            pl.when(c_start >= c_end).then(pl.lit(0, pl.Int64)).otherwise(c_start)
        )
        first_start = pl.min_horizontal(w_start, consent_first)
        opening = (
            pl.when(_inside(after_tod, window, c_start, c_end, has_consent))
            .then(after_at)
            .when(same_day.is_not_null())
            .then(pl.col("_next_start") + same_day)
            .otherwise(pl.col("_next_day_start") + first_start)
        )
    else:
        opening = after_at
    blocked = pl.col("_blocked") != 0
    frame = frame.with_columns(
        _allowed=~blocked,
        _next=pl.when(~blocked)
        .then(at)
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
        start = record.get("consent_start", _NO_TIME)
        agreed = None if start == _NO_TIME else (start, record["consent_end"])
        intervals = rule_intervals(window, agreed)
        if record["_after_days"] == 0:
            after = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=record["_at"])
        else:
            after = day_start(zone, _day_of(record["_day"] + record["_after_days"]))
        values.append(_us(next_in_window(zone, intervals, after)))
    fixed = frame.get_column("_next").scatter(rows, pl.Series(values, dtype=pl.Int64))
    return frame.with_columns(_next=fixed)


def _mask_lists(policy: Policy, masks: pl.Series) -> pl.DataFrame:
    """Rule ids and requirements of each distinct bit mask."""
    ids = policy.rule_ids
    requirement_of = {
        rule.id: rule.requirement for rule in policy.rules if isinstance(rule, RequirementRule)
    }
    rules: list[list[str]] = []
    requirements: list[list[str]] = []
    for mask in masks.to_list():
        chosen = [ids[bit] for bit in range(len(ids)) if mask >> bit & 1]
        rules.append(chosen)
        requirements.append(
            list(dict.fromkeys(requirement_of[i] for i in chosen if i in requirement_of))
        )
    return pl.DataFrame(
        {"_mask": masks, "rules": rules, "requirements": requirements},
        schema={"_mask": pl.Int64, "rules": pl.List(pl.String), "requirements": pl.List(pl.String)},
    )
