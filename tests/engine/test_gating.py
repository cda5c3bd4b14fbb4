"""The batch gate gives the single gate's answer, check by check.

A Hypothesis property over random histories (both packs and the example lender pack, Chinese
and US zones, days around the DST changes, ties, holds and releases, opt-outs, agreed hours),
plus every scenario file under ``tests/compliance/scenarios/`` run through the frame, and the
column contracts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from unittest.mock import patch
from zoneinfo import ZoneInfo

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter

from autocollect.compliance.policy import load_policy
from autocollect.compliance.scenario import load_scenario
from autocollect.engine import gating
from autocollect.engine.frames import CHECKS, DECISIONS, EVENTS, FrameContractError
from autocollect.engine.gate import Check, Decision, Event, decide
from autocollect.engine.gating import gate_frame
from autocollect.engine.policy import (
    CHANNELS,
    OUTCOMES,
    PARTIES,
    ContactWindowRule,
    Policy,
    Rule,
)

SCENARIOS = Path(__file__).resolve().parents[1] / "compliance" / "scenarios"
NUMBERS = ("13800000001", "13800000002", "13800000003")


def mixed_policy() -> Policy:
    """The China pack with Regulation F's kinds added, other numbers and channel sets that
    differ between rules, and agreed hours ignored: code paths the real packs do not take."""
    cn = load_policy("cn")
    extra = [
        {"id": "mixed.period", "kind": "calls_in_period", "max": 2, "days": 3},
        {"id": "mixed.wait", "kind": "wait_after_conversation", "days": 2},
        {"id": "mixed.once", "kind": "third_party_once", "max": 2},
    ]
    channels = {"mixed.period": ["call"], "mixed.wait": ["robot_call", "call"]}
    rules = [
        rule.model_copy(update={"consent_extends": False})
        if isinstance(rule, ContactWindowRule)
        else rule
        for rule in cn.rules
    ]
    for spec in extra:
        if spec["id"] in channels:
            spec |= {"channels": channels[spec["id"]], "parties": ["borrower", "third_party"]}
        spec |= {"reason": {"zh": "测试", "en": "test"}, "source": "test"}
        rules.append(TypeAdapter(Rule).validate_python(spec))
    return Policy(name="mixed", title="mixed", jurisdiction="XX", files=(), rules=tuple(rules))


POLICIES: dict[str, Policy] = {
    "cn": load_policy("cn"),
    "us-reg-f": load_policy("us-reg-f"),
    "example-lender/premium-shenzhen": load_policy("example-lender").for_context(
        product="premium-auto", region="440300"
    ),
    "mixed": mixed_policy(),
}
# Zones and days that exercise the rules: China (no DST), the US changes (8 March and
# 1 November 2026), a summer day, and Havana, whose clocks change at midnight.
ZONE_DAYS: list[tuple[str, date]] = [
    ("Asia/Shanghai", date(2026, 3, 9)),
    ("America/New_York", date(2026, 3, 8)),
    ("America/New_York", date(2026, 11, 1)),
    ("America/Los_Angeles", date(2026, 3, 8)),
    ("America/Los_Angeles", date(2026, 11, 2)),
    ("America/Los_Angeles", date(2026, 7, 1)),
    ("America/Havana", date(2026, 3, 8)),
]


def checks_frame(rows: Sequence[tuple[int, int, str, Check]]) -> pl.DataFrame:
    """(case_id, check_id, timezone, check) rows as a ``CHECKS`` frame."""
    return pl.DataFrame(
        [
            {
                "case_id": case_id,
                "check_id": check_id,
                "at": check.at,
                "timezone": zone,
                "channel": check.channel,
                "party": check.party,
                "number": check.number,
                "agent_authorised": check.agent_authorised,
            }
            for case_id, check_id, zone, check in rows
        ],
        schema=dict(CHECKS),
    )


def events_frame(histories: Mapping[int, Sequence[Event]]) -> pl.DataFrame:
    return pl.DataFrame(
        [
            {
                "case_id": case_id,
                "at": event.at,
                "type": event.type,
                "channel": event.channel,
                "party": event.party,
                "number": event.number,
                "outcome": event.outcome,
                "reason": event.reason,
                "start": event.start,
                "end": event.end,
            }
            for case_id, events in histories.items()
            for event in events
        ],
        schema=dict(EVENTS),
    )


def assert_same(decision: Decision, row: dict[str, Any], context: str) -> None:
    assert row["allowed"] == decision.allowed, context
    assert set(row["rules"]) == set(decision.rules), context
    assert row["next_allowed_at"] == decision.next_allowed_at, context
    assert set(row["requirements"]) == set(decision.requirements), context


# --- random histories -----------------------------------------------------------------------


@st.composite
def moments(draw: st.DrawFn, zone: ZoneInfo, day: date, span_days: int) -> datetime:
    """A UTC instant on a local day near ``day`` (most often that day), on a coarse grid of
    window edges and DST hours (so that ties and boundaries happen) or anywhere in the day."""
    offset_days = draw(st.sampled_from([0, 0, 0, 1, *range(-span_days, 1)]))
    if draw(st.booleans()):
        minutes = [0, 60, 90, 150, 420, 479, 480, 540, 720, 1259, 1260, 1319, 1320, 1380]
        seconds = draw(st.sampled_from(minutes)) * 60
    else:
        seconds = draw(st.integers(0, 86_399))
    naive = datetime.combine(day + timedelta(days=offset_days), time()) + timedelta(seconds=seconds)
    return naive.replace(tzinfo=zone, fold=draw(st.integers(0, 1))).astimezone(UTC)


@st.composite
def histories(draw: st.DrawFn, policy: Policy, zone: ZoneInfo, day: date) -> list[Event]:
    """A case's history: mostly calls, in the manner of one debtor (who answers, or not)."""
    span = draw(st.integers(0, 9))
    when = moments(zone, day, span)
    outcomes = draw(
        st.sampled_from(
            [
                ["no_answer"] * 4 + list(OUTCOMES),
                ["answered"] * 4 + list(OUTCOMES),
                ["no_answer"],
                ["answered", "refused"],
            ]
        )
    )
    numbers = NUMBERS[: draw(st.integers(1, len(NUMBERS)))]
    holds = sorted(policy.holds)
    events: list[Event] = []
    for _ in range(draw(st.integers(0, 40))):
        kind = draw(
            st.sampled_from(
                ["contact"] * 24 + ["hold", "release", "opt_out", "consent_hours", "unreachable"]
            )
        )
        at = draw(when)
        if kind == "contact":
            events.append(
                Event(
                    at=at,
                    type="contact",
                    channel=draw(st.sampled_from(["call", "robot_call", "call", "sms", "visit"])),
                    party=draw(
                        st.sampled_from(["borrower", "borrower", "guarantor", "third_party"])
                    ),
                    number=draw(st.sampled_from(numbers)),
                    outcome=draw(st.sampled_from(outcomes)),
                )
            )
        elif kind in ("hold", "release"):
            events.append(Event(at=at, type=kind, reason=draw(st.sampled_from(holds))))
        elif kind == "opt_out":
            events.append(Event(at=at, type="opt_out", channel=draw(st.sampled_from(CHANNELS))))
        elif kind == "consent_hours":
            start = time(draw(st.integers(0, 23)), draw(st.sampled_from([0, 30])))
            end = time(draw(st.integers(0, 23)), draw(st.sampled_from([0, 30])))
            events.append(Event(at=at, type="consent_hours", start=start, end=end))
        else:
            events.append(Event(at=at, type="unreachable"))
    return events


