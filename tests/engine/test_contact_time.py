"""Local time for the contact gate across daylight-saving changes: wall-clock times the
clocks skip or repeat, days of 23 and 25 hours, agreed hours in the changed hour.

New York changes on 8 March 2026 (02:00 EST → 03:00 EDT) and 1 November 2026 (02:00 EDT →
01:00 EST).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from autocollect.engine.contact_time import (
    day_start,
    next_in_window,
    time_us,
    wall_instants,
    window_intervals,
)

NEW_YORK = ZoneInfo("America/New_York")


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


# --- local-time arithmetic: gaps and folds --------------------------------------------------


def test_a_skipped_wall_time_maps_to_the_instant_the_clocks_jump() -> None:
    (instant,) = wall_instants(NEW_YORK, date(2026, 3, 8), time_us(time(2, 30)))
    assert instant == utc("2026-03-08T07:00")  # 03:00 EDT


def test_a_repeated_wall_time_maps_to_both_instants_earliest_first() -> None:
    instants = wall_instants(NEW_YORK, date(2026, 11, 1), time_us(time(1, 30)))
    assert instants == (utc("2026-11-01T05:30"), utc("2026-11-01T06:30"))


def test_the_day_of_the_spring_change_has_23_hours_and_the_autumn_one_25() -> None:
    spring = day_start(NEW_YORK, date(2026, 3, 9)) - day_start(NEW_YORK, date(2026, 3, 8))
    autumn = day_start(NEW_YORK, date(2026, 11, 2)) - day_start(NEW_YORK, date(2026, 11, 1))
    assert spring == timedelta(hours=23)
    assert autumn == timedelta(hours=25)


def test_agreed_hours_starting_in_the_skipped_hour_open_when_the_clocks_jump() -> None:
    intervals = window_intervals(
        time_us(time(8)), time_us(time(21)), (time_us(time(2, 30)), time_us(time(4)))
    )
    after = utc("2026-03-08T02:00")  # 21:00 EST on 7 March
    assert next_in_window(NEW_YORK, intervals, after) == utc("2026-03-08T07:00")


def test_agreed_hours_starting_in_the_repeated_hour_open_again_the_second_time() -> None:
    intervals = window_intervals(
        time_us(time(8)), time_us(time(21)), (time_us(time(1, 30)), time_us(time(1, 45)))
    )
    after = utc("2026-11-01T05:50")  # 01:50 EDT: the first 01:30-01:45 is over
    assert next_in_window(NEW_YORK, intervals, after) == utc("2026-11-01T06:30")  # 01:30 EST


def test_agreed_hours_inside_the_repeated_hour_reopen_when_the_clocks_go_back() -> None:
    intervals = window_intervals(
        time_us(time(8)), time_us(time(21)), (time_us(time(0, 30)), time_us(time(1, 30)))
    )
    after = utc("2026-11-01T05:40")  # 01:40 EDT; at 02:00 EDT the clocks show 01:00 EST
    assert next_in_window(NEW_YORK, intervals, after) == utc("2026-11-01T06:00")
