"""The contact gate against the database: history, holds, opt-outs, flags, agents, records."""

from __future__ import annotations

import json
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml

from autocollect.accounts.models import User
from autocollect.audit.models import AuditEvent
from autocollect.cases.models import CaseFlag, CollectionCase, FlagKind, Interaction
from autocollect.compliance.models import ContactConsent, ContactDecision
from autocollect.compliance.scenario import load_scenario
from autocollect.compliance.services import (
    GateError,
    contact_check,
    contact_record,
    hold_place,
    hold_release,
)
from autocollect.core.crypto import contact_index
from autocollect.core.errors import ApplicationError
from autocollect.portfolio.models import ContactPoint, Loan
from tests.factories import make_borrower, make_contact, make_loan

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
MOBILE = "+8613812345678"
SCENARIOS = Path(__file__).resolve().parent / "scenarios"


def local(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=SHANGHAI)


def _case(loan: Loan | None = None) -> CollectionCase:
    loan = loan or make_loan()
    return CollectionCase.objects.create(
        loan=loan, opened_on=local(1, 9).date(), opened_dpd=4, opened_bucket="M1"
    )


def _collector(*, authorised: bool = True) -> User:
    return User.objects.create_user(
        f"collector{User.objects.count()}",
        password="x",
        collection_certified=authorised,
        collection_authorised=authorised,
    )


def test_a_fourth_answered_call_in_a_day_is_blocked_until_tomorrow_morning() -> None:
    case = _case()
    agent = _collector()
    for hour in (9, 10, 11):
        contact_record(
            case=case, channel="call", party="borrower", number=MOBILE, outcome="answered",
            at=local(2, hour), actor="zhang", agent=agent,
        )  # fmt: skip
    decision = contact_check(
        case=case,
        channel="robot_call",
        party="borrower",
        number=MOBILE,
        at=local(2, 15),
        requested_by="robot",
    )
    assert not decision.allowed
    assert "cn.calls.answered_daily" in decision.rules
    assert decision.next_allowed_at == local(3, 8)
    assert ContactDecision.objects.filter(case=case).count() == 4
    last = ContactDecision.objects.filter(case=case).latest("id")
    assert (last.allowed, last.rules, last.requested_by) == (False, list(decision.rules), "robot")


def test_a_check_the_gate_cannot_judge_is_a_gate_error_and_records_nothing() -> None:
    case = _case()
    with pytest.raises(GateError, match="check: channel must be one of") as caught:
        contact_check(
            case=case, channel="fax", party="borrower", number=MOBILE, at=local(2, 10),
            requested_by="zhang",
        )  # fmt: skip
    assert isinstance(caught.value, ApplicationError)
    assert not ContactDecision.objects.filter(case=case).exists()


def test_a_blocked_contact_cannot_be_recorded() -> None:
    case = _case()
    with pytest.raises(ApplicationError, match=r"cn\.window"):
        contact_record(
            case=case, channel="call", party="borrower", number=MOBILE, outcome="answered",
            at=local(2, 22, 30), actor="zhang", agent=_collector(),
        )  # fmt: skip
    assert not Interaction.objects.exists()
    blocked = ContactDecision.objects.get()
    assert not blocked.allowed
    assert blocked.next_allowed_at == local(3, 8)


def test_history_counts_across_the_borrowers_cases() -> None:
    borrower = make_borrower()
    first = _case(make_loan(borrower=borrower))
    second = _case(make_loan(borrower=borrower))
    agent = _collector()
    for hour in (9, 10, 11):
        contact_record(
            case=first, channel="call", party="borrower", number=MOBILE, outcome="answered",
            at=local(2, hour), actor="zhang", agent=agent,
        )  # fmt: skip
    decision = contact_check(
        case=second,
        channel="call",
        party="borrower",
        number=MOBILE,
        at=local(2, 14),
        agent=agent,
        requested_by="li",
    )
    assert not decision.allowed
    assert "cn.calls.answered_daily" in decision.rules


