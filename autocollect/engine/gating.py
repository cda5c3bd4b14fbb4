"""The batch contact gate: the single gate's rules over a frame of candidate contacts.

``gate_frame(policy, checks, events)`` decides every row of ``checks`` against the ``events`` of
its case and gives, check by check, the same answer as ``gate.decide`` (same rules, same
``next_allowed_at``; the property test in ``tests/engine/test_gating.py`` holds it to that).
The daily planner uses it to gate a whole day's candidate contacts at once; the definitions are
the single gate's (its module docstring, and ``docs/compliance.md``).

Column contracts (``frames.py``): ``checks`` (``CHECKS``), one row per candidate contact;
``events`` (``EVENTS``), the cases' history in any order (events of cases without checks are
ignored); the output (``DECISIONS``), one row per check in the order of ``checks``.

How it works, in steps of their own modules:

* ``gating_codes.py``: the frames are checked against their contracts and coded (strings as
  small integers, a check's channel and party as bits).
* here: a case and a time pack into one sortable Int64 key (a case as its id less the smallest,
  or its rank when the ids are sparse; checks over too long a period are decided in time
  slices). A case whose checks are in two zones is decided as two cases, one per zone.
* ``gating_zones.py``: local days and wall-clock times from a table of each zone's day starts
  and offset changes, built with ``zoneinfo`` as the single gate computes them.
* ``gating_state.py``: what the history says at each check, carried forward in key order and
  looked up by a binary search of the check's key (cache-friendly when the checks come grouped
  by case, as loaded; otherwise they are sorted first), and per-number threshold tables.
* ``gating_decisions.py``: each rule as an expression over those columns; the blocking rules as
  a bit mask and the next allowed moment (near an offset change, by the single gate's own
  routine, ``next_in_window``).

Throughput (``benchmarks/gate_bench.py``): well over a million decisions per second on two
cores for a day's checks over 200,000 cases, frames as loaded; shuffled frames pay for a sort.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import polars as pl

from autocollect.engine import frames
from autocollect.engine.contact_time import DAY_US
from autocollect.engine.gating_codes import coded_checks, coded_events
from autocollect.engine.gating_decisions import decisions
from autocollect.engine.gating_state import case_state, number_facts, party_state
from autocollect.engine.gating_zones import ZoneTable, zone_table
from autocollect.engine.policy import Policy, RequirementRule

_MAX_RULES = 62  # rule ids travel as bits of an Int64
_KEY_BITS = 62  # case and time share one non-negative Int64 sort key
# Below this many distinct ids a per-case table is cheap whatever the number of checks.
_DENSE_IDS_MIN = 1 << 20


class _CaseInSeveralZones(Exception):  # noqa: N818 - a signal, not an error
    """Some case has checks in more than one time zone."""


def _zones_of(checks: pl.DataFrame) -> tuple[tuple[ZoneInfo, ...], pl.DataFrame]:
    """The checks' zones, and the checks with ``_zone``, the index of theirs."""
    names = tuple(checks.get_column("timezone").unique(maintain_order=True).to_list())
    zones = []
    for name in names:
        try:
            zones.append(ZoneInfo(name))
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise frames.FrameContractError(
                f"checks: timezone {name!r} is not an IANA time zone"
            ) from exc
    coded = checks.with_columns(
        _zone=pl.col("timezone").cast(pl.Enum(names)).to_physical().cast(pl.Int64)
    ).drop("timezone")
    return tuple(zones), coded


