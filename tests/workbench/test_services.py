"""Logging an outcome, the emergency (agitated) flow, alerts, pauses and reassignment."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from autocollect.audit.models import AuditEvent
from autocollect.cases.models import (
    Alert,
    AlertKind,
    CaseFlag,
    CaseOutcome,
    FlagKind,
    FollowUp,
    Interaction,
    OutcomeCode,
    Promise,
)
from autocollect.compliance.models import ContactDecision, ContactHold, HoldReason
from autocollect.compliance.services import contact_check
from autocollect.strategy.models import PlannedAction
from autocollect.workbench.services import (
    ContactBlockedError,
    NotesRejectedError,
    OutcomeError,
    alert_resolve,
    case_reassign,
    outcome_log,
    pause_release,
)
from tests.workbench.conftest import World, make_case, make_planned, shanghai

pytestmark = pytest.mark.django_db


def log(world: World, **overrides: Any) -> Any:
    arguments: dict[str, Any] = {
        "case": world.case,
        "agent": world.collector,
        "contact": world.mobile,
        "channel": "call",
        "outcome": "answered",
        "code": OutcomeCode.CALLBACK,
        "right_party": True,
        "at": world.morning,
    }
    arguments.update(overrides)
    return outcome_log(**arguments)


def actions() -> list[str]:
    return list(AuditEvent.objects.order_by("id").values_list("action", flat=True))


def test_a_promise_is_logged_with_the_interaction_outcome_and_next_follow_up(world: World) -> None:
    due = world.morning.date() + timedelta(days=3)
    follow = world.morning.date() + timedelta(days=4)

    logged = log(
        world,
        code=OutcomeCode.PROMISE_TO_PAY,
        promise_amount_fen=150_000,
        promise_due_on=due,
        next_follow_up_on=follow,
        notes="借款人同意周五前还款",
    )

    interaction = Interaction.objects.get()
    assert (interaction.party, interaction.outcome, interaction.agent) == (
        "borrower",
        "answered",
        world.collector,
    )
    assert interaction.notes == "借款人同意周五前还款"
    promise = Promise.objects.get()
    assert (promise.amount_fen, promise.due_on, promise.status) == (150_000, due, "pending")
    assert promise.promised_on == world.morning.date()
    assert promise.created_by == "zhang"
    outcome = CaseOutcome.objects.get()
    assert (outcome.code, outcome.right_party, outcome.promise) == ("promise_to_pay", True, promise)
    assert logged.follow_up is not None
    assert FollowUp.objects.get(done_at__isnull=True).due_on == follow
    assert ContactDecision.objects.get().allowed
    assert {"contact.record", "promise.create", "case.outcome", "follow_up.create"} <= set(
        actions()
    )


def test_the_next_outcome_does_the_open_follow_up(world: World) -> None:
    first = world.morning.date() + timedelta(days=1)
    log(world, next_follow_up_on=first)
    log(world, outcome="no_answer", right_party=False, code=OutcomeCode.NOT_REACHED)

    assert FollowUp.objects.count() == 1
    assert FollowUp.objects.get().done_at is not None


def test_flags_are_set_on_the_case_once(world: World) -> None:
    log(world, flags=[FlagKind.HARDSHIP_CLAIMED, FlagKind.VEHICLE_RISK])
    log(world, flags=[FlagKind.VEHICLE_RISK], code=OutcomeCode.HARDSHIP)

    kinds = sorted(CaseFlag.objects.filter(case=world.case).values_list("kind", flat=True))
    assert kinds == ["hardship_claimed", "vehicle_risk"]
    assert actions().count("case.flag_set") == 2


def test_an_agitated_borrower_pauses_all_contact_at_once_and_alerts_the_team_lead(
    world: World,
) -> None:
    logged = log(world, flags=[FlagKind.AGITATED], notes="借款人情绪激动，挂断电话")

    hold = ContactHold.objects.get(case=world.case, released_at__isnull=True)
    assert hold.reason == HoldReason.EMOTIONAL_DISTRESS
    assert logged.hold == hold
    alert = Alert.objects.get()
    assert (alert.kind, alert.case, alert.raised_by) == (
        AlertKind.AGITATED,
        world.case,
        world.collector,
    )
    assert alert.acknowledged_at is None
    later = timezone.now() + timedelta(minutes=1)
    decision = contact_check(
        case=world.case,
        channel="call",
        party="borrower",
        number=world.mobile.value,
        requested_by="zhang",
        at=later,
        agent=world.collector,
        record=False,
    )
    assert not decision.allowed
    assert "cn.hold.emotional_distress" in decision.rules
    with pytest.raises(ContactBlockedError, match=r"cn\.hold\.emotional_distress"):
        log(world, at=later)
    assert {"hold.place", "alert.raise", "case.flag_set"} <= set(actions())


def test_a_contact_the_gate_blocks_is_refused_and_nothing_is_logged(world: World) -> None:
    late = shanghai(world.morning, 22, 30)

    with pytest.raises(ContactBlockedError, match=r"cn\.window"):
        log(
            world,
            at=late,
            code=OutcomeCode.PROMISE_TO_PAY,
            promise_amount_fen=100_000,
            promise_due_on=late.date() + timedelta(days=2),
        )

    assert not Interaction.objects.exists()
    assert not Promise.objects.exists()
    assert not CaseOutcome.objects.exists()
    # The gate's refusal itself is kept.
    decision = ContactDecision.objects.get()
    assert not decision.allowed
    assert "cn.window" in decision.rules


def test_notes_with_prohibited_wording_are_refused_with_the_phrases_located(world: World) -> None:
    notes = "已告知借款人：再不还钱就让你坐牢"

    with pytest.raises(NotesRejectedError) as refused:
        log(world, notes=notes)

    findings = refused.value.findings
    assert [f.text for f in findings] == ["坐牢"]
    assert notes[findings[0].start : findings[0].end] == "坐牢"
    assert not Interaction.objects.exists()
    assert not ContactDecision.objects.exists()


def test_english_notes_are_checked_too(world: World) -> None:
    with pytest.raises(NotesRejectedError) as refused:
        log(world, notes="Told him the police will arrest you tomorrow")
    assert refused.value.findings


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        (
            {"code": OutcomeCode.PROMISE_TO_PAY, "right_party": False, "outcome": "no_answer"},
            "code",
        ),
        ({"code": OutcomeCode.PROMISE_TO_PAY}, "promise_amount"),
        ({"promise_amount_fen": 1000, "promise_due_on": None}, "code"),
        ({"right_party": True, "outcome": "no_answer"}, "right_party"),
        ({"flags": ["broken_promise"]}, "flags"),
        ({"channel": "visit"}, "channel"),
    ],
)
def test_inconsistent_input_is_refused_naming_the_field(
    world: World, overrides: dict[str, Any], field: str
) -> None:
    with pytest.raises(OutcomeError) as refused:
        log(world, **overrides)
    assert refused.value.field == field
    assert not Interaction.objects.exists()


def test_a_promise_more_than_thirty_days_out_is_refused(world: World) -> None:
    with pytest.raises(OutcomeError) as refused:
        log(
            world,
            code=OutcomeCode.PROMISE_TO_PAY,
            promise_amount_fen=100_000,
            promise_due_on=world.morning.date() + timedelta(days=31),
        )
    assert refused.value.field == "promise_due_on"


def test_a_third_party_cannot_make_the_promise(world: World) -> None:
    with pytest.raises(OutcomeError) as refused:
        log(world, contact=world.emergency, right_party=True)
    assert refused.value.field == "right_party"


def test_a_user_who_does_not_work_cases_cannot_log(world: World) -> None:
    from tests.factories import make_user

    risk = make_user("risk1", "risk")
    with pytest.raises(PermissionDenied):
        log(world, agent=risk)


def test_a_dispute_alerts_the_lead_who_may_approve_a_pause(world: World) -> None:
    log(world, flags=[FlagKind.DISPUTE], code=OutcomeCode.DISPUTE, notes="借款人对罚息有异议")
    alert = Alert.objects.get(kind=AlertKind.DISPUTE)
    assert not ContactHold.objects.exists()

    alert_resolve(alert=alert, actor=world.lead, note="核实罚息期间暂停", pause=True)

    alert.refresh_from_db()
    assert alert.acknowledged_by == world.lead
    hold = ContactHold.objects.get()
    assert (hold.reason, hold.placed_by) == (HoldReason.DISPUTE, "lead")
    assert "alert.resolve" in actions()


def test_a_collector_cannot_resolve_alerts(world: World) -> None:
    log(world, flags=[FlagKind.AGITATED])
    with pytest.raises(PermissionDenied):
        alert_resolve(alert=Alert.objects.get(), actor=world.collector, note="ok")


def test_the_lead_releases_a_pause_with_a_reason(world: World) -> None:
    log(world, flags=[FlagKind.AGITATED])
    hold = ContactHold.objects.get()

    pause_release(hold=hold, actor=world.lead, note="已回访，借款人情绪平稳")

    hold.refresh_from_db()
    assert hold.released_at is not None
    assert hold.released_by == "lead"
    with pytest.raises(PermissionDenied):
        pause_release(hold=hold, actor=world.collector, note="x")


def test_a_team_lead_reassigns_a_case_and_its_work_moves_with_it(world: World) -> None:
    log(world, next_follow_up_on=world.morning.date() + timedelta(days=1))
    planned = make_planned(world.case, world.collector)

    case_reassign(case=world.case, agent=world.colleague, actor=world.lead, reason="休假")

    world.case.refresh_from_db()
    assert world.case.assigned_agent == world.colleague
    assert FollowUp.objects.get(done_at__isnull=True).agent == world.colleague
    assert PlannedAction.objects.get(pk=planned.pk).agent == world.colleague
    event = AuditEvent.objects.filter(action="case.reassign").get()
    assert event.before == {"agent": "zhang"}
    assert event.after == {"agent": "wang", "follow_ups": 1, "planned": 1}
    assert event.reason == "休假"


def test_a_collector_cannot_reassign_a_case(world: World) -> None:
    with pytest.raises(PermissionDenied):
        case_reassign(case=world.case, agent=world.colleague, actor=world.collector)
    world.case.refresh_from_db()
    assert world.case.assigned_agent == world.collector
    assert not AuditEvent.objects.filter(action="case.reassign").exists()


def test_a_lead_cannot_give_a_case_to_an_agent_of_another_team(world: World) -> None:
    with pytest.raises(PermissionDenied):
        case_reassign(case=world.case, agent=world.outsider, actor=world.lead)


def test_a_lead_cannot_reassign_a_case_outside_their_teams(world: World) -> None:
    foreign = make_case(world.outsider)
    with pytest.raises(PermissionDenied):
        case_reassign(case=foreign, agent=world.colleague, actor=world.lead)