def test_vehicle_disposed_hold_stops_every_channel_until_released() -> None:
    case = _case()
    hold = hold_place(
        case=case, reason="vehicle_disposed", actor="lead.wang", note="抵押车已被出售"
    )
    now = hold.placed_at + timedelta(hours=1)
    for channel in ("call", "robot_call", "sms", "email", "letter", "visit"):
        decision = contact_check(
            case=case, channel=channel, party="borrower", number=MOBILE, at=now,
            agent=_collector(), requested_by="x", record=False,
        )  # fmt: skip
        assert not decision.allowed, channel
        assert "cn.hold.vehicle_disposed" in decision.rules
        assert decision.next_allowed_at is None
    with pytest.raises(ApplicationError, match="解除暂停需要填写原因"):
        hold_release(hold=hold, actor="legal.chen", note=" ")
    hold_release(hold=hold, actor="legal.chen", note="法院判决后恢复")
    assert hold.released_at is not None
    later = hold.released_at + timedelta(minutes=1)  # any hour: letters are not time-bound
    assert contact_check(
        case=case,
        channel="letter",
        party="borrower",
        number="广东省深圳市南山区",
        at=later,
        requested_by="x",
        record=False,
    ).allowed
    actions = list(AuditEvent.objects.order_by("id").values_list("action", flat=True))
    assert actions == ["hold.place", "hold.release"]


def test_human_channels_need_an_authorised_collector_machines_do_not() -> None:
    case = _case()
    at = local(2, 10)
    unauthorised = contact_check(
        case=case, channel="call", party="borrower", number=MOBILE, at=at,
        agent=_collector(authorised=False), requested_by="x",
    )  # fmt: skip
    assert not unauthorised.allowed
    assert "cn.agent.authorised" in unauthorised.rules
    assert contact_check(
        case=case,
        channel="call",
        party="borrower",
        number=MOBILE,
        at=at,
        agent=_collector(),
        requested_by="x",
    ).allowed
    assert contact_check(
        case=case, channel="robot_call", party="borrower", number=MOBILE, at=at, requested_by="x"
    ).allowed
    nobody = contact_check(
        case=case, channel="visit", party="borrower", number="地址", at=at, requested_by="x"
    )
    assert "cn.agent.authorised" in nobody.rules


def test_opt_out_on_a_contact_point_closes_that_channel() -> None:
    case = _case()
    make_contact(case.loan.borrower, value=MOBILE, opted_out_channels=["sms"])
    at = local(2, 10)
    sms = contact_check(
        case=case, channel="sms", party="borrower", number=MOBILE, at=at, requested_by="x"
    )
    assert not sms.allowed
    assert "cn.opt_out" in sms.rules
    assert contact_check(
        case=case, channel="robot_call", party="borrower", number=MOBILE, at=at, requested_by="x"
    ).allowed
    stored = ContactPoint.objects.get(value_index=contact_index(MOBILE))
    assert stored.opted_out_channels == ["sms"]


def test_third_party_only_after_the_borrower_is_marked_unreachable() -> None:
    case = _case()
    sister = "+8613900001111"
    before = contact_check(
        case=case,
        channel="call",
        party="third_party",
        number=sister,
        at=local(2, 10),
        agent=_collector(),
        requested_by="x",
    )
    assert not before.allowed
    assert "cn.third_party.unreachable_only" in before.rules
    CaseFlag.objects.create(
        case=case, kind=FlagKind.LOST_CONTACT, set_at=local(2, 11), set_by="zhang"
    )
    after = contact_check(
        case=case,
        channel="call",
        party="third_party",
        number=sister,
        at=local(2, 12),
        agent=_collector(),
        requested_by="x",
    )
    assert after.allowed
    assert "no_debt_disclosure" in after.requirements


