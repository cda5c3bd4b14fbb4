"""The legal and hard-cases pages: who sees them, and that their forms reach the services."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from autocollect.accounts.models import User
from autocollect.cases.models import CollectionCase
from autocollect.compliance.models import ContactHold
from autocollect.hardcases.models import ExposureAssessment, SkipTrace, VehicleRiskReport
from autocollect.legal.models import LegalReferral, Stage
from autocollect.legal.services.litigation import litigation_file
from autocollect.legal.services.mediation import (
    jc_accept,
    jc_apply,
    jc_rule,
    mediation_session_record,
    mediation_start,
)
from autocollect.legal.services.referrals import referral_create

pytestmark = pytest.mark.django_db


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def assign(case: CollectionCase, user: User) -> None:
    case.assigned_agent = user
    case.save(update_fields=["assigned_agent"])


def test_legal_sees_referred_cases_and_moves_a_stage_from_the_page(
    case: CollectionCase, people: dict[str, User]
) -> None:
    referral = referral_create(case=case, actor=people["lead"], reason="refused_to_pay")
    legal = client_for(people["legal"])

    listing = legal.get(reverse("legal:list"))
    assert listing.status_code == 200
    assert case.loan.contract_no in listing.content.decode()

    page = legal.get(reverse("legal:detail", args=[referral.pk]))
    assert page.status_code == 200
    assert 'data-op="mediation_start"' in page.content.decode()

    legal.post(
        reverse("legal:act", args=[referral.pk]), {"op": "mediation_start", "mediator": "王调解员"}
    )
    referral.refresh_from_db()
    assert referral.stage == Stage.MEDIATION

    # A forbidden move through the page is refused with a message, nothing changes.
    response = legal.post(
        reverse("legal:act", args=[referral.pk]),
        {"op": "enforcement_apply", "applied_on": "2026-03-01"},
        follow=True,
    )
    assert "不允许的阶段变更" in response.content.decode()
    referral.refresh_from_db()
    assert referral.stage == Stage.MEDIATION


def test_a_collector_cannot_open_legal_pages_nor_refer(
    case: CollectionCase, people: dict[str, User]
) -> None:
    collector = client_for(people["collector"])
    assign(case, people["collector"])
    assert collector.get(reverse("legal:list")).status_code == 403
    assert (
        collector.post(reverse("legal:refer", args=[case.pk]), {"reason": "other"}).status_code
        == 403
    )
    assert not LegalReferral.objects.exists()


def test_legal_does_not_see_a_case_that_was_not_referred(
    case: CollectionCase, people: dict[str, User]
) -> None:
    legal = client_for(people["legal"])
    assert legal.get(reverse("hardcases:case", args=[case.pk])).status_code == 404


def test_a_collector_reports_a_sold_car_and_contact_stops(
    case: CollectionCase, people: dict[str, User]
) -> None:
    assign(case, people["collector"])
    collector = client_for(people["collector"])
    page = collector.get(reverse("hardcases:case", args=[case.pk]))
    assert page.status_code == 200

    response = collector.post(
        reverse("hardcases:act", args=[case.pk]),
        {
            "op": "vehicle_report",
            "kind": "sold",
            "source": "借款人亲属告知",
            "third_party_name": "李四",
        },
        follow=True,
    )
    assert "所有催收联系已立即暂停" in response.content.decode()
    assert VehicleRiskReport.objects.filter(case=case).count() == 1
    assert ContactHold.objects.get(case=case).reason == "vehicle_disposed"

    # Assessing is for risk, team leads and legal: refused for the collector.
    report = VehicleRiskReport.objects.get(case=case)
    collector.post(
        reverse("hardcases:act", args=[case.pk]),
        {"op": "assess", "report": report.pk, "gps_status": "offline"},
    )
    assert not ExposureAssessment.objects.exists()
    risk = client_for(people["risk"])
    risk.post(
        reverse("hardcases:act", args=[case.pk]),
        {"op": "assess", "report": report.pk, "gps_status": "offline", "mileage_km": "30000"},
    )
    assert ExposureAssessment.objects.get().mileage_km == 30_000


def test_skip_trace_from_the_page(case: CollectionCase, people: dict[str, User]) -> None:
    assign(case, people["collector"])
    collector = client_for(people["collector"])
    collector.post(
        reverse("hardcases:act", args=[case.pk]), {"op": "trace_open", "note": "多日未接"}
    )
    trace = SkipTrace.objects.get(case=case)
    task = trace.tasks.get(kind="public_sources")
    collector.post(
        reverse("hardcases:act", args=[case.pk]),
        {
            "op": "task_record",
            "task": task.pk,
            "outcome": "found",
            "contact_kind": "mobile",
            "contact_value": "+8613600136000",
        },
    )
    trace.refresh_from_db()
    assert trace.status == "found"
    page = collector.get(reverse("hardcases:case", args=[case.pk])).content.decode()
    assert "已找到新联系方式" in page
    assert collector.get(reverse("hardcases:traces")).status_code == 200


def test_deadlines_page_lists_an_overdue_window(
    case: CollectionCase, people: dict[str, User]
) -> None:
    legal = people["legal"]
    referral = referral_create(case=case, actor=people["lead"], reason="refused_to_pay")
    referral = mediation_start(referral=referral, actor=legal, mediator="王")
    mediation_session_record(
        referral=referral,
        actor=legal,
        held_on=timezone.localdate() - timedelta(days=40),
        result="agreement",
        agreement_fen=100_000,
    )
    page = client_for(legal).get(reverse("legal:deadlines")).content.decode()
    overdue = page.split('data-section="overdue"')[1].split('data-section="soon"')[0]
    assert f'data-deadline="{referral.deadlines.get().pk}"' in overdue


def test_the_detail_page_renders_the_actions_of_every_stage(
    case: CollectionCase, people: dict[str, User]
) -> None:
    from datetime import date

    legal = people["legal"]
    client = client_for(legal)
    referral = referral_create(case=case, actor=people["lead"], reason="refused_to_pay")

    def ops() -> str:
        response = client.get(reverse("legal:detail", args=[referral.pk]))
        assert response.status_code == 200
        return response.content.decode()

    assert 'data-op="litigation_file"' in ops()
    referral = mediation_start(referral=referral, actor=legal, mediator="王")
    assert 'data-op="mediation_session"' in ops()
    mediation_session_record(
        referral=referral, actor=legal, held_on=date(2026, 3, 1), result="agreement",
        agreement_fen=100_000,
    )  # fmt: skip
    assert 'data-op="jc_apply"' in ops()
    referral = jc_apply(referral=referral, actor=legal, court="法院", applied_on=date(2026, 3, 2))
    assert 'data-op="jc_accept"' in ops()
    referral = jc_accept(referral=referral, actor=legal, accepted_on=date(2026, 3, 3))
    assert 'data-op="jc_rule"' in ops()
    referral = jc_rule(referral=referral, actor=legal, ruling_on=date(2026, 3, 9), confirmed=False)
    page = ops()
    assert 'data-op="litigation_file"' in page
    # A refused confirmation is not enforceable: no form, the reason in its place.
    assert 'data-op="enforcement_apply"' not in page
    assert 'data-refused="enforcement_apply"' in page
    referral = litigation_file(
        referral=referral, actor=legal, court="法院", case_no="x", filed_on=date(2026, 3, 10)
    )
    assert 'data-op="judgment"' in ops()
    client.post(
        reverse("legal:act", args=[referral.pk]),
        {"op": "judgment", "judgment_on": "2026-04-01", "effective_on": "2026-04-20",
         "amount_yuan": "120,500.50", "summary": "支持"},
    )  # fmt: skip
    referral.refresh_from_db()
    assert referral.judgment_fen == 12_050_050
    client.post(
        reverse("legal:act", args=[referral.pk]),
        {"op": "enforcement_apply", "applied_on": "2026-05-01"},
    )
    assert 'data-op="recovery"' in ops()
    client.post(
        reverse("legal:act", args=[referral.pk]), {"op": "close", "outcome": "paid", "note": "结清"}
    )
    referral.refresh_from_db()
    assert referral.stage == Stage.CLOSED
    assert 'data-section="actions"' not in ops()