@st.composite
def portfolios(draw: st.DrawFn) -> tuple[Policy, list[tuple[int, int, str, Check]], dict]:
    policy = POLICIES[draw(st.sampled_from(sorted(POLICIES)))]
    cases: dict[int, list[Event]] = {}
    rows: list[tuple[int, int, str, Check]] = []
    for case_id in range(1, draw(st.integers(1, 4)) + 1):
        zone_name, day = draw(st.sampled_from(ZONE_DAYS))
        zone = ZoneInfo(zone_name)
        cases[case_id] = draw(histories(policy, zone, day))
        for _ in range(draw(st.integers(1, 6))):
            if draw(st.integers(0, 9)) == 0:
                # Now and then the debtor is elsewhere: a case with checks in two zones.
                zone_name, day = draw(st.sampled_from(ZONE_DAYS))
                zone = ZoneInfo(zone_name)
            check = Check(
                at=draw(moments(zone, day, 1)),
                channel=draw(st.sampled_from([*CHANNELS, "call", "robot_call"])),
                party=draw(st.sampled_from([*PARTIES, "borrower"])),
                number=draw(st.sampled_from(NUMBERS)),
                agent_authorised=draw(st.sampled_from([True, True, True, False])),
            )
            rows.append((case_id, len(rows) + 1, zone_name, check))
    return policy, rows, cases


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(portfolios())
def test_batch_gate_matches_the_single_gate_on_random_histories(
    portfolio: tuple[Policy, list[tuple[int, int, str, Check]], dict[int, list[Event]]],
) -> None:
    policy, rows, cases = portfolio
    out = gate_frame(policy, checks_frame(rows), events_frame(cases))
    assert out.get_column("check_id").to_list() == [check_id for _c, check_id, _z, _k in rows]
    for (case_id, check_id, zone, check), row in zip(rows, out.iter_rows(named=True), strict=True):
        decision = decide(policy, check, cases[case_id], timezone=ZoneInfo(zone))
        assert_same(decision, row, f"check {check_id} ({policy.name}, {zone})")


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(portfolios(), st.sampled_from([1, 7, 10**12]))
def test_batch_gate_matches_when_the_sort_key_is_short(
    portfolio: tuple[Policy, list[tuple[int, int, str, Check]], dict[int, list[Event]]],
    spread: int,
) -> None:
    """A 40-bit key (instead of 62) forces the paths real portfolios take rarely: cases by
    rank (sparse ids), events older than the key can tell apart, checks decided in slices."""
    policy, rows, cases = portfolio
    rows = [(case_id * spread, n, zone, check) for case_id, n, zone, check in rows]
    cases = {case_id * spread: events for case_id, events in cases.items()}
    with patch.object(gating, "_KEY_BITS", 40):
        out = gate_frame(policy, checks_frame(rows), events_frame(cases))
    for (case_id, check_id, zone, check), row in zip(rows, out.iter_rows(named=True), strict=True):
        decision = decide(policy, check, cases[case_id], timezone=ZoneInfo(zone))
        assert_same(decision, row, f"check {check_id} ({policy.name}, {zone}, spread {spread})")