def test_consented_hours_open_the_evening() -> None:
    case = _case()
    ContactConsent.objects.create(
        borrower=case.loan.borrower,
        start=time(21, 0),
        end=time(23, 0),
        recorded_at=local(1, 9),
        recorded_by="zhang",
    )
    assert contact_check(
        case=case,
        channel="robot_call",
        party="borrower",
        number=MOBILE,
        at=local(2, 22, 30),
        requested_by="x",
    ).allowed
    assert not contact_check(
        case=case,
        channel="robot_call",
        party="borrower",
        number=MOBILE,
        at=local(2, 23, 30),
        requested_by="x",
    ).allowed


def test_us_pack_applies_when_configured(settings) -> None:
    settings.AUTOCOLLECT = {**settings.AUTOCOLLECT, "CONTACT_POLICY": "us-reg-f"}
    loan = make_loan(timezone="America/New_York")
    case = _case(loan)
    ny = ZoneInfo("America/New_York")
    decision = contact_check(
        case=case, channel="robot_call", party="borrower", number="+12125550100",
        at=datetime(2026, 3, 2, 21, 30, tzinfo=ny), requested_by="x",
    )  # fmt: skip
    assert not decision.allowed
    assert "us.window" in decision.rules
    assert decision.next_allowed_at == datetime(2026, 3, 3, 8, 0, tzinfo=ny)
    assert ContactDecision.objects.get().policy.startswith("us-reg-f")


# API ----------------------------------------------------------------------------------------


def test_check_endpoint_answers_like_the_simulator(client) -> None:
    path = sorted(SCENARIOS.glob("*.yaml"))[0]
    body = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert (
        client.post("/api/compliance/check", body, content_type="application/json").status_code
        == 401
    )
    client.force_login(_collector())
    response = client.post("/api/compliance/check", body, content_type="application/json")
    assert response.status_code == 200
    expected = json.loads(json.dumps(load_scenario(path).report()))
    assert response.json() == expected
    broken = client.post(
        "/api/compliance/check",
        {**body, "checks": [{"channel": "call"}]},
        content_type="application/json",
    )
    assert broken.status_code == 422
    assert "check 1: field at" in broken.json()["detail"]


def test_case_check_endpoint_records_the_decision(client) -> None:
    case = _case()
    agent = _collector()
    CollectionCase.objects.filter(pk=case.pk).update(assigned_agent=agent)  # their own case
    client.force_login(agent)
    at = datetime(2026, 3, 2, 14, 30, tzinfo=UTC)  # 22:30 in Shanghai
    response = client.post(
        f"/api/compliance/cases/{case.pk}/check",
        {"channel": "call", "party": "borrower", "number": MOBILE, "at": at.isoformat()},
        content_type="application/json",
    )
    assert response.status_code == 200
    payload = response.json()
    assert payload["allowed"] is False
    assert payload["rules"] == ["cn.window"]
    assert payload["next_allowed_at"] == "2026-03-03T08:00:00+08:00"
    record = ContactDecision.objects.get()
    assert (record.requested_by, record.allowed) == (agent.username, False)
    missing = client.post(
        "/api/compliance/cases/999999/check",
        {"channel": "call", "party": "borrower", "number": MOBILE},
        content_type="application/json",
    )
    assert missing.status_code == 404


def test_machine_sends_count_as_contacts_in_the_gate() -> None:
    case = _case()
    for hour in (9, 10, 11):
        Interaction.objects.create(
            case=case, at=local(2, hour), channel="robot_call", party="borrower", number=MOBILE,
            outcome="sent",
        )  # fmt: skip
    Interaction.objects.create(
        case=case, at=local(2, 12), channel="sms", party="borrower", number=MOBILE, outcome="failed"
    )
    decision = contact_check(
        case=case, channel="call", party="borrower", number=MOBILE, at=local(2, 14),
        agent=_collector(), requested_by="x",
    )  # fmt: skip
    assert not decision.allowed
    assert "cn.calls.answered_daily" in decision.rules
