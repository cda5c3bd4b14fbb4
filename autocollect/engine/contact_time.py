"""The debtor's local time for the contact gate: local days, wall-clock times, windows.

Every contact rule is decided on the debtor's wall clock in their IANA zone (``zoneinfo``),
never the machine's. A time of day is an integer of microseconds since local midnight; a window
is a tuple of half-open ``[start, end)`` intervals of them, sorted and merged. Across a change
of UTC offset, a wall-clock time the clocks repeat (autumn) is first reached at its first
occurrence, and one they skip (spring) is reached when they jump past it (``gate.py``'s
docstring has the definitions; ``docs/compliance.md`` the examples).

Pure Python: no Django.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from autocollect.engine.policy import ContactWindowRule

DAY_US = 86_400_000_000
EPOCH = date(1970, 1, 1)
# A window as half-open [start, end) microsecond-of-day intervals, sorted and merged.
Intervals = tuple[tuple[int, int], ...]


def time_us(value: time) -> int:
    """Microseconds since midnight of a wall-clock time."""
    return (value.hour * 3600 + value.minute * 60 + value.second) * 1_000_000 + value.microsecond


def clock_us(local: datetime) -> int:
    """Microseconds since midnight of a local datetime's wall clock."""
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
def day_starts(zone: ZoneInfo, day: date, lookback: int) -> tuple[datetime, ...]:
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
    if inside(intervals, clock_us(local)):
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
                and inside(intervals, clock_us(candidate.astimezone(zone)))
            ):
                best = candidate
        if best is not None:
            return best
    # A window that is validated (start before end) opens every day: this is a programming
    # error, not a check the gate cannot judge.
    raise ValueError("the contact window never opens")
