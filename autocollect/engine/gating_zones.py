"""Local days and wall-clock times for the batch gate, as tables over the checks' zones.

For each zone and each local day of the period the checks and their look-back cover: the UTC
instant the day starts, and whether a UTC offset change is near. A frame's instants then find
their local day and wall-clock time with a few gathers, exactly as the single gate computes
them with ``zoneinfo`` (``contact_time.py``); a day near an offset change takes the zone's
offset at the instant itself. Days are numbered from 1970-01-01, instants are Int64
microseconds since the epoch (UTC).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import polars as pl

from autocollect.engine.contact_time import DAY_US, EPOCH, day_start, day_transition

_EPOCH_ORDINAL = EPOCH.toordinal()


def day_of(number: int) -> date:
    """The date of a day number (days since 1970-01-01)."""
    return date.fromordinal(number + _EPOCH_ORDINAL)


def instant_us(instant: datetime) -> int:
    """Microseconds since the epoch of an aware instant."""
    delta = instant - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


@dataclass(frozen=True)
class ZoneTable:
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


def zone_table(zones: tuple[ZoneInfo, ...], first: int, last: int) -> ZoneTable:
    starts: list[int] = []
    near: list[bool] = []
    changes: list[pl.Series] = []
    offsets: list[pl.Series] = []
    for zone in zones:
        zone_changes: list[int] = []
        before = day_start(zone, day_of(first - 1)).astimezone(zone).utcoffset()
        assert before is not None
        zone_offsets = [before // timedelta(microseconds=1)]
        has_change: list[bool] = []
        for number in range(first - 1, last + 2):
            change = day_transition(zone, day_of(number))
            has_change.append(change is not None)
            if change is not None:
                zone_changes.append(instant_us(change))
                after = change.astimezone(zone).utcoffset()
                assert after is not None
                zone_offsets.append(after // timedelta(microseconds=1))
        starts += [instant_us(day_start(zone, day_of(number))) for number in range(first, last + 1)]
        # has_change covers first-1 … last+1: day i is near a change if it or a neighbour has one.
        near += [any(has_change[i : i + 3]) for i in range(last - first + 1)]
        changes.append(pl.Series(zone_changes, dtype=pl.Int64))
        offsets.append(pl.Series(zone_offsets, dtype=pl.Int64))
    return ZoneTable(
        zones=zones,
        first=first,
        width=last - first + 1,
        starts=pl.Series(starts, dtype=pl.Int64),
        near_change=pl.Series(near, dtype=pl.Boolean),
        changes=tuple(changes),
        offsets=tuple(offsets),
    )
