"""The contact gate under Regulation F (us-reg-f), at the boundaries of every rule, in US
zones across their daylight-saving changes (the local-time arithmetic itself:
``test_contact_time.py``).

New York changes on 8 March 2026 (02:00 EST → 03:00 EDT) and 1 November 2026 (02:00 EDT →
01:00 EST); Los Angeles on the same dates at its own 02:00.
"""

from __future__ import annotations

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest

from autocollect.compliance.policy import load_policy
from autocollect.engine.gate import Check, Decision, Event, decide

NEW_YORK = ZoneInfo("America/New_York")
LOS_ANGELES = ZoneInfo("America/Los_Angeles")
US = load_policy("us-reg-f")
PHONE = "+12125550101"
OTHER_PHONE = "+12125550102"


def local(text: str, zone: ZoneInfo = NEW_YORK) -> datetime:
    """A wall-clock time (first occurrence if repeated) as an aware UTC instant."""
    return datetime.fromisoformat(text).replace(tzinfo=zone).astimezone(UTC)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def check(
    at: datetime, channel: str = "call", party: str = "borrower", number: str = PHONE
) -> Check:
    return Check(at, channel, party, number)


def call(
    at: datetime, outcome: str = "no_answer", *, channel: str = "call", party: str = "borrower"
) -> Event:
    return Event(at, "contact", channel=channel, party=party, number=PHONE, outcome=outcome)


def gate(probe: Check, events: list[Event] | None = None, zone: ZoneInfo = NEW_YORK) -> Decision:
    return decide(US, probe, events or [], timezone=zone)


# --- the window -----------------------------------------------------------------------------


@pytest.mark.parametrize("zone", [NEW_YORK, LOS_ANGELES], ids=lambda z: z.key)
@pytest.mark.parametrize(
    ("wall", "allowed"),
    [("07:59:59", False), ("08:00", True), ("20:59:59", True), ("21:00", False)],
)
def test_calls_are_allowed_from_0800_to_before_2100_at_the_consumers_location(
    zone: ZoneInfo, wall: str, allowed: bool
) -> None:
    probe = check(local(f"2026-06-15T{wall}", zone))
    assert gate(probe, zone=zone).allowed is allowed


def test_the_morning_after_the_spring_change_opens_at_0800_daylight_time() -> None:
    decision = gate(check(local("2026-03-07T21:00")))
    assert decision.rules == ("us.window",)
    assert decision.next_allowed_at == utc("2026-03-08T12:00")  # 08:00 EDT


def test_the_morning_after_the_autumn_change_opens_at_0800_standard_time() -> None:
    decision = gate(check(local("2026-10-31T21:00")))
    assert decision.next_allowed_at == utc("2026-11-01T13:00")  # 08:00 EST


def test_the_window_on_the_spring_change_day_follows_the_wall_clock() -> None:
    # 11:59 UTC is 07:59 EDT on 8 March (it would be 06:59 in standard time).
    assert gate(check(utc("2026-03-08T11:59"))).allowed is False
    assert gate(check(utc("2026-03-08T12:00"))).allowed is True
    assert gate(check(utc("2026-03-09T00:59"))).allowed is True  # 20:59 EDT
    assert gate(check(utc("2026-03-09T01:00"))).allowed is False  # 21:00 EDT


def test_the_window_on_the_autumn_change_day_follows_the_wall_clock() -> None:
    assert gate(check(utc("2026-11-01T12:59"))).allowed is False  # 07:59 EST
    assert gate(check(utc("2026-11-01T13:00"))).allowed is True  # 08:00 EST


def test_in_the_repeated_hour_the_next_opening_is_that_mornings_0800() -> None:
    second_one_thirty = utc("2026-11-01T06:30")  # 01:30 EST, after 01:30 EDT
    assert gate(check(second_one_thirty)).next_allowed_at == utc("2026-11-01T13:00")


def test_emails_and_texts_carry_the_opt_out_notice() -> None:
    for channel in ("sms", "email"):
        decision = gate(check(local("2026-06-15T10:00"), channel))
        assert decision.allowed is True
        assert decision.requirements == ("opt_out_notice",)
        assert decision.rules == ("us.opt_out_notice",)


def test_agreed_hours_extend_the_window() -> None:
    agreed = Event(local("2026-06-15T09:00"), "consent_hours", start=time(21), end=time(22))
    assert gate(check(local("2026-06-15T21:30")), [agreed]).allowed is True
    assert gate(check(local("2026-06-15T22:00")), [agreed]).allowed is False


# --- seven calls in seven days --------------------------------------------------------------


def seven_calls() -> list[Event]:
    """Seven calls to the borrower from 2 to 7 March (two on the 2nd), robot calls included."""
    days = ["2026-03-02T10:00", "2026-03-02T11:00", "2026-03-03T10:00", "2026-03-04T10:00"]
    days += ["2026-03-05T10:00", "2026-03-06T10:00", "2026-03-07T10:00"]
    outcomes = ["no_answer", "no_answer", "wrong_number", "no_answer", "no_answer"]
    outcomes += ["no_answer", "no_answer"]
    return [
        Event(
            local(at),
            "contact",
            channel="robot_call" if i % 3 == 1 else "call",
            party="borrower",
            # The wrong number is another number (it closes that one, not this).
            number=OTHER_PHONE if outcome == "wrong_number" else PHONE,
            outcome=outcome,
        )
        for i, (at, outcome) in enumerate(zip(days, outcomes, strict=True))
    ]


