"""Message templates: variables from a whitelist, the content checker before activation and
again at render time, versions, audit."""

from __future__ import annotations

from typing import Any

import pytest

from autocollect.audit.models import AuditEvent
from autocollect.cases.models import CollectionCase
from autocollect.channels.models import MessageTemplate, TemplateStatus
from autocollect.channels.selectors import case_message_variables, case_overdue_rows
from autocollect.channels.services import (
    ContentRejectedError,
    template_activate,
    template_create,
    template_load_defaults,
    template_render,
)
from autocollect.channels.templating import TemplateTextError
from autocollect.core.money import format_yuan

pytestmark = pytest.mark.django_db

CODES = {"sms_reminder_day1", "robot_call_day3", "formal_letter_day15", "email_reminder"}


def test_shipped_templates_are_activated_through_the_checker_in_both_languages() -> None:
    loaded = template_load_defaults(actor="tests")

    assert {(t.code, t.language) for t in loaded} == {
        (code, lang) for code in CODES for lang in ("zh-hans", "en")
    }
    assert all(t.status == TemplateStatus.ACTIVE and t.activated_by == "tests" for t in loaded)
    assert AuditEvent.objects.filter(action="channels.template_activate").count() == 8
    # Loading again changes nothing: the active versions already have this text.
    assert template_load_defaults(actor="tests") == []
    assert MessageTemplate.objects.count() == 8


def test_activation_refuses_a_template_with_a_prohibited_phrase_and_audits_the_refusal() -> None:
    draft = template_create(
        code="bad_sms",
        channel="sms",
        language="zh-hans",
        subject="",
        body="{{ borrower_name }}，再不还钱就让你坐牢。{{ opt_out_line }}",
        actor="alice",
    )

    with pytest.raises(ContentRejectedError) as caught:
        template_activate(draft, "alice")

    assert "zh.false_legal.arrest" in caught.value.message
    assert caught.value.rules == ["zh.false_legal.arrest"]
    draft.refresh_from_db()
    assert draft.status == TemplateStatus.DRAFT
    refused = AuditEvent.objects.get(action="channels.template_activate_refused")
    assert refused.actor == "alice"
    assert refused.after == {"rules": ["zh.false_legal.arrest"]}


def test_activation_refuses_a_prohibited_english_template() -> None:
    draft = template_create(
        code="bad_email",
        channel="email",
        language="en",
        subject="Final warning",
        body="Dear {{ borrower_name }}, pay today or you will be arrested.",
        actor="alice",
    )

    with pytest.raises(ContentRejectedError, match=r"en\.false_legal\.arrest"):
        template_activate(draft, "alice")


def test_rendering_refuses_when_a_variable_value_makes_the_text_prohibited(
    templates: dict[tuple[str, str], MessageTemplate], case: CollectionCase
) -> None:
    template = templates["sms_reminder_day1", "zh-hans"]
    variables = case_message_variables(case, language="zh-hans", channel="sms")
    # A misconfigured payment channel: a collector's personal account.
    variables["payment_channels"] = "转账到我的个人微信"

    with pytest.raises(ContentRejectedError) as caught:
        template_render(template, variables)

    assert "zh.fee.private_account" in caught.value.rules
    assert "zh.fee.private_account" in caught.value.message


def test_rendering_fills_every_variable_with_money_from_fen(
    templates: dict[tuple[str, str], MessageTemplate], case: CollectionCase
) -> None:
    variables = case_message_variables(case, language="zh-hans", channel="sms")
    rows = case_overdue_rows(case)
    expected_fen = sum(
        i.outstanding_fen for i in case.loan.installments.order_by("seq")[: len(rows)]
    )

    subject, body = template_render(templates["sms_reminder_day1", "zh-hans"], variables)

    assert len(rows) == 3
    assert variables["overdue_amount"] == format_yuan(expected_fen)
    assert subject == ""
    assert f"张伟您好，您的合同{case.loan.contract_no}" in body
    assert format_yuan(expected_fen) in body
    assert body.endswith("回复TD退订")
    assert "{{" not in body


def test_unknown_variables_and_stray_syntax_are_refused_when_the_draft_is_made() -> None:
    with pytest.raises(TemplateTextError, match="unknown variable"):
        template_create(
            code="x",
            channel="sms",
            language="zh-hans",
            subject="",
            body="{{ id_number }}",
            actor="a",
        )
    with pytest.raises(TemplateTextError, match="unexpected"):
        template_create(
            code="x",
            channel="sms",
            language="zh-hans",
            subject="",
            body="{% if x %}{{ borrower_name }}{% endif %}",
            actor="a",
        )


def test_a_third_party_template_may_not_show_the_debt() -> None:
    with pytest.raises(TemplateTextError, match="third party"):
        template_create(
            code="contact_callback",
            channel="sms",
            language="zh-hans",
            audience="third_party",
            subject="",
            body="请转告{{ borrower_name }}，应还{{ overdue_amount }}",
            actor="a",
        )
    allowed = template_create(
        code="contact_callback",
        channel="sms",
        language="zh-hans",
        audience="third_party",
        subject="",
        body="您好，这里是{{ lender_name }}。"
        "请转告{{ borrower_name }}回电{{ lender_hotline }}，谢谢。",
        actor="a",
    )
    assert template_activate(allowed, "a").status == TemplateStatus.ACTIVE


def test_activating_a_new_version_retires_the_previous_one(
    templates: dict[tuple[str, str], MessageTemplate],
) -> None:
    old = templates["sms_reminder_day1", "en"]
    new = template_create(
        code=old.code,
        channel=old.channel,
        language="en",
        subject="",
        body="[{{ lender_name }}] {{ borrower_name }}, {{ overdue_amount }} is due. "
        "Call {{ lender_hotline }}. {{ opt_out_line }}",
        actor="bob",
    )

    template_activate(new, "bob")

    old.refresh_from_db()
    assert (new.version, new.status) == (old.version + 1, TemplateStatus.ACTIVE)
    assert old.status == TemplateStatus.RETIRED
    assert (
        MessageTemplate.objects.filter(code=old.code, language="en", status="active").count() == 1
    )


def test_the_admin_activates_through_the_checker_and_shows_the_outbox(admin_client: Any) -> None:
    clean = template_create(
        code="admin_sms",
        channel="sms",
        language="zh-hans",
        subject="",
        body="{{ borrower_name }}您好，请致电{{ lender_hotline }}。{{ opt_out_line }}",
        actor="a",
    )
    dirty = template_create(
        code="admin_bad",
        channel="sms",
        language="zh-hans",
        subject="",
        body="{{ borrower_name }}，再不还钱就让你坐牢。",
        actor="a",
    )

    response = admin_client.post(
        "/admin/channels/messagetemplate/",
        {"action": "activate", "_selected_action": [clean.pk, dirty.pk]},
        follow=True,
    )

    assert response.status_code == 200
    clean.refresh_from_db()
    dirty.refresh_from_db()
    assert (clean.status, dirty.status) == (TemplateStatus.ACTIVE, TemplateStatus.DRAFT)
    assert "zh.false_legal.arrest" in response.content.decode()
    for page in ("messagetemplate", "outboxmessage", "deliveryreceipt"):
        assert admin_client.get(f"/admin/channels/{page}/").status_code == 200
    assert (
        admin_client.get(f"/admin/channels/messagetemplate/{clean.pk}/change/").status_code == 200
    )
