"""Strategy definitions: the shipped default is valid; mistakes are refused with their place."""

from __future__ import annotations

from datetime import time
from typing import Any

import pytest
import yaml

from autocollect.strategy.definitions import (
    DefinitionError,
    load_text,
    parse_definition,
)
from autocollect.strategy.services import DEFAULT_STRATEGY_FILE


def minimal(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "code": "demo",
        "name": "演示策略",
        "segments": [{"id": "all", "path": "main"}],
        "paths": [
            {
                "id": "main",
                "steps": [
                    {"id": "sms_d1", "day": 1, "channel": "sms", "template": "sms_reminder_day1"},
                    {"id": "call_d5", "day": 5, "channel": "call", "queue": "early_calls"},
                ],
            }
        ],
    }
    data.update(changes)
    return data


def errors_of(raw: Any) -> list[str]:
    with pytest.raises(DefinitionError) as caught:
        parse_definition(raw)
    return caught.value.lines


def test_the_shipped_default_and_its_challenger_are_valid() -> None:
    raw = yaml.safe_load(DEFAULT_STRATEGY_FILE.read_text(encoding="utf-8"))
    champion = parse_definition(raw["strategy"])
    challenger = parse_definition(raw["challenger"]["definition"])
    steps = {step.id: step for _, step in champion.steps()}
    assert (steps["sms_d1"].day, steps["sms_d1"].channel) == (1, "sms")
    assert (steps["robot_d3"].day, steps["robot_d3"].channel) == (3, "robot_call")
    assert (steps["call_d5"].day, steps["call_d5"].every) == (5, 3)
    assert (steps["letter_d15"].day, steps["letter_d15"].channel) == (15, "letter")
    assert (steps["lead_review_d30"].day, steps["lead_review_d30"].channel) == (
        30,
        "review_team_lead",
    )
    assert steps["legal_review_m3"].trigger == "rolled_forward"
    legal = next(s for s in champion.segments if s.id == "legal")
    assert legal.when.dpd is not None
    assert legal.when.dpd.min == 61
    challenger_steps = {step.id: step for _, step in challenger.steps()}
    assert challenger_steps["robot_d2"].day == 2
    assert challenger_steps["call_d4"].day == 4
    assert raw["challenger"]["share_bp"] == 1000


def test_an_automated_step_without_template_names_strategy_step_path_and_field() -> None:
    raw = minimal()
    del raw["paths"][0]["steps"][0]["template"]
    assert errors_of(raw) == [
        "strategy demo: step sms_d1 (path main): field template: needed for a sms step"
    ]


def test_an_agent_step_without_queue_is_refused() -> None:
    raw = minimal()
    del raw["paths"][0]["steps"][1]["queue"]
    assert errors_of(raw) == [
        "strategy demo: step call_d5 (path main): field queue: needed for a call step"
    ]


def test_an_unknown_channel_is_reported_on_its_step() -> None:
    raw = minimal()
    raw["paths"][0]["steps"][0]["channel"] = "fax"
    (line,) = errors_of(raw)
    assert line.startswith("strategy demo: step sms_d1 (path main): field channel: ")
    assert "'sms'" in line


def test_a_segment_pointing_at_a_missing_path_is_refused() -> None:
    raw = minimal(segments=[{"id": "late", "path": "legal"}])
    assert errors_of(raw) == [
        "strategy demo: segment late: field path: no path 'legal' (paths: main)"
    ]


def test_a_step_needs_exactly_one_of_day_and_trigger() -> None:
    both = minimal()
    both["paths"][0]["steps"][0]["trigger"] = "promise_broken"
    neither = minimal()
    del neither["paths"][0]["steps"][0]["day"]
    expected = "strategy demo: step sms_d1 (path main): field day: give either day or trigger"
    assert errors_of(both)[0].startswith(expected)
    assert errors_of(neither)[0].startswith(expected)


def test_step_ids_are_unique_across_the_strategy() -> None:
    raw = minimal()
    raw["paths"].append(
        {
            "id": "other",
            "steps": [
                {"id": "sms_d1", "day": 2, "channel": "sms", "template": "sms_reminder_day1"}
            ],
        }
    )
    raw["segments"].append({"id": "rest", "path": "other"})
    assert errors_of(raw) == [
        "strategy demo: step sms_d1 (path other): field id: also used in path main; step ids "
        "are unique in a strategy"
    ]


def test_inverted_ranges_and_contradictory_flags_are_refused() -> None:
    raw = minimal(
        segments=[
            {
                "id": "odd",
                "when": {
                    "dpd": {"min": 60, "max": 30},
                    "flags_present": ["lost_contact"],
                    "flags_absent": ["lost_contact"],
                },
                "path": "main",
            }
        ]
    )
    assert errors_of(raw) == [
        "strategy demo: segment odd: field when.dpd: min 60 > max 30",
        "strategy demo: segment odd: field when.flags_present: lost_contact also in "
        "flags_absent: no case can match",
    ]


def test_an_unknown_condition_is_reported_on_its_segment() -> None:
    raw = minimal(segments=[{"id": "all", "when": {"bucket": ["M1"]}, "path": "main"}])
    (line,) = errors_of(raw)
    assert line.startswith("strategy demo: segment all: field when.bucket: ")


def test_a_step_time_can_be_written_unquoted() -> None:
    raw = load_text(
        "code: demo\nname: n\nsegments: [{id: all, path: main}]\npaths:\n"
        "  - id: main\n    steps:\n"
        "      - {id: robot, day: 3, channel: robot_call, template: t, at: 10:30}\n"
    )
    (step,) = parse_definition(raw).paths[0].steps
    assert step.local_time == time(10, 30)


def test_text_that_is_not_yaml_says_so() -> None:
    with pytest.raises(DefinitionError) as caught:
        load_text("code: [unclosed", source="mine.yaml")
    assert caught.value.lines[0].startswith("mine.yaml: not valid YAML or JSON")
