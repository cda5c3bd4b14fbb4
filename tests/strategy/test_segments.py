"""Engine: segments on tiny frames, and the steps due by case day and by trigger."""

from __future__ import annotations

from datetime import date, time
from typing import Any

import polars as pl

from autocollect.engine.segments import (
    PATH_CASES,
    SEGMENT_CASES,
    SEGMENT_RULES,
    STEPS,
    TRIGGERS,
    assign_segments,
    due_steps,
)

AS_OF = date(2026, 3, 16)


def cases(*rows: dict[str, Any]) -> pl.DataFrame:
    base = {
        "version_id": 1,
        "opened_on": AS_OF,
        "dpd": 10,
        "bucket": "M1",
        "overdue_total_fen": 300_000,
        "product": "AUTO-STD",
        "region": "广东省",
        "risk_band": None,
        "flags": [],
    }
    return pl.DataFrame([{**base, **row} for row in rows], schema=dict(SEGMENT_CASES))


def rules(*rows: dict[str, Any]) -> pl.DataFrame:
    base = {name: None for name in SEGMENT_RULES} | {"version_id": 1}
    return pl.DataFrame(
        [{**base, "order": k, **row} for k, row in enumerate(rows)], schema=dict(SEGMENT_RULES)
    )


def segment_of(frame: pl.DataFrame, rule_frame: pl.DataFrame) -> dict[int, str | None]:
    return dict(assign_segments(frame, rule_frame).select("case_id", "segment_id").iter_rows())


def test_each_case_takes_the_first_matching_segment_in_order() -> None:
    result = segment_of(
        cases({"case_id": 1, "dpd": 70}, {"case_id": 2, "dpd": 10}),
        rules(
            {"segment_id": "legal", "path_id": "late", "dpd_min": 61},
            {"segment_id": "all", "path_id": "standard"},
            {"segment_id": "never", "path_id": "standard", "dpd_min": 0},
        ),
    )
    assert result == {1: "legal", 2: "all"}


def test_bucket_amount_product_and_region_conditions_all_must_hold() -> None:
    frame = cases(
        {"case_id": 1, "bucket": "M2", "overdue_total_fen": 900_000},
        {"case_id": 2, "bucket": "M2", "overdue_total_fen": 100_000},
        {"case_id": 3, "bucket": "M1", "overdue_total_fen": 900_000},
        {"case_id": 4, "bucket": "M2", "overdue_total_fen": 900_000, "region": "四川省"},
        {"case_id": 5, "bucket": "M2", "overdue_total_fen": 900_000, "product": "TRUCK"},
    )
    result = segment_of(
        frame,
        rules(
            {
                "segment_id": "big_m2_gd",
                "path_id": "p",
                "buckets": ["M2"],
                "overdue_min_fen": 500_000,
                "products": ["AUTO-STD"],
                "regions": ["广东省", "广西壮族自治区"],
            }
        ),
    )
    assert result == {1: "big_m2_gd", 2: None, 3: None, 4: None, 5: None}


def test_flags_present_and_absent() -> None:
    frame = cases(
        {"case_id": 1, "flags": ["broken_promise"]},
        {"case_id": 2, "flags": ["broken_promise", "hardship_claimed"]},
        {"case_id": 3, "flags": []},
    )
    result = segment_of(
        frame,
        rules(
            {
                "segment_id": "broken",
                "path_id": "p",
                "flags_present": ["broken_promise"],
                "flags_absent": ["hardship_claimed"],
            },
            {"segment_id": "rest", "path_id": "q"},
        ),
    )
    assert result == {1: "broken", 2: "rest", 3: "rest"}


def test_a_case_without_a_risk_band_does_not_match_a_risk_band_segment() -> None:
    frame = cases({"case_id": 1, "risk_band": "A"}, {"case_id": 2})
    result = segment_of(frame, rules({"segment_id": "low", "path_id": "p", "risk_bands": ["A"]}))
    assert result == {1: "low", 2: None}