def _one_zone_per_case(
    checks: pl.DataFrame, events: pl.DataFrame
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Each (case, zone) of the checks as a case of its own, with the case's events in each:
    a case whose checks are in two zones has two local calendars."""
    pairs = (checks.select("case_id", "_zone").unique().sort("case_id", "_zone")).with_row_index(
        "_context"
    )
    checks = checks.join(pairs, on=["case_id", "_zone"], maintain_order="left").with_columns(
        case_id=pl.col("_context").cast(pl.Int64)
    )
    events = events.join(
        pairs.select("case_id", "_context"), on="case_id", maintain_order="left"
    ).with_columns(case_id=pl.col("_context").cast(pl.Int64))
    return checks, events


def gate_frame(policy: Policy, checks: pl.DataFrame, events: pl.DataFrame) -> pl.DataFrame:
    """Decide every check (``CHECKS``) against its case's ``EVENTS``; see the module docstring."""
    if len(policy.rules) > _MAX_RULES:
        raise frames.FrameContractError(f"pack {policy.name} has over {_MAX_RULES} rules")
    coded = coded_checks(checks)
    history = coded_events(policy, events)
    if coded.height == 0:
        return frames.empty(frames.DECISIONS)
    zones, coded = _zones_of(coded)
    try:
        decided = _gate(policy, zones, coded, history)
    except _CaseInSeveralZones:
        coded, history = _one_zone_per_case(coded, history)
        decided = _gate(policy, zones, coded, history)
    if not decided.get_column("_row").is_sorted():
        decided = decided.sort("_row")
    lists = _mask_lists(policy, decided.get_column("_mask").unique())
    decided = decided.join(lists, on="_mask", how="left", maintain_order="left")
    return decided.select(
        "check_id",
        allowed="_allowed",
        rules="rules",
        next_allowed_at=pl.col("_next").cast(frames.UTC_US),
        requirements="requirements",
    )


# --- keys -----------------------------------------------------------------------------------


def _relevant(
    checks: pl.DataFrame, events: pl.DataFrame, case: pl.Series, latest: int
) -> tuple[pl.DataFrame, int]:
    """The events that can count (none after the last check, none of cases outside the checks'
    range) and the earliest instant of checks and events."""
    case_min, case_max = int(case.min()), int(case.max())  # type: ignore[arg-type]
    relevant = pl.col("case_id").is_between(case_min, case_max) & (pl.col("_at") <= latest)
    if not events.select(relevant.all()).item():
        events = events.filter(relevant)
    base = int(checks.get_column("_at").min())  # type: ignore[arg-type]
    if events.height:
        base = min(base, int(events.get_column("_at").min()))  # type: ignore[arg-type]
    return events, base


def _case_numbers(
    case: pl.Series, events: pl.DataFrame, span: int
) -> tuple[pl.Series, pl.DataFrame, int]:
    """A case as a small number (checks' cases, and ``_id`` of the events) and how many there
    are: its id less the smallest when that leaves room for the time (``span`` µs), else its
    rank among the checks' cases. The id form also sizes a per-case lookup table, so it is
    only used when the ids are dense enough for that table to stay small."""
    case_min, case_max = int(case.min()), int(case.max())  # type: ignore[arg-type]
    dense = case_max - case_min < max(_DENSE_IDS_MIN, 4 * case.len())
    if dense and (case_max - case_min).bit_length() + span.bit_length() <= _KEY_BITS:
        events = events.with_columns(_id=pl.col("case_id") - case_min)
        return case - case_min, events, case_max - case_min + 1
    cases = case.unique().sort()
    check_case = cases.search_sorted(case, side="left").cast(pl.Int64)
    rank = cases.search_sorted(events.get_column("case_id"), side="left").cast(pl.Int64)
    events = events.with_columns(_id=rank).filter(
        pl.col("case_id") == cases.gather(rank.clip(upper_bound=cases.len() - 1))
    )
    return check_case, events, cases.len()


def _zone_of_cases(
    zones: tuple[ZoneInfo, ...], check_zone: pl.Series, check_case: pl.Series, id_count: int
) -> pl.Series:
    """The zone of each case (its checks'), for its events' local days."""
    zone_of = pl.repeat(0, id_count, dtype=pl.Int64, eager=True)
    if len(zones) > 1:
        zone_of = zone_of.scatter(check_case, check_zone)
        if not (zone_of.gather(check_case) == check_zone).all():
            raise _CaseInSeveralZones
    return zone_of


def _keyed_checks(
    checks: pl.DataFrame, check_case: pl.Series, base: int, time_bits: int, table: ZoneTable
) -> pl.DataFrame:
    """The checks with ``_key``, ``_id``, local ``_day`` and ``_tod``, in key order. The lookups
    are binary searches of the checks' keys: fast when the checks come grouped by case (as
    loaded), else sorted first (the input order comes back through ``_row``)."""
    check_at = checks.get_column("_at")
    check_key = check_case * (1 << time_bits) + (check_at - base)
    query = checks.select(
        "_row", "check_id", "number", "agent_authorised", "_channel", "_party", "_zone"
    )
    query = query.with_columns(_key=check_key, _id=check_case, _at=check_at)
    if not check_case.is_sorted():
        query = query.sort("_key")
    query_zone, query_at = query.get_column("_zone"), query.get_column("_at")
    day = table.day(query_zone, query_at)
    return query.with_columns(_day=day, _tod=table.wall_time(query_zone, query_at, day))


def _keyed_events(
    events: pl.DataFrame,
    zone_of: pl.Series,
    base: int,
    time_bits: int,
    table: ZoneTable,
    *,
    clamped: bool,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The events with ``_key``, local ``_day`` and ``_pos`` (input order), and the codes the
    state columns need, in key order (ties in input order). ``clamped``: some events are older
    than the key can tell apart; they share its first value and are put in time order."""
    event_zone = zone_of.gather(events.get_column("_id"))
    events = events.with_columns(
        _key=pl.col("_id") * (1 << time_bits) + (pl.col("_at") - base).clip(lower_bound=0),
        _day=table.day(event_zone, events.get_column("_at")),
    ).with_row_index("_pos")
    ordered = events.select(
        "_key", "_id", "_day", "_at", "_type", "_channel", "_party", "_outcome", "_pos"
    )
    if clamped:
        ordered = ordered.sort("_key", "_at", "_pos")
    elif not ordered.get_column("_key").is_sorted():
        ordered = ordered.sort("_key", maintain_order=True)
    return events, ordered


def _gate(
    policy: Policy, zones: tuple[ZoneInfo, ...], checks: pl.DataFrame, events: pl.DataFrame
) -> pl.DataFrame:
    """Decide coded checks (``_zone`` is the index of their zone in ``zones``)."""
    check_at = checks.get_column("_at")
    earliest, latest = int(check_at.min()), int(check_at.max())  # type: ignore[arg-type]
    case = checks.get_column("case_id")
    events, base = _relevant(checks, events, case, latest)
    check_case, events, id_count = _case_numbers(case, events, latest - base)
    zone_of = _zone_of_cases(zones, checks.get_column("_zone"), check_case, id_count)
    time_bits = _KEY_BITS - (id_count - 1).bit_length()
    if latest - earliest >= 1 << (time_bits - 1):
        # Checks over too long a period for the key: decide them in time slices.
        slices = (check_at - earliest) // (1 << (time_bits - 2))
        pieces = checks.with_columns(_slice=slices).partition_by("_slice", include_key=False)
        return pl.concat([_gate(policy, zones, piece, events.drop("_id")) for piece in pieces])
    # Events older than the key can tell apart all share its first value; they are put in time
    # order. Their local days stay exact.
    lowest = latest - (1 << time_bits) + 1
    clamped = base < lowest
    base = max(base, lowest)
    lookback = policy.lookback_days
    table = zone_table(zones, earliest // DAY_US - lookback - 3, latest // DAY_US + lookback + 3)

    query = _keyed_checks(checks, check_case, base, time_bits, table)
    events, ordered = _keyed_events(events, zone_of, base, time_bits, table, clamped=clamped)
    query = case_state(policy, query, ordered, events)
    query = party_state(policy, query, ordered)
    query = number_facts(policy, query, ordered, events)
    return decisions(policy, table, query)


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
