"""Revoking an investigation agency's authorisation (撤销委托授权, docs/hard-cases.md
"Agencies"): by those who may register, with a reason, audited; a revoked agency takes no new
work, the work it still holds is listed on the agencies page for reassignment, and renewal is a
new registration."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from autocollect.accounts.models import User
from autocollect.accounts.roles import Role
from autocollect.audit.models import AuditEvent
from autocollect.cases.models import CollectionCase
from autocollect.core.errors import ApplicationError, FieldValidationError
from autocollect.hardcases.models import InvestigationAgency, SkipTask, SkipTrace
from autocollect.hardcases.services.agencies import (
    agency_authorised,
    agency_register,
    agency_revoke,
)
from autocollect.hardcases.services.skip_tasks import skip_task_add
from autocollect.hardcases.services.skip_trace import skip_trace_open
from tests.factories import make_user
from tests.hardcases.helpers import letter_upload

pytestmark = pytest.mark.django_db


def register(actor: User, **changes: Any) -> InvestigationAgency:
    today = timezone.localdate()
    arguments: dict[str, Any] = {
        "actor": actor,
        "name": "某某商务调查有限公司",
        "licence_no": "91440300MA5XXXXXXX",
        "authorisation_ref": "SQ-2026-001",
        "authorised_from": today - timedelta(days=30),
        "authorised_until": today + timedelta(days=300),
        "letter": letter_upload(),
        **changes,
    }
    return agency_register(**arguments)


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def agency_task(trace: SkipTrace, agency: InvestigationAgency, actor: User) -> SkipTask:
    return skip_task_add(trace=trace, actor=actor, kind="agency", agency=agency)


def row_of(html: str, agency: InvestigationAgency) -> str:
    return html.split(f'data-agency="{agency.pk}"')[1].split("</tr>")[0]


# --- the service ----------------------------------------------------------------------------


@pytest.mark.parametrize("reason", ["", "   "])
def test_revoking_without_a_reason_is_refused_naming_the_field(
    people: dict[str, User], reason: str
) -> None:
    agency = register(people["lead"])
    with pytest.raises(FieldValidationError) as refused:
        agency_revoke(agency=agency, actor=people["lead"], reason=reason)
    assert refused.value.field == "reason"
    agency.refresh_from_db()
    assert agency.revoked_at is None
    assert not AuditEvent.objects.filter(action="skiptrace.agency_revoke").exists()


def test_a_revoked_agency_gets_no_new_work_with_a_clear_message(
    case: CollectionCase, people: dict[str, User]
) -> None:
    agency = register(people["lead"])
    trace = skip_trace_open(case=case, actor=people["collector"], trigger="flag")
    held = agency_task(trace, agency, people["collector"])
    # The caller's copy is loaded before the revocation: the service reads the row as stored.
    stale = InvestigationAgency.objects.get(pk=agency.pk)

    agency_revoke(agency=agency, actor=people["legal"], reason="调查手段违规，终止合作")

    agency.refresh_from_db()
    assert agency.revoked_at is not None
    event = AuditEvent.objects.get(action="skiptrace.agency_revoke", object_id=str(agency.pk))
    assert event.actor == people["legal"].get_username()
    assert event.reason == "调查手段违规，终止合作"
    assert event.before == {"revoked_at": None}
    assert event.after is not None
    assert event.after["open_tasks"] == [held.pk]
    assert not agency_authorised(agency, timezone.localdate())
    tasks = SkipTask.objects.count()
    with pytest.raises(ApplicationError) as refused:
        agency_task(trace, stale, people["collector"])
    today = f"{timezone.localtime(agency.revoked_at):%Y-%m-%d}"
    assert refused.value.message == (
        f"某某商务调查有限公司 的委托授权已于 {today} 撤销，不能再指派任务，请委托其他机构"
    )
    assert SkipTask.objects.count() == tasks
    # The task it held is untouched, still to be recorded or given to another agency.
    held.refresh_from_db()
    assert held.outcome == "pending"


def test_revoking_twice_is_refused_and_audited_once(people: dict[str, User]) -> None:
    agency = register(people["lead"])
    agency_revoke(agency=agency, actor=people["lead"], reason="授权书被撤回")
    with pytest.raises(ApplicationError, match=r"委托授权已于 .* 撤销"):
        agency_revoke(agency=agency, actor=people["lead"], reason="再次撤销")
    assert AuditEvent.objects.filter(action="skiptrace.agency_revoke").count() == 1


@pytest.mark.parametrize("who", ["collector", "risk"])
def test_only_those_who_may_register_may_revoke(people: dict[str, User], who: str) -> None:
    agency = register(people["lead"])
    with pytest.raises(PermissionDenied):
        agency_revoke(agency=agency, actor=people[who], reason="越权撤销")
    agency.refresh_from_db()
    assert agency.revoked_at is None


def test_renewal_is_a_new_registration_with_the_new_letter(
    case: CollectionCase, people: dict[str, User]
) -> None:
    old = register(people["lead"])
    agency_revoke(agency=old, actor=people["lead"], reason="授权书换新")
    renewed = register(people["lead"], authorisation_ref="SQ-2026-002")
    trace = skip_trace_open(case=case, actor=people["collector"], trigger="flag")
    assert agency_task(trace, renewed, people["collector"]).agency == renewed


# --- the page -------------------------------------------------------------------------------


def test_the_page_revokes_and_shows_the_agency_revoked_with_its_open_work(
    case: CollectionCase, people: dict[str, User]
) -> None:
    agency = register(people["lead"])
    other = register(people["lead"], name="另一调查公司", authorisation_ref="SQ-2026-003")
    trace = skip_trace_open(case=case, actor=people["collector"], trigger="flag")
    held = agency_task(trace, agency, people["collector"])
    lead = client_for(people["lead"])
    page = lead.get(reverse("hardcases:agencies")).content.decode()
    assert f'id="agency-revoke-{agency.pk}"' in row_of(page, agency)
    assert 'data-table="to-reassign"' not in page

    response = lead.post(
        reverse("hardcases:agency_revoke", args=[agency.pk]),
        {"reason": "授权书被委托方撤回"},
        follow=True,
    )

    assert response.redirect_chain[-1][0] == reverse("hardcases:agencies")
    html = response.content.decode()
    revoked_row = row_of(html, agency)
    assert "已撤销" in revoked_row
    assert "授权书被委托方撤回" in revoked_row
    assert f'id="agency-revoke-{agency.pk}"' not in revoked_row
    assert "已撤销" not in row_of(html, other)
    assert f'id="agency-revoke-{other.pk}"' in row_of(html, other)
    to_reassign = html.split('data-table="to-reassign"')[1].split("</table>")[0]
    assert f'data-task="{held.pk}"' in to_reassign
    assert reverse("hardcases:case", args=[case.pk]) in to_reassign
    # The case page marks the task the revoked agency still holds, and no longer offers it.
    panel = client_for(people["collector"]).get(reverse("hardcases:case", args=[case.pk]))
    task_row = panel.content.decode().split(f'data-task="{held.pk}"')[1].split("</tr>")[0]
    assert "授权已撤销，需改派" in task_row
    assert f'<option value="{agency.pk}">' not in panel.content.decode()


def test_the_page_refuses_a_revocation_without_a_reason_naming_the_field(
    people: dict[str, User],
) -> None:
    agency = register(people["lead"])
    response = client_for(people["lead"]).post(
        reverse("hardcases:agency_revoke", args=[agency.pk]), {"reason": ""}, follow=True
    )
    assert "reason: 撤销委托授权须说明原因" in response.content.decode()
    agency.refresh_from_db()
    assert agency.revoked_at is None


def test_collectors_cannot_revoke_and_compliance_reads_without_the_form(
    people: dict[str, User],
) -> None:
    agency = register(people["lead"])
    url = reverse("hardcases:agency_revoke", args=[agency.pk])
    assert client_for(people["collector"]).post(url, {"reason": "越权"}).status_code == 403
    compliance = client_for(make_user("qa1", Role.COMPLIANCE))
    assert compliance.post(url, {"reason": "越权"}).status_code == 403
    agency.refresh_from_db()
    assert agency.revoked_at is None
    assert not AuditEvent.objects.filter(action="skiptrace.agency_revoke").exists()
    page = compliance.get(reverse("hardcases:agencies")).content.decode()
    assert f'id="agency-revoke-{agency.pk}"' not in page


def test_an_unknown_agency_is_not_found(people: dict[str, User]) -> None:
    url = reverse("hardcases:agency_revoke", args=[999_999])
    assert client_for(people["lead"]).post(url, {"reason": "x"}).status_code == 404


def test_open_work_on_cases_the_user_does_not_see_is_only_counted(
    case: CollectionCase, people: dict[str, User]
) -> None:
    agency = register(people["lead"])
    trace = skip_trace_open(case=case, actor=people["collector"], trigger="flag")
    held = agency_task(trace, agency, people["collector"])
    agency_revoke(agency=agency, actor=people["lead"], reason="终止合作")
    # Legal sees only cases referred to legal; this one is not.
    html = client_for(people["legal"]).get(reverse("hardcases:agencies")).content.decode()
    assert f'data-task="{held.pk}"' not in html
    assert reverse("hardcases:case", args=[case.pk]) not in html
    assert "另有 1 项任务在您无权查看的案件中" in html


def test_the_period_check_still_names_the_period_for_an_unrevoked_agency(
    case: CollectionCase, people: dict[str, User]
) -> None:
    lapsed = register(
        people["lead"], authorised_from=date(2025, 1, 1), authorised_until=date(2025, 12, 31)
    )
    trace = skip_trace_open(case=case, actor=people["collector"], trigger="flag")
    with pytest.raises(ApplicationError, match="委托授权不在有效期内"):
        agency_task(trace, lapsed, people["collector"])