def test_each_case_is_segmented_by_its_own_version() -> None:
    frame = cases({"case_id": 1, "version_id": 1}, {"case_id": 2, "version_id": 2})
    rule_frame = pl.concat(
        [
            rules({"segment_id": "champion_all", "path_id": "p"}),
            rules({"segment_id": "challenger_all", "path_id": "q"}).with_columns(
                pl.lit(2, dtype=pl.Int64).alias("version_id")
            ),
        ]
    )
    assert segment_of(frame, rule_frame) == {1: "champion_all", 2: "challenger_all"}


# --- due steps ------------------------------------------------------------------------------


def steps(*rows: dict[str, Any]) -> pl.DataFrame:
    base = {name: None for name in STEPS} | {
        "version_id": 1,
        "path_id": "p",
        "priority": 50,
        "minutes": 0,
        "local_time": time(9),
        "valid_days": 3,
    }
    return pl.DataFrame([{**base, **row} for row in rows], schema=dict(STEPS))


def path_cases(opened: dict[int, date]) -> pl.DataFrame:
    return pl.DataFrame(
        [
            {"case_id": k, "version_id": 1, "path_id": "p", "opened_on": day}
            for k, day in opened.items()
        ],
        schema=dict(PATH_CASES),
    )


NO_TRIGGERS = pl.DataFrame(schema=dict(TRIGGERS))


def due(frame: pl.DataFrame, step_frame: pl.DataFrame, triggers: pl.DataFrame) -> set[Any]:
    result = due_steps(frame, step_frame, triggers, as_of=AS_OF)
    return set(result.select("case_id", "step_id", "reason").iter_rows())


def test_a_day_step_is_due_on_its_case_day_where_day_one_is_the_opening_date() -> None:
    frame = path_cases({1: date(2026, 3, 16), 2: date(2026, 3, 14), 3: date(2026, 3, 13)})
    step_frame = steps(
        {"step_id": "sms_d1", "channel": "sms", "day": 1},
        {"step_id": "robot_d3", "channel": "robot_call", "day": 3},
    )
    assert due(frame, step_frame, NO_TRIGGERS) == {(1, "sms_d1", "day"), (2, "robot_d3", "day")}


def test_a_repeating_step_is_due_every_n_days_from_its_day_through_until() -> None:
    # Case days 4 … 12 on the as-of date.
    frame = path_cases({day: date(2026, 3, 17 - day) for day in range(4, 13)})
    step_frame = steps(
        {"step_id": "call", "channel": "call", "day": 5, "every": 3, "until": 11},
    )
    assert {case for case, _, _ in due(frame, step_frame, NO_TRIGGERS)} == {5, 8, 11}


def test_a_trigger_step_is_due_only_for_the_cases_it_fired_for() -> None:
    frame = path_cases({1: date(2026, 3, 1), 2: date(2026, 3, 1)})
    step_frame = steps(
        {"step_id": "follow_up", "channel": "call", "trigger": "promise_broken"},
        {"step_id": "roll_review", "channel": "review_team_lead", "trigger": "rolled_forward"},
    )
    fired = pl.DataFrame(
        {"case_id": [2, 2], "trigger": ["promise_broken", "promise_broken"]},
        schema=dict(TRIGGERS),
    )
    assert due(frame, step_frame, fired) == {(2, "follow_up", "promise_broken")}


def test_steps_of_another_path_or_version_are_not_due() -> None:
    frame = path_cases({1: AS_OF})
    step_frame = pl.concat(
        [
            steps({"step_id": "other_path", "channel": "sms", "day": 1, "path_id": "x"}),
            steps({"step_id": "other_version", "channel": "sms", "day": 1, "version_id": 2}),
            steps({"step_id": "mine", "channel": "sms", "day": 1}),
        ]
    )
    assert due(frame, step_frame, NO_TRIGGERS) == {(1, "mine", "day")}
