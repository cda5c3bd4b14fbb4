"""Who reads and who acts on the hard-case pages (docs/hard-cases.md, "Pages"): compliance
reads any case, so it reads these pages, but it is shown no action form and its posts are
refused; the others are shown the forms of the actions they may take."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from autocollect.accounts.models import Team, User
from autocollect.accounts.roles import Role
from autocollect.cases.models import CollectionCase
from autocollect.hardcases.models import SkipTrace, TraceStatus, TraceTrigger, VehicleRiskReport
from autocollect.hardcases.services.exposure import exposure_assess
from autocollect.hardcases.services.skip_trace import skip_trace_open
from autocollect.hardcases.services.vehicle_risk import vehicle_risk_report
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def panel(user: User, case: CollectionCase) -> str:
    response = client_for(user).get(reverse("hardcases:case", args=[case.pk]))
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def compliance(db: None) -> User:
    return make_user("qa1", Role.COMPLIANCE)


@pytest.fixture
def worked(case: CollectionCase, people: dict[str, User]) -> tuple[SkipTrace, VehicleRiskReport]:
    """The case, assigned to the collector, with an open trace and an assessed vehicle report."""
    case.assigned_agent = people["collector"]
    case.save(update_fields=["assigned_agent"])
    trace = skip_trace_open(case=case, actor=people["collector"], trigger=TraceTrigger.FLAG)
    report = vehicle_risk_report(
        case=case, actor=people["collector"], kind="sold", source="借款人亲属告知"
    )
    exposure_assess(report=report, actor=people["risk"], gps_status="offline")
    return trace, report


def test_compliance_reads_the_case_panel_without_any_action_form(
    case: CollectionCase, worked: tuple[SkipTrace, VehicleRiskReport], compliance: User
) -> None:
    trace, report = worked

    shown = panel(compliance, case)

    assert f'data-trace="{trace.pk}"' in shown
    assert f'data-report="{report.pk}"' in shown
    assert reverse("hardcases:act", args=[case.pk]) not in shown
    assert "data-op=" not in shown


def test_compliance_reads_the_trace_list(
    case: CollectionCase, worked: tuple[SkipTrace, VehicleRiskReport], compliance: User
) -> None:
    trace, _ = worked
    response = client_for(compliance).get(reverse("hardcases:traces"))
    assert response.status_code == 200
    assert f'data-trace="{trace.pk}"' in response.content.decode()


def test_compliance_may_not_act(
    case: CollectionCase, worked: tuple[SkipTrace, VehicleRiskReport], compliance: User
) -> None:
    trace, _ = worked
    response = client_for(compliance).post(
        reverse("hardcases:act", args=[case.pk]),
        {"op": "trace_close", "trace": trace.pk, "note": "合规关闭"},
    )
    assert response.status_code == 403
    trace.refresh_from_db()
    assert trace.status == TraceStatus.OPEN


def test_each_actor_is_shown_the_forms_of_the_actions_they_may_take(
    case: CollectionCase,
    worked: tuple[SkipTrace, VehicleRiskReport],
    people: dict[str, User],
) -> None:
    trace, report = worked
    lead = people["lead"]
    Team.objects.create(name="一组", lead=lead).agents.add(people["collector"])

    collector = panel(people["collector"], case)
    for form in (f"trace-close-{trace.pk}", f"task-add-{trace.pk}", "vehicle-report"):
        assert f'id="{form}"' in collector
    assert f'id="assess-{report.pk}"' not in collector  # risk, team lead, legal
    assert f'id="vehicle-refer-{report.pk}"' not in collector  # team lead, legal

    risk = panel(people["risk"], case)
    assert f'id="trace-close-{trace.pk}"' in risk
    assert f'id="assess-{report.pk}"' in risk
    assert f'id="vehicle-refer-{report.pk}"' not in risk

    lead_page = panel(lead, case)
    assert f'id="assess-{report.pk}"' in lead_page
    assert f'id="vehicle-refer-{report.pk}"' in lead_page