def test_a_seventh_call_in_seven_days_is_allowed() -> None:
    assert gate(check(local("2026-03-07T09:59")), seven_calls()).allowed is True


def test_an_eighth_call_in_seven_days_is_blocked() -> None:
    decision = gate(check(local("2026-03-07T12:00")), seven_calls())
    assert decision.rules == ("us.calls.seven_in_seven",)


def test_the_seven_day_window_slides_to_the_day_the_oldest_call_leaves_it() -> None:
    # The oldest of the last seven calls is on 2 March: from 9 March it is out of the window.
    decision = gate(check(local("2026-03-08T12:00")), seven_calls())
    assert decision.allowed is False
    assert decision.next_allowed_at == local("2026-03-09T08:00")
    assert gate(check(local("2026-03-09T08:00")), seven_calls()).allowed is True


def test_the_window_slides_from_the_seventh_most_recent_call() -> None:
    # An eighth call on the 7th: the seventh most recent is now the second one on 2 March.
    events = [*seven_calls(), call(local("2026-03-07T10:30"))]
    decision = gate(check(local("2026-03-07T12:00")), events)
    assert decision.next_allowed_at == local("2026-03-09T08:00")
    events = [*seven_calls()[2:], call(local("2026-03-07T10:30")), call(local("2026-03-07T10:40"))]
    # Now the seventh most recent is on 3 March: allowed again from 10 March.
    assert gate(check(local("2026-03-07T12:00")), events).next_allowed_at == local(
        "2026-03-10T08:00"
    )


def test_seven_in_seven_counts_per_person() -> None:
    probe = check(local("2026-03-07T12:00"), party="guarantor", number="+12125550199")
    assert gate(probe, seven_calls()).allowed is True


def test_texts_do_not_count_as_calls() -> None:
    events = [*seven_calls()[:6], call(local("2026-03-07T10:00"), channel="sms")]
    assert gate(check(local("2026-03-07T12:00")), events).allowed is True


# --- a week after a conversation ------------------------------------------------------------


def test_no_call_for_seven_days_from_the_day_of_a_conversation() -> None:
    talk = [call(local("2026-03-05T10:00", LOS_ANGELES), "answered")]
    for day in range(5, 12):
        probe = check(local(f"2026-03-{day:02d}T12:00", LOS_ANGELES))
        decision = gate(probe, talk, LOS_ANGELES)
        assert decision.rules == ("us.calls.after_conversation",), day
        assert decision.next_allowed_at == local("2026-03-12T08:00", LOS_ANGELES)
    assert gate(check(local("2026-03-12T08:00", LOS_ANGELES)), talk, LOS_ANGELES).allowed


def test_the_day_of_a_conversation_is_the_consumers_local_day() -> None:
    # 07:30 UTC on 6 March is 23:30 on the 5th in Los Angeles.
    talk = [call(utc("2026-03-06T07:30"), "answered")]
    probe = check(local("2026-03-11T12:00", LOS_ANGELES))
    assert gate(probe, talk, LOS_ANGELES).next_allowed_at == local("2026-03-12T08:00", LOS_ANGELES)


def test_a_refusal_is_a_conversation_and_an_unanswered_call_is_not() -> None:
    refused = [call(local("2026-03-05T10:00"), "refused")]
    missed = [call(local("2026-03-05T10:00"), "no_answer")]
    assert gate(check(local("2026-03-06T12:00")), refused).allowed is False
    assert gate(check(local("2026-03-06T12:00")), missed).allowed is True


def test_a_week_after_a_robot_conversation_robot_calls_wait_too() -> None:
    talk = [call(local("2026-03-05T10:00"), "answered", channel="robot_call")]
    decision = gate(check(local("2026-03-06T12:00"), "robot_call"), talk)
    assert decision.rules == ("us.calls.after_conversation",)


# --- third parties, opt-out, holds ----------------------------------------------------------


def test_a_third_party_is_contacted_for_location_once() -> None:
    friend = "+12125550301"
    missed = Event(local("2026-03-09T10:00"), "contact", "call", "third_party", friend, "no_answer")
    talked = Event(local("2026-03-09T11:00"), "contact", "call", "third_party", friend, "answered")
    first = gate(check(local("2026-03-09T10:30"), party="third_party", number=friend), [missed])
    assert first.allowed is True
    assert first.requirements == ("no_debt_disclosure",)
    second = gate(check(local("2026-03-10T10:00"), "email", "third_party", friend), [talked])
    assert second.rules == ("us.third_party.once",)
    assert second.next_allowed_at is None


def test_an_opt_out_closes_that_medium() -> None:
    events = [Event(local("2026-03-09T09:00"), "opt_out", channel="email")]
    assert gate(check(local("2026-03-09T10:00"), "email", number="a@b.example"), events).rules == (
        "us.opt_out",
    )
    assert gate(check(local("2026-03-09T10:00"), "sms"), events).allowed is True


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
def test_each_hold_blocks_with_its_own_rule_until_released(reason: str) -> None:
    hold = Event(local("2026-03-09T09:00"), "hold", reason=reason)
    release = Event(local("2026-03-10T09:00"), "release", reason=reason)
    assert gate(check(local("2026-03-09T10:00")), [hold]).rules == (f"us.hold.{reason}",)
    assert gate(check(local("2026-03-10T10:00")), [hold, release]).allowed is True