# --- the curated scenarios ------------------------------------------------------------------


@pytest.mark.parametrize("path", sorted(SCENARIOS.glob("*.yaml")), ids=lambda p: p.stem)
def test_batch_gate_matches_every_scenario(path: Path) -> None:
    scenario = load_scenario(path)
    rows = [(7, number, scenario.timezone.key, c) for number, c in enumerate(scenario.checks)]
    out = gate_frame(scenario.policy, checks_frame(rows), events_frame({7: scenario.events}))
    for decision, row in zip(scenario.evaluate(), out.iter_rows(named=True), strict=True):
        assert_same(decision, row, f"{path.name} check {row['check_id'] + 1}")


def test_batch_gate_keeps_the_order_of_checks_across_time_zones() -> None:
    policy = POLICIES["us-reg-f"]
    at = datetime(2026, 7, 1, 14, 0, tzinfo=UTC)  # 22:00 Shanghai, 10:00 New York, 07:00 LA
    rows = [
        (1, 30, "America/New_York", Check(at, "call", "borrower", NUMBERS[0])),
        (2, 10, "Asia/Shanghai", Check(at, "call", "borrower", NUMBERS[0])),
        (3, 20, "America/Los_Angeles", Check(at, "call", "borrower", NUMBERS[0])),
    ]
    out = gate_frame(policy, checks_frame(rows), events_frame({}))
    assert out.get_column("check_id").to_list() == [30, 10, 20]
    assert out.get_column("allowed").to_list() == [True, False, False]
    assert out.schema == pl.Schema(DECISIONS)


def test_events_of_other_cases_and_after_the_check_do_not_count() -> None:
    policy = POLICIES["cn"]
    zone = ZoneInfo("Asia/Shanghai")
    at = datetime(2026, 3, 9, 12, 0, tzinfo=zone).astimezone(UTC)
    hold = Event(at=at - timedelta(hours=1), type="hold", reason="dispute")
    later = Event(at=at + timedelta(seconds=1), type="hold", reason="complaint")
    rows = [(1, 1, zone.key, Check(at, "call", "borrower", NUMBERS[0]))]
    out = gate_frame(policy, checks_frame(rows), events_frame({1: [later], 2: [hold]}))
    assert out.get_column("allowed").to_list() == [True]


def test_a_frame_without_a_contract_column_is_rejected_by_name() -> None:
    checks = checks_frame([]).drop("agent_authorised")
    with pytest.raises(FrameContractError, match="checks: missing column\\(s\\) agent_authorised"):
        gate_frame(POLICIES["cn"], checks, events_frame({}))


def test_an_unknown_hold_reason_is_rejected_with_its_row() -> None:
    zone = ZoneInfo("Asia/Shanghai")
    at = datetime(2026, 3, 9, 12, 0, tzinfo=UTC)
    rows = [(1, 1, zone.key, Check(at, "call", "borrower", NUMBERS[0]))]
    events = events_frame({1: [Event(at=at, type="hold", reason="dispute")]}).with_columns(
        reason=pl.lit("bankruptcy")
    )
    with pytest.raises(FrameContractError, match=r"hold rules of pack cn.*bankruptcy"):
        gate_frame(POLICIES["cn"], checks_frame(rows), events)


def test_an_unknown_time_zone_is_rejected() -> None:
    at = datetime(2026, 3, 9, 12, 0, tzinfo=UTC)
    rows = [(1, 1, "Mars/Olympus", Check(at, "call", "borrower", NUMBERS[0]))]
    with pytest.raises(FrameContractError, match="Mars/Olympus"):
        gate_frame(POLICIES["cn"], checks_frame(rows), events_frame({}))


def test_batch_gate_handles_sparse_case_ids() -> None:
    # Ids far apart (a lender's own case numbers, say) must not size any per-case table.
    policy = POLICIES["cn"]
    at = datetime(2026, 7, 1, 3, 0, tzinfo=UTC)  # 11:00 in Shanghai
    rows = [
        (1, 0, "Asia/Shanghai", Check(at, "call", "borrower", NUMBERS[0])),
        (10**15, 1, "Asia/Shanghai", Check(at, "sms", "borrower", NUMBERS[1])),
    ]
    out = gate_frame(policy, checks_frame(rows), events_frame({}))
    for (_, _, zone, check), row in zip(rows, out.iter_rows(named=True), strict=True):
        assert_same(decide(policy, check, [], timezone=ZoneInfo(zone)), row, "sparse ids")
    assert out.get_column("allowed").to_list() == [True, True]
