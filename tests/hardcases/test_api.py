"""GET /api/hardcases/cases/{case_id}: the active skip trace with its tasks (contacts masked),
the vehicle risk reports and the last exposure assessment, in fen and yuan."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from autocollect.accounts.roles import Role
from autocollect.hardcases.models import ExposureAssessment, SkipTask
from autocollect.hardcases.services.exposure import exposure_assess
from autocollect.hardcases.services.skip_tasks import FoundContact, skip_task_record
from autocollect.hardcases.services.skip_trace import skip_trace_close, skip_trace_open
from autocollect.hardcases.services.vehicle_risk import vehicle_risk_report
from autocollect.portfolio.models import ContactOwner
from tests.accounts.conftest import World
from tests.api_support import api_document_dir, api_world, bearer, get_json, session  # noqa: F401 (fixtures)
from tests.factories import make_contact

pytestmark = pytest.mark.django_db


EMERGENCY = "+8613712345678"
FOUND = "+8613911112222"


def url(case_id: int) -> str:
    return f"/api/hardcases/cases/{case_id}"


def test_the_active_trace_shows_its_tasks_with_contacts_masked(world: World) -> None:
    collector = world.users[Role.COLLECTOR]
    borrower = world.own_case.loan.borrower
    make_contact(
        borrower,
        value=EMERGENCY,
        owner=ContactOwner.EMERGENCY,
        owner_name="李娜",
        relationship="配偶",
    )
    trace = skip_trace_open(case=world.own_case, actor=collector, trigger="flag", note="")
    emergency = SkipTask.objects.get(trace=trace, kind="emergency_contact")
    skip_task_record(
        task=emergency,
        actor=collector,
        outcome="found",
        found=FoundContact(kind="mobile", value=FOUND),
    )

    body = get_json(session(collector), url(world.own_case.pk))
    assert body["case_id"] == world.own_case.pk
    assert body["contract_no"] == world.own_case.loan.contract_no
    assert body["skip_trace"]["id"] == trace.pk
    assert body["skip_trace"]["status"] == "found"
    assert body["skip_trace"]["trigger"] == "flag"
    tasks = {t["kind"]: t for t in body["skip_trace"]["tasks"]}
    assert set(tasks) == {"recheck_numbers", "emergency_contact", "employer", "public_sources"}
    assert tasks["recheck_numbers"]["outcome"] == "pending"
    assert tasks["emergency_contact"]["outcome"] == "found"
    assert tasks["emergency_contact"]["outcome_by"] == "collector_a"
    assert tasks["emergency_contact"]["contact"] == {
        "kind": "mobile",
        "owner": "emergency",
        "value_masked": "137****5678",
    }
    assert tasks["emergency_contact"]["found_contact"]["value_masked"] == "139****2222"
    text = str(body)
    for number in (EMERGENCY, FOUND, EMERGENCY[3:], FOUND[3:]):
        assert number not in text
    assert body["vehicle_risk_reports"] == []
    assert body["last_exposure_assessment"] is None


def test_a_closed_trace_is_not_the_active_one(world: World) -> None:
    collector = world.users[Role.COLLECTOR]
    trace = skip_trace_open(case=world.own_case, actor=collector, trigger="flag")
    skip_trace_close(trace=trace, actor=collector, note="借款人回电", reached=True)
    assert get_json(session(collector), url(world.own_case.pk))["skip_trace"] is None


def test_vehicle_risk_reports_carry_their_last_assessment_in_fen_and_yuan(world: World) -> None:
    collector, risk = world.users[Role.COLLECTOR], world.users[Role.RISK]
    report = vehicle_risk_report(
        case=world.own_case,
        actor=collector,
        kind="sold",
        source="GPS轨迹异常，经核实车辆已转卖",
        third_party_name="王五",
    )
    today = timezone.localdate()
    exposure_assess(report=report, actor=risk, gps_status="online", as_of=today - timedelta(days=1))
    latest = exposure_assess(
        report=report, actor=risk, gps_status="removed", as_of=today, extra_costs_fen=300_050
    )

    body = get_json(session(collector), url(world.own_case.pk))
    assert body["skip_trace"] is None
    [shown] = body["vehicle_risk_reports"]
    assert shown["id"] == report.pk
    assert shown["kind"] == "sold"
    assert shown["third_party_name"] == "王五"
    assert shown["hold_active"] is True
    assert shown["referral_id"] is None
    assert shown["vehicle"]["plate"] == world.own_case.loan.vehicle.plate
    assessment = shown["last_assessment"]
    assert assessment["gps_status"] == "removed"
    assert assessment["as_of"] == today.isoformat()
    for field in ("outstanding", "costs", "vehicle_value", "exposure"):
        fen = getattr(latest, f"{field}_fen")
        assert assessment[f"{field}_fen"] == fen
        assert assessment[f"{field}_yuan"] == str(Decimal(fen).scaleb(-2))  # negative when covered
    assert assessment["costs_fen"] == 300_050
    assert assessment["exposure_fen"] == (
        latest.outstanding_fen + latest.costs_fen - latest.vehicle_value_fen
    )
    assert body["last_exposure_assessment"] == assessment
    assert ExposureAssessment.objects.count() == 2


def test_who_reads_a_case_and_404_for_a_case_they_may_not_see(world: World) -> None:
    own = url(world.own_case.pk)
    for role in (Role.COLLECTOR, Role.TEAM_LEAD, Role.RISK, Role.COMPLIANCE, Role.ADMIN):
        assert session(world.users[role]).get(own).status_code == 200, role
    collector = session(world.users[Role.COLLECTOR])
    hidden = collector.get(url(world.other_case.pk))
    missing = collector.get(url(world.other_case.pk + 1000))
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json() == {"detail": f"案件 {world.other_case.pk} 不存在"}
    assert missing.json() == {"detail": f"案件 {world.other_case.pk + 1000} 不存在"}
    # Legal sees only referred cases.
    assert session(world.users[Role.LEGAL]).get(own).status_code == 404
    assert session(world.users[Role.LEGAL]).get(url(world.referred_case.pk)).status_code == 200


def test_a_token_reads_and_nobody_signed_in_gets_401(world: World) -> None:
    own = url(world.own_case.pk)
    response = Client().get(own, headers=bearer(world.users[Role.COLLECTOR]))
    assert response.status_code == 200
    assert response.json()["case_id"] == world.own_case.pk
    assert Client().get(own).status_code == 401
