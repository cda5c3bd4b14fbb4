"""Vehicle risk: the report stops all collection contact at once (shown through the real
outbox send path), the exposure assessment, and the referral against borrower and third party."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from autocollect.accounts.models import User
from autocollect.audit.models import AuditEvent
from autocollect.audit.services import audit_verify
from autocollect.cases.models import CaseFlag, CollectionCase, Interaction
from autocollect.channels.models import MessageTemplate, OutboxStatus, TemplateStatus
from autocollect.channels.outbox import outbox_dispatch
from autocollect.channels.selectors import case_message_variables
from autocollect.channels.services import outbox_enqueue, template_load_defaults
from autocollect.compliance.models import ContactDecision, ContactHold
from autocollect.core.clock import SimulatedClock, simulated_time
from autocollect.core.errors import ApplicationError
from autocollect.hardcases.models import VehicleRiskReport
from autocollect.hardcases.services.exposure import exposure_assess
from autocollect.hardcases.services.vehicle_risk import vehicle_risk_refer, vehicle_risk_report
from autocollect.legal.models import DefendantKind, LegalCost, LegalReferral
from autocollect.legal.selectors import loan_balance_fen
from autocollect.legal.services.costs import cost_record
from tests.hardcases.helpers import worked_by
from tests.legal.helpers import make_case

pytestmark = pytest.mark.django_db
BEIJING = ZoneInfo("Asia/Shanghai")
ADDRESS = "广东省深圳市南山区科技园路1号 518057"


def beijing(day: date, hour: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=BEIJING).astimezone(UTC)


@pytest.fixture
def clock(settings: Any) -> Iterator[SimulatedClock]:
    autocollect = dict(settings.AUTOCOLLECT)
    channels = dict(autocollect.get("CHANNELS") or {})
    channels["OUTBOX"] = {**(channels.get("OUTBOX") or {}), "GATE_AT_SEND": True}
    autocollect["CHANNELS"] = channels
    settings.AUTOCOLLECT = autocollect
    with simulated_time(SimulatedClock(beijing(timezone.localdate(), 9))) as controlled:
        yield controlled


def report(case: CollectionCase, actor: User, **kwargs: Any) -> VehicleRiskReport:
    fields = {"kind": "sold", "source": "GPS轨迹异常，经核实车辆已转卖", "third_party_name": "李四"}
    return vehicle_risk_report(case=case, actor=actor, **{**fields, **kwargs})


def test_a_letter_queued_before_the_report_is_refused_at_send_time(
    clock: SimulatedClock, case: CollectionCase, people: dict[str, User]
) -> None:
    """ "Sending a letter while a vehicle-disposed hold is active" is refused by the outbox's
    gate: the message is blocked for good, nothing reaches the letter channel, and the
    refusal is recorded as a gate decision."""
    template_load_defaults(actor="tests")
    letter = MessageTemplate.objects.get(
        code="formal_letter_day15", language="zh-hans", status=TemplateStatus.ACTIVE
    )
    with transaction.atomic():
        message = outbox_enqueue(
            case=case,
            channel="letter",
            to=ADDRESS,
            template=letter,
            variables=case_message_variables(case, language="zh-hans", channel="letter"),
            idempotency_key="letter-vehicle",
        )
    clock.set(beijing(timezone.localdate(), 9) + timedelta(minutes=30))
    report(case, people["collector"])
    clock.set(beijing(timezone.localdate(), 10))

    outcome = outbox_dispatch(message.pk)

    message.refresh_from_db()
    assert outcome.status == OutboxStatus.BLOCKED
    assert message.status == OutboxStatus.BLOCKED
    assert "cn.hold.vehicle_disposed" in message.last_error
    assert not message.artifact
    assert not Interaction.objects.filter(case=case).exists()
    decision = ContactDecision.objects.get(requested_by="outbox:letter-vehicle")
    assert not decision.allowed
    assert "cn.hold.vehicle_disposed" in decision.rules


def test_the_report_places_the_hold_and_the_flag_in_one_transaction(
    case: CollectionCase, people: dict[str, User]
) -> None:
    filed = report(case, people["collector"])
    hold = ContactHold.objects.get(case=case, released_at__isnull=True)
    assert hold.reason == "vehicle_disposed"
    assert filed.hold_id == hold.pk
    assert CaseFlag.objects.filter(case=case, kind="vehicle_risk").exists()
    assert AuditEvent.objects.filter(action="hold.place").count() == 1
    assert AuditEvent.objects.filter(action="vehicle_risk.report").count() == 1
    # A second report (now pledged as well) reuses the active hold.
    second = report(case, people["collector"], kind="pledged", third_party_name="某典当行")
    assert second.hold_id == hold.pk
    assert ContactHold.objects.filter(case=case).count() == 1


def test_a_failed_report_leaves_no_hold(people: dict[str, User]) -> None:
    no_car = worked_by(
        make_case(first_due_on=timezone.localdate() - timedelta(days=75), with_vehicle=False),
        people,
    )
    with pytest.raises(ApplicationError):
        report(no_car, people["collector"])
    assert not ContactHold.objects.filter(case=no_car).exists()
    assert not VehicleRiskReport.objects.exists()


def test_exposure_is_balance_plus_costs_minus_the_depreciated_value(
    people: dict[str, User],
) -> None:
    today = timezone.localdate()
    case = worked_by(
        make_case(first_due_on=today - timedelta(days=75), brand="宝马", price_fen=30_000_000),
        people,
    )
    filed = report(case, people["collector"])
    assessment = exposure_assess(
        report=filed,
        actor=people["risk"],
        gps_status="removed",
        mileage_km=5_000,
        extra_costs_fen=800_000,
        as_of=today,
    )

    balance = loan_balance_fen(case.loan, as_of=today)
    assert assessment.outstanding_fen == balance
    assert assessment.costs_fen == 800_000
    assert assessment.brand_class == "premium"
    # Disbursed a month before the first due date: about 3½ months old.
    assert assessment.age_months in (3, 4)
    assert assessment.retention_bp < 10_000
    assert assessment.vehicle_value_fen < 30_000_000
    assert assessment.exposure_fen == balance + 800_000 - assessment.vehicle_value_fen
    assert assessment.mortgage_status == "registered"
    assert assessment.gps_status == "removed"
    event = AuditEvent.objects.get(action="vehicle_risk.assess")
    assert event.after is not None
    assert event.after["exposure_fen"] == assessment.exposure_fen


def test_referral_goes_against_borrower_and_third_party_with_the_assessed_amounts(
    case: CollectionCase, people: dict[str, User]
) -> None:
    filed = report(case, people["collector"])
    with pytest.raises(ApplicationError, match="风险敞口评估"):
        vehicle_risk_refer(report=filed, actor=people["lead"])
    assessment = exposure_assess(report=filed, actor=people["lead"], gps_status="offline")

    referral = vehicle_risk_refer(report=filed, actor=people["lead"])

    assert referral.reason == "vehicle_disposed"
    assert referral.vehicle_value_fen == assessment.vehicle_value_fen
    assert referral.exposure_fen == assessment.exposure_fen
    parties = sorted(referral.defendants.values_list("kind", "name", "basis"))
    assert parties == [
        (DefendantKind.BORROWER, "张伟", "借款合同违约"),
        (DefendantKind.THIRD_PARTY, "李四", "擅自受让已抵押车辆"),
    ]
    # Both holds stand: the vehicle one and the legal one.
    reasons = set(
        ContactHold.objects.filter(case=case, released_at__isnull=True).values_list(
            "reason", flat=True
        )
    )
    assert reasons == {"vehicle_disposed", "legal"}
    with pytest.raises(ApplicationError):
        vehicle_risk_refer(report=filed, actor=people["lead"])
    assert LegalReferral.objects.count() == 1
    # Legal costs recorded later are part of the next assessment.
    cost_record(
        referral=referral, actor=people["legal"], kind="vehicle_recovery", amount_fen=120_000,
        incurred_on=timezone.localdate(),
    )  # fmt: skip
    again = exposure_assess(report=filed, actor=people["legal"], gps_status="offline")
    assert again.costs_fen == 120_000 == sum(LegalCost.objects.values_list("amount_fen", flat=True))
    assert audit_verify().ok


def test_who_may_report_and_assess(case: CollectionCase, people: dict[str, User]) -> None:
    filed = report(case, people["risk"])
    with pytest.raises(PermissionDenied):
        exposure_assess(report=filed, actor=people["collector"], gps_status="online")
    with pytest.raises(ApplicationError):
        exposure_assess(report=filed, actor=people["risk"], gps_status="lost")
