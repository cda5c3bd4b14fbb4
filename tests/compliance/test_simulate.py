"""The scenario console: every scenario file gets the answers it expects, and
``autocollect compliance simulate FILE [--json]`` prints them without touching the database.

These tests have no database access (no ``db`` mark): pytest-django would fail any query, so
passing them shows that simulating a scenario never touches the database.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from autocollect.compliance.scenario import ScenarioError, load_scenario, parse_scenario

HERE = Path(__file__).resolve().parent
SCENARIOS = HERE / "scenarios"
REPO_ROOT = HERE.parent.parent


@pytest.mark.parametrize("path", sorted(SCENARIOS.glob("*.yaml")), ids=lambda p: p.stem)
def test_every_scenario_gets_the_decisions_it_expects(path: Path) -> None:
    scenario = load_scenario(path)
    assert any(e is not None for e in scenario.expectations)
    for number, (decision, expected) in enumerate(
        zip(scenario.evaluate(), scenario.expectations, strict=True), start=1
    ):
        if expected is None:
            continue
        where = f"{path.name} check {number}"
        assert decision.allowed is expected.allowed, where
        if expected.rules is not None:
            assert set(decision.rules) == expected.rules, where
        if expected.check_next:
            assert decision.next_allowed_at == expected.next_allowed_at, where
        if expected.requirements is not None:
            assert set(decision.requirements) == expected.requirements, where


def simulate(*args: str) -> str:
    out = StringIO()
    call_command("compliance", "simulate", *args, stdout=out)
    return out.getvalue()


def test_simulate_json_prints_one_decision_per_check_in_the_debtors_zone() -> None:
    report = json.loads(simulate(str(SCENARIOS / "cn-window.yaml"), "--json"))
    decisions = report["decisions"]
    assert len(decisions) == 8
    assert decisions[0] == {
        "allowed": False,
        "rules": ["cn.window"],
        "reasons": [
            {
                "zh": "催收联络时间为债务人当地时间 08:00–22:00（债务人另行同意的时段除外）",
                "en": "collection contact only 08:00-22:00 in the debtor's local time, unless "
                "the debtor agreed to other hours",
            }
        ],
        "next_allowed_at": "2026-03-09T08:00:00+08:00",
        "requirements": [],
    }
    assert decisions[1]["allowed"] is True
    assert decisions[1]["requirements"] == ["record_call"]


def test_simulate_reports_a_block_without_end_as_null() -> None:
    decisions = json.loads(simulate(str(SCENARIOS / "cn-holds.yaml"), "--json"))["decisions"]
    assert decisions[1]["next_allowed_at"] is None
    assert decisions[1]["rules"] == ["cn.hold.dispute"]


def test_simulate_without_json_prints_a_readable_report() -> None:
    text = simulate(str(SCENARIOS / "cn-answered-calls.yaml"))
    assert text.startswith("7 check(s), policy cn, time zone Asia/Shanghai")
    assert "2. BLOCKED  call to borrower 13800000001 at 2026-03-09T11:00:00+08:00" in text
    assert "next allowed at: 2026-03-10T08:00:00+08:00" in text
    assert "[cn.calls.answered_daily] 每日与同一债务人的有效通话" in text


def test_simulate_reads_json_scenarios(tmp_path: Path) -> None:
    scenario = {
        "policy": "us-reg-f",
        "timezone": "America/New_York",
        "events": [
            {
                "at": "2026-03-05T10:00",
                "type": "contact",
                "channel": "call",
                "party": "borrower",
                "number": "+12125550101",
                "outcome": "answered",
            }
        ],
        "checks": [
            {"at": "2026-03-06T10:00", "channel": "call", "party": "borrower", "number": "x"}
        ],
    }
    path = tmp_path / "talk.json"
    path.write_text(json.dumps(scenario), encoding="utf-8")
    (decision,) = json.loads(simulate(str(path), "--json"))["decisions"]
    assert decision["rules"] == ["us.calls.after_conversation"]
    assert decision["next_allowed_at"] == "2026-03-12T08:00:00-04:00"


def test_the_autocollect_command_runs_simulate_and_exits_0() -> None:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"}
    script = "from autocollect.cli import main; main()"
    done = subprocess.run(
        [sys.executable, "-c", script, "compliance", "simulate", "--json", "x.yaml"],
        cwd=SCENARIOS / "..",
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 2
    assert "x.yaml: cannot read the scenario" in done.stderr
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            script,
            "compliance",
            "simulate",
            "--json",
            "scenarios/cn-window.yaml",
        ],
        cwd=SCENARIOS / "..",
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert len(json.loads(done.stdout)["decisions"]) == 8


# --- errors name the event or check and the field ---------------------------------------------


def scenario_error(raw: dict[str, Any]) -> str:
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(raw, source="s.yaml")
    return caught.value.message


def base(**changes: Any) -> dict[str, Any]:
    raw: dict[str, Any] = {
        "policy": "cn",
        "timezone": "Asia/Shanghai",
        "events": [{"at": "2026-03-09T09:00", "type": "unreachable"}],
        "checks": [
            {"at": "2026-03-09T10:00", "channel": "call", "party": "borrower", "number": "1"}
        ],
    }
    raw.update(changes)
    return raw


def test_a_bad_event_field_names_the_event_and_the_field() -> None:
    events = [
        {"at": "2026-03-09T09:00", "type": "unreachable"},
        {
            "at": "2026-03-09T09:10",
            "type": "contact",
            "channel": "call",
            "party": "borrower",
            "number": "1",
            "outcome": "busy",
        },
    ]
    message = scenario_error(base(events=events))
    assert message.startswith("s.yaml: event 2: field outcome: Input should be 'answered'")


def test_an_unknown_event_type_names_the_event() -> None:
    message = scenario_error(base(events=[{"at": "2026-03-09T09:00", "type": "promise"}]))
    assert message.startswith("s.yaml: event 1: field (entry): Input tag 'promise'")


def test_a_hold_reason_the_pack_does_not_know_names_the_event() -> None:
    events = [{"at": "2026-03-09T09:00", "type": "hold", "reason": "bankruptcy"}]
    message = scenario_error(base(events=events))
    assert message.startswith(
        "s.yaml: event 1: field reason: 'bankruptcy' is not a hold of pack cn"
    )


def test_an_unquoted_consent_time_names_the_event_and_field() -> None:
    events = [{"at": "2026-03-09T09:00", "type": "consent_hours", "from": 1260, "to": "23:00"}]
    message = scenario_error(base(events=events))
    assert message.startswith("s.yaml: event 1: field from: Value error, write a time as a quoted")


def test_a_bad_check_field_names_the_check_and_the_field() -> None:
    checks = [{"at": "2026-03-09T10:00", "channel": "fax", "party": "borrower", "number": "1"}]
    message = scenario_error(base(checks=checks))
    assert message.startswith("s.yaml: check 1: field channel: Input should be 'call'")


def test_a_time_that_is_not_iso_names_the_check() -> None:
    checks = [{"at": "tomorrow", "channel": "call", "party": "borrower", "number": "1"}]
    message = scenario_error(base(checks=checks))
    assert (
        message
        == "s.yaml: check 1: field at: 'tomorrow' is not an ISO-8601 time (2026-03-02T08:00)"
    )


def test_a_local_time_the_clocks_skip_is_rejected() -> None:
    checks = [{"at": "2026-03-08T02:30", "channel": "call", "party": "borrower", "number": "1"}]
    message = scenario_error(base(timezone="America/New_York", policy="us-reg-f", checks=checks))
    assert message.startswith("s.yaml: check 1: field at: 2026-03-08T02:30:00 does not exist in")


def test_an_unknown_time_zone_or_pack_is_reported() -> None:
    assert "field timezone: 'Asia/Atlantis'" in scenario_error(base(timezone="Asia/Atlantis"))
    assert "field policy:" in scenario_error(base(policy="nowhere"))


def test_a_scenario_without_checks_is_rejected() -> None:
    message = scenario_error(base(checks=[]))
    assert message.startswith("s.yaml: top level: field checks: List should have at least 1 item")


def test_an_invalid_scenario_file_exits_2_with_the_error(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("policy: cn\ntimezone: Asia/Shanghai\nchecks: [{at: x}]\n", encoding="utf-8")
    with pytest.raises(
        CommandError, match=r"broken\.yaml: check 1: field channel: Field required"
    ) as caught:
        simulate(str(path), "--json")
    assert caught.value.returncode == 2
