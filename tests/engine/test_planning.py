"""The plan's frame steps on tiny frames: planned moments in the debtor's zone, and what the
gate's answers make of each action."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import polars as pl

from autocollect.engine import frames
from autocollect.engine.planning import NO_CONTACT_POINT, ONE_PER_DAY, decide, wall_to_utc

AS_OF = date(2026, 3, 9)
SHANGHAI = "Asia/Shanghai"


def test_a_wall_time_the_clocks_skip_is_planned_when_they_jump() -> None:
    # New York, 8 March 2026: 02:00 EST becomes 03:00 EDT (07:00 UTC).
    assert wall_to_utc(date(2026, 3, 8), time(2, 30), "America/New_York") == datetime(
        2026, 3, 8, 7, 0, tzinfo=UTC
    )
    assert wall_to_utc(AS_OF, time(9, 0), SHANGHAI) == datetime(2026, 3, 9, 1, 0, tzinfo=UTC)


def actions(*rows: tuple[int, str, str | None, int]) -> pl.DataFrame:
    """(row, channel, number, _nth) actions checked at 09:00 in Shanghai."""
    return pl.DataFrame(
        [
            {
                "row": row,
                "channel": channel,
                "number": number,
                "_nth": nth,
                "timezone": SHANGHAI,
                "check_at": datetime(2026, 3, 9, 1, 0, tzinfo=UTC),
            }
            for row, channel, number, nth in rows
        ],
        schema={
            "row": pl.Int64,
            "channel": pl.String,
            "number": pl.String,
            "_nth": pl.Int64,
            "timezone": pl.String,
            "check_at": frames.UTC_US,
        },
    )


def answers(*rows: tuple[int, bool, list[str], datetime | None]) -> pl.DataFrame:
    return pl.DataFrame(
        [
            {"row": row, "allowed": allowed, "rules": rules, "next_allowed_at": at}
            for row, allowed, rules, at in rows
        ],
        schema=dict(frames.GATE_ANSWERS),
    )


def test_the_gates_answers_decide_each_actions_status() -> None:
    later_today = datetime(2026, 3, 9, 6, 0, tzinfo=UTC)  # 14:00 in Shanghai
    tomorrow = datetime(2026, 3, 10, 0, 0, tzinfo=UTC)  # 08:00 in Shanghai
    decided = decide(
        actions(
            (1, "sms", "m1", 1),
            (2, "sms", None, 1),
            (3, "sms", "m1", 2),
            (4, "call", "m1", 1),
            (5, "robot_call", "m1", 1),
            (6, "email", "e1", 1),
            (7, "review_legal", None, 1),
        ),
        answers(
            (1, True, [], None),
            (4, False, ["cn.hold.dispute"], None),
            (5, False, ["cn.calls.answered_daily"], tomorrow),
            (6, False, ["cn.window"], later_today),
        ),
        AS_OF,
    ).sort("row")
    assert decided.get_column("status").to_list() == [
        frames.ACTION_PLANNED,
        frames.ACTION_BLOCKED,
        frames.ACTION_RESCHEDULED,
        frames.ACTION_BLOCKED,
        frames.ACTION_RESCHEDULED,
        frames.ACTION_PLANNED,
        frames.ACTION_PLANNED,
    ]
    assert decided.get_column("_go").to_list() == [True, False, False, False, False, True, True]
    assert decided.get_column("moved").to_list()[5] is True
    assert decided.get_column("rules").to_list()[1:3] == [[NO_CONTACT_POINT], [ONE_PER_DAY]]
    assert decided.get_column("due_on").to_list()[2:5] == [
        date(2026, 3, 10),
        date(2026, 3, 10),
        date(2026, 3, 10),
    ]
    assert decided.get_column("scheduled_at").to_list()[5] == later_today
