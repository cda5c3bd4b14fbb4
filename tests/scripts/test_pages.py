"""The library page: everyone signed in reads it; only ``manage_scripts`` writes and activates."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from autocollect.accounts.models import User
from autocollect.accounts.roles import Role
from autocollect.audit.models import AuditEvent
from autocollect.scripts.admin import ScriptAdmin
from autocollect.scripts.models import Script, ScriptStatus
from tests.factories import make_user

pytestmark = pytest.mark.django_db

NEW_SCRIPT = {
    "code": "trust_new",
    "stage": "trust",
    "language": "zh-hans",
    "audience": "borrower",
    "position": "5",
    "title": "新的开场白",
    "body": "{{ borrower_name }}您好，我是{{ lender_name }}的{{ agent_name }}。",
    "notes": "先核实身份。",
}


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_library_asks_for_a_login() -> None:
    response = Client().get(reverse("scripts:library"))

    assert response.status_code == 302
    assert "login" in response["Location"]


def test_a_collector_reads_the_active_library_by_stage(collector: User) -> None:
    Script.objects.filter(code="trust_empathy", language="zh-hans").update(
        status=ScriptStatus.DRAFT
    )

    response = signed_in(collector).get(reverse("scripts:library"))

    page = response.content.decode()
    assert response.status_code == 200
    for label in (
        "建立信任",
        "明确债务责任",
        "提供灵活解决方案",
        "强调后果和时间紧迫性",
        "失联",
        "第三方",
    ):
        assert label in page
    assert "开场问候" in page
    assert "理解与安抚" not in page  # a draft is compliance's business
    assert reverse("scripts:create") not in page


def test_a_collector_cannot_open_a_draft_or_write_or_activate(collector: User) -> None:
    script = Script.objects.get(code="trust_greeting", language="zh-hans")
    Script.objects.filter(pk=script.pk).update(status=ScriptStatus.DRAFT)
    client = signed_in(collector)

    assert client.get(reverse("scripts:detail", args=[script.pk])).status_code == 404
    assert client.get(reverse("scripts:create")).status_code == 403
    assert client.post(reverse("scripts:create"), NEW_SCRIPT).status_code == 403
    assert client.post(reverse("scripts:activate", args=[script.pk])).status_code == 403
    assert client.post(reverse("scripts:retire", args=[script.pk])).status_code == 403
    script.refresh_from_db()
    assert script.status == ScriptStatus.DRAFT
    assert not Script.objects.filter(code="trust_new").exists()


def test_compliance_writes_a_draft_and_activates_it_through_the_checker(compliance: User) -> None:
    client = signed_in(compliance)

    response = client.post(reverse("scripts:create"), NEW_SCRIPT)

    script = Script.objects.get(code="trust_new")
    assert response.status_code == 302
    assert response["Location"] == reverse("scripts:detail", args=[script.pk])
    assert (script.status, script.created_by) == (ScriptStatus.DRAFT, "compliance.wang")
    detail = client.get(reverse("scripts:detail", args=[script.pk])).content.decode()
    assert "张三您好" in detail  # the preview with sample values
    assert "通过内容检查" in detail

    client.post(reverse("scripts:activate", args=[script.pk]))

    script.refresh_from_db()
    assert script.status == ScriptStatus.ACTIVE
    assert AuditEvent.objects.get(action="scripts.script_activate").actor == "compliance.wang"


def test_a_prohibited_draft_stays_a_draft_and_the_page_says_why(compliance: User) -> None:
    client = signed_in(compliance)
    client.post(reverse("scripts:create"), {**NEW_SCRIPT, "body": "再不还钱就让你坐牢。"})
    script = Script.objects.get(code="trust_new")

    response = client.post(reverse("scripts:activate", args=[script.pk]), follow=True)

    script.refresh_from_db()
    assert script.status == ScriptStatus.DRAFT
    assert "zh.false_legal" in response.content.decode()


def test_a_form_error_names_the_problem(compliance: User) -> None:
    response = signed_in(compliance).post(
        reverse("scripts:create"), {**NEW_SCRIPT, "body": "您好{{ id_number }}"}
    )

    assert response.status_code == 200
    assert "unknown variable" in response.content.decode()
    assert not Script.objects.filter(code="trust_new").exists()


def test_editing_makes_a_new_version_with_the_same_code_and_language(compliance: User) -> None:
    base = Script.objects.get(code="trust_greeting", language="zh-hans")

    signed_in(compliance).post(
        reverse("scripts:edit", args=[base.pk]),
        {**NEW_SCRIPT, "code": "ignored", "language": "en", "title": "开场问候（新）"},
    )

    new = Script.objects.get(code="trust_greeting", language="zh-hans", version=2)
    assert new.title == "开场问候（新）"
    assert new.status == ScriptStatus.DRAFT
    base.refresh_from_db()
    assert base.status == ScriptStatus.ACTIVE  # until the new one is activated
    assert not Script.objects.filter(code="ignored").exists()


def test_only_script_managers_see_the_script_admin(collector: User, compliance: User) -> None:
    from django.contrib import admin
    from django.test import RequestFactory

    model_admin = ScriptAdmin(Script, admin.site)
    request = RequestFactory().get("/")
    admin_user = make_user("root", Role.ADMIN)

    request.user = collector
    assert not model_admin.has_view_permission(request)
    assert not model_admin.has_add_permission(request)
    request.user = admin_user
    assert model_admin.has_view_permission(request)
    assert model_admin.has_add_permission(request)
    # A stored version is never edited or deleted: an edit is a new version.
    script = Script.objects.first()
    assert not model_admin.has_change_permission(request, script)
    assert not model_admin.has_delete_permission(request, script)
