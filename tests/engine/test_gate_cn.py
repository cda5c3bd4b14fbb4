"""The contact gate under the China pack (cn), at the boundaries of every rule.

The scenario files (``tests/compliance/scenarios/cn-*.yaml``) tell the same stories for
compliance officers; these tests pin each boundary in code, one behaviour per test.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from autocollect.compliance.policy import load_policy
from autocollect.engine.gate import Check, Decision, Event, GateInputError, decide
from autocollect.engine.policy import Policy

SHANGHAI = ZoneInfo("Asia/Shanghai")
CN = load_policy("cn")
BORROWER_PHONE = "13800000001"
OTHER_PHONE = "13800000002"
FRIEND_PHONE = "13700000001"


def local(text: str) -> datetime:
    """A Shanghai wall-clock time as an aware UTC instant."""
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI).astimezone(UTC)


def check(
    at: str,
    channel: str = "call",
    party: str = "borrower",
    number: str = BORROWER_PHONE,
    *,
    authorised: bool = True,
) -> Check:
    return Check(local(at), channel, party, number, agent_authorised=authorised)


def call(
    at: str,
    outcome: str,
    *,
    channel: str = "call",
    party: str = "borrower",
    number: str = BORROWER_PHONE,
) -> Event:
    return Event(local(at), "contact", channel=channel, party=party, number=number, outcome=outcome)


def gate(probe: Check, events: list[Event] | None = None, policy: Policy = CN) -> Decision:
    return decide(policy, probe, events or [], timezone=SHANGHAI)


# --- the window -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("at", "allowed"),
    [
        ("2026-03-09T07:59:59", False),
        ("2026-03-09T08:00", True),
        ("2026-03-09T21:59:59", True),
        ("2026-03-09T22:00", False),
        ("2026-03-09T00:00", False),
    ],
)
def test_calls_are_allowed_only_from_0800_to_before_2200_debtor_local(
    at: str, allowed: bool
) -> None:
    assert gate(check(at)).allowed is allowed


def test_a_call_before_0800_may_happen_at_0800_the_same_day() -> None:
    decision = gate(check("2026-03-09T07:59"))
    assert decision.rules == ("cn.window",)
    assert decision.next_allowed_at == local("2026-03-09T08:00")


def test_a_call_at_2200_may_happen_at_0800_the_next_day() -> None:
    assert gate(check("2026-03-09T22:00")).next_allowed_at == local("2026-03-10T08:00")


def test_the_window_is_the_debtors_clock_not_the_machines() -> None:
    # 23:30 UTC is 07:30 the next morning in Shanghai.
    probe = Check(datetime(2026, 3, 9, 23, 30, tzinfo=UTC), "call", "borrower", BORROWER_PHONE)
    decision = gate(probe)
    assert decision.allowed is False
    assert decision.next_allowed_at == datetime(2026, 3, 10, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize("channel", ["robot_call", "sms", "email", "visit"])
def test_the_window_binds_every_channel_but_letters(channel: str) -> None:
    assert gate(check("2026-03-09T22:30", channel)).rules == ("cn.window",)


def test_a_letter_is_not_time_bound() -> None:
    assert gate(check("2026-03-09T23:30", "letter", number="上海市浦东新区世纪大道100号")).allowed


def test_agreed_hours_extend_the_window_from_when_they_are_agreed() -> None:
    agreed = Event(local("2026-03-09T09:00"), "consent_hours", start=time(22), end=time(23))
    assert gate(check("2026-03-08T22:30"), [agreed]).allowed is False
    assert gate(check("2026-03-09T22:30"), [agreed]).allowed is True
    assert gate(check("2026-03-09T23:00"), [agreed]).allowed is False


def test_agreed_hours_may_run_past_midnight() -> None:
    agreed = Event(local("2026-03-09T09:00"), "consent_hours", start=time(23), end=time(1))
    assert gate(check("2026-03-10T00:30"), [agreed]).allowed is True
    decision = gate(check("2026-03-10T01:00"), [agreed])
    assert decision.next_allowed_at == local("2026-03-10T08:00")


def test_the_latest_agreement_replaces_the_earlier_one() -> None:
    first = Event(local("2026-03-09T09:00"), "consent_hours", start=time(22), end=time(23))
    second = Event(local("2026-03-09T10:00"), "consent_hours", start=time(7), end=time(8))
    decision = gate(check("2026-03-09T22:30"), [first, second])
    assert decision.allowed is False
    assert decision.next_allowed_at == local("2026-03-10T07:00")


# --- answered calls -------------------------------------------------------------------------


def three_answered() -> list[Event]:
    return [
        call("2026-03-09T09:00", "answered"),
        call("2026-03-09T10:00", "answered", channel="robot_call"),
        call("2026-03-09T11:00", "answered", number=OTHER_PHONE),
    ]


def test_a_third_answered_call_is_allowed() -> None:
    assert gate(check("2026-03-09T10:59"), three_answered()).allowed is True


def test_a_fourth_answered_call_is_blocked_until_0800_tomorrow() -> None:
    decision = gate(check("2026-03-09T12:00"), three_answered())
    assert decision.rules == ("cn.calls.answered_daily",)
    assert decision.next_allowed_at == local("2026-03-10T08:00")


def test_robot_calls_count_toward_and_are_limited_by_the_answered_limit() -> None:
    events = [*three_answered()[:2], call("2026-03-09T11:00", "answered", channel="robot_call")]
    assert gate(check("2026-03-09T12:00", "robot_call"), events).allowed is False


def test_a_refusal_counts_as_an_answered_call() -> None:
    events = [*three_answered()[:2], call("2026-03-09T11:00", "refused")]
    assert gate(check("2026-03-09T12:00"), events).allowed is False


def test_unanswered_calls_do_not_count_as_answered() -> None:
    events = [*three_answered()[:2], call("2026-03-09T11:00", "no_answer")]
    assert gate(check("2026-03-09T12:00"), events).allowed is True


def test_answered_calls_count_per_debtor_so_the_guarantor_has_their_own_three() -> None:
    decision = gate(
        check("2026-03-09T12:00", party="guarantor", number=OTHER_PHONE), three_answered()
    )
    assert decision.allowed is True


def test_answered_calls_count_per_debtor_local_day() -> None:
    # 23:30 UTC on the 8th is 07:30 on the 9th in Shanghai: the same local day as the others.
    early = Event(
        datetime(2026, 3, 8, 23, 30, tzinfo=UTC),
        "contact",
        channel="call",
        party="borrower",
        number=BORROWER_PHONE,
        outcome="answered",
    )
    assert gate(check("2026-03-09T12:00"), [*three_answered()[:2], early]).allowed is False
    assert gate(check("2026-03-10T08:00"), three_answered()).allowed is True


def test_an_sms_is_not_limited_by_the_call_limits() -> None:
    assert gate(check("2026-03-09T12:00", "sms"), three_answered()).allowed is True


# --- unanswered attempts --------------------------------------------------------------------


def unanswered(count: int, number: str = BORROWER_PHONE) -> list[Event]:
    start = datetime.fromisoformat("2026-03-09T09:00")
    return [
        call(
            (start + timedelta(minutes=10 * i)).isoformat(),
            "no_answer",
            channel="robot_call" if i % 2 else "call",
            number=number,
        )
        for i in range(count)
    ]


def test_a_sixth_unanswered_attempt_to_a_number_is_allowed() -> None:
    assert gate(check("2026-03-09T12:00"), unanswered(5)).allowed is True


def test_a_seventh_unanswered_attempt_to_a_number_is_blocked_until_tomorrow() -> None:
    decision = gate(check("2026-03-09T12:00"), unanswered(6))
    assert decision.rules == ("cn.calls.unanswered_daily",)
    assert decision.next_allowed_at == local("2026-03-10T08:00")


def test_unanswered_attempts_count_per_number() -> None:
    assert gate(check("2026-03-09T12:00", number=OTHER_PHONE), unanswered(6)).allowed is True


def test_unanswered_attempts_count_whoever_the_number_belongs_to() -> None:
    decision = gate(check("2026-03-09T12:00", party="guarantor"), unanswered(6))
    assert decision.rules == ("cn.calls.unanswered_daily",)


# --- third parties --------------------------------------------------------------------------


def test_a_third_party_may_not_be_contacted_while_the_debtor_is_reachable() -> None:
    decision = gate(check("2026-03-09T10:00", party="third_party", number=FRIEND_PHONE))
    assert decision.rules == ("cn.third_party.unreachable_only",)
    assert decision.next_allowed_at is None


def test_a_third_party_may_be_contacted_after_the_debtor_is_found_unreachable() -> None:
    events = [Event(local("2026-03-09T09:00"), "unreachable")]
    decision = gate(check("2026-03-09T10:00", party="third_party", number=FRIEND_PHONE), events)
    assert decision.allowed is True
    assert decision.requirements == ("no_debt_disclosure", "record_call")
    assert decision.rules == ("cn.third_party.no_disclosure", "cn.recording.calls")


def test_reaching_the_borrower_again_ends_the_unreachable_finding() -> None:
    events = [
        Event(local("2026-03-09T09:00"), "unreachable"),
        call("2026-03-09T09:30", "answered", channel="sms"),
    ]
    decision = gate(check("2026-03-09T10:00", party="third_party", number=FRIEND_PHONE), events)
    assert decision.rules == ("cn.third_party.unreachable_only",)


def test_a_third_party_who_refused_is_never_contacted_again_on_any_channel() -> None:
    events = [
        Event(local("2026-03-09T09:00"), "unreachable"),
        call("2026-03-09T09:30", "refused", party="third_party", number=FRIEND_PHONE),
    ]
    for channel in ("call", "sms", "visit"):
        probe = check("2026-03-10T10:00", channel, "third_party", FRIEND_PHONE)
        decision = gate(probe, events)
        assert decision.rules == ("cn.third_party.refused",)
        assert decision.next_allowed_at is None
    other = gate(check("2026-03-10T10:00", "call", "third_party", "13700000002"), events)
    assert other.allowed is True


# --- holds, opt-out, wrong numbers, agents --------------------------------------------------


@pytest.mark.parametrize(
    "reason",
    [
        "dispute",
        "complaint",
        "emotional_distress",
        "lawyer",
        "vehicle_disposed",
        "deceased",
        "legal",
    ],
)
def test_each_hold_blocks_collection_with_its_own_rule_until_released(reason: str) -> None:
    hold = Event(local("2026-03-09T09:00"), "hold", reason=reason)
    held = gate(check("2026-03-09T10:00", "letter", number="address"), [hold])
    assert held.rules == (f"cn.hold.{reason}",)
    assert held.next_allowed_at is None
    release = Event(local("2026-03-09T11:00"), "release", reason=reason)
    assert gate(check("2026-03-09T12:00"), [hold, release]).allowed is True


def test_a_release_lifts_only_the_hold_with_its_reason() -> None:
    events = [
        Event(local("2026-03-09T09:00"), "hold", reason="dispute"),
        Event(local("2026-03-09T09:10"), "release", reason="complaint"),
    ]
    assert gate(check("2026-03-09T10:00"), events).rules == ("cn.hold.dispute",)


def test_a_block_that_does_not_end_by_itself_has_no_next_moment_even_outside_the_window() -> None:
    hold = Event(local("2026-03-09T09:00"), "hold", reason="lawyer")
    decision = gate(check("2026-03-09T23:00"), [hold])
    assert decision.rules == ("cn.window", "cn.hold.lawyer")
    assert decision.next_allowed_at is None


def test_an_opt_out_closes_only_that_channel_and_only_to_the_borrower() -> None:
    events = [Event(local("2026-03-09T09:00"), "opt_out", channel="sms")]
    assert gate(check("2026-03-09T10:00", "sms"), events).rules == ("cn.opt_out",)
    assert gate(check("2026-03-09T10:00", "call"), events).allowed is True
    assert gate(check("2026-03-09T10:00", "sms", "guarantor", OTHER_PHONE), events).allowed


def test_a_wrong_number_is_not_contacted_again() -> None:
    events = [call("2026-03-09T09:00", "wrong_number")]
    decision = gate(check("2026-03-10T10:00", "sms"), events)
    assert decision.rules == ("cn.wrong_number",)
    assert gate(check("2026-03-10T10:00", number=OTHER_PHONE), events).allowed is True


@pytest.mark.parametrize(
    ("channel", "blocked"), [("call", True), ("visit", True), ("robot_call", False), ("sms", False)]
)
def test_only_authorised_collectors_may_call_or_visit(channel: str, blocked: bool) -> None:
    decision = gate(check("2026-03-09T10:00", channel, authorised=False))
    assert decision.allowed is not blocked
    assert ("cn.agent.authorised" in decision.rules) is blocked


# --- history handling -----------------------------------------------------------------------


def test_events_after_the_check_are_ignored_and_events_at_the_check_count() -> None:
    hold_at = Event(local("2026-03-09T10:00"), "hold", reason="dispute")
    later = Event(local("2026-03-09T10:00:01"), "hold", reason="complaint")
    assert gate(check("2026-03-09T10:00"), [later, hold_at]).rules == ("cn.hold.dispute",)


def test_events_at_the_same_instant_count_in_the_order_given() -> None:
    hold = Event(local("2026-03-09T09:00"), "hold", reason="dispute")
    release = Event(local("2026-03-09T09:00"), "release", reason="dispute")
    assert gate(check("2026-03-09T10:00"), [hold, release]).allowed is True
    assert gate(check("2026-03-09T10:00"), [release, hold]).allowed is False


def test_the_order_of_the_history_does_not_matter_otherwise() -> None:
    events = unanswered(6) + three_answered()
    probe = check("2026-03-09T12:00")
    assert gate(probe, events) == gate(probe, list(reversed(events)))


def test_an_allowed_contact_lists_its_conditions_not_every_rule_that_passed() -> None:
    decision = gate(check("2026-03-09T10:00", "visit", number="上海市浦东新区世纪大道100号"))
    assert decision == Decision(
        allowed=True,
        rules=("cn.recording.visits",),
        reasons=(CN.reasons["cn.recording.visits"],),
        next_allowed_at=local("2026-03-09T10:00"),
        requirements=("record_visit",),
    )


def test_reasons_are_given_in_chinese_and_english_with_the_packs_numbers() -> None:
    (reason,) = gate(check("2026-03-09T12:00"), three_answered()).reasons
    assert "3" in reason.zh
    assert "有效通话" in reason.zh
    assert "at most 3 answered calls" in reason.en


def test_a_decision_renders_for_json_in_the_debtors_zone() -> None:
    decision = gate(check("2026-03-09T07:00"))
    assert decision.as_dict(SHANGHAI) == {
        "allowed": False,
        "rules": ["cn.window"],
        "reasons": [CN.reasons["cn.window"].as_dict()],
        "next_allowed_at": "2026-03-09T08:00:00+08:00",
        "requirements": [],
    }


def test_a_lender_context_is_applied_by_the_caller() -> None:
    lender = load_policy("example-lender").for_context(product="premium-auto")
    events = three_answered()[:2]
    assert gate(check("2026-03-09T12:00"), events).allowed is True
    assert gate(check("2026-03-09T12:00"), events, lender).rules == ("cn.calls.answered_daily",)


def test_a_hold_reason_the_pack_does_not_know_is_an_error() -> None:
    events = [Event(local("2026-03-09T09:00"), "hold", reason="bankruptcy")]
    with pytest.raises(GateInputError, match="'bankruptcy' has no hold rule in pack cn"):
        gate(check("2026-03-09T10:00"), events)


def test_a_time_without_a_zone_is_an_error() -> None:
    with pytest.raises(GateInputError, match="no time zone"):
        Check(datetime(2026, 3, 9, 10), "call", "borrower", BORROWER_PHONE)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {
                "type": "contact",
                "channel": "fax",
                "party": "borrower",
                "number": "1",
                "outcome": "answered",
            },
            "channel 'fax'",
        ),
        (
            {
                "type": "contact",
                "channel": "call",
                "party": "borrower",
                "number": "1",
                "outcome": "busy",
            },
            "outcome 'busy'",
        ),
        ({"type": "hold"}, "reason is missing"),
        ({"type": "consent_hours", "start": time(8)}, "start and end"),
        ({"type": "promise"}, "type must be one of"),
    ],
)
def test_a_malformed_event_is_rejected(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(GateInputError, match=message):
        Event(local("2026-03-09T09:00"), **kwargs)  # type: ignore[arg-type]
