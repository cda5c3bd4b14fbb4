"""``compliance.activation``: the text checked is the text activated, and only one version of a
code and language is active."""

from __future__ import annotations

import pytest

from autocollect.audit.models import AuditEvent
from autocollect.channels.models import MessageTemplate, TemplateStatus
from autocollect.channels.services import template_create, template_retire
from autocollect.compliance.activation import activate_checked_version
from autocollect.compliance.content import LintResult, lint_text
from autocollect.core.errors import ApplicationError

pytestmark = pytest.mark.django_db


def draft(body: str = "{{ borrower_name }}您好，请按时还款。{{ opt_out_line }}") -> MessageTemplate:
    return template_create(
        code="notice", channel="sms", language="zh-hans", subject="", body=body, actor="alice"
    )


def check_clean(template: MessageTemplate) -> LintResult:
    return lint_text("您好，请按时还款。", audience="borrower", lang="zh")


def test_a_text_changed_between_the_check_and_the_activation_is_not_activated() -> None:
    template = draft()

    def check_then_edit(stored: MessageTemplate) -> LintResult:
        # Someone edits the stored text after it passed the checker.
        MessageTemplate.objects.filter(pk=stored.pk).update(body="再不还钱就让你坐牢。")
        return check_clean(stored)

    with pytest.raises(ApplicationError, match="在启用过程中被修改"):
        activate_checked_version(
            MessageTemplate,
            template.pk,
            actor="alice",
            action="channels.template_activate",
            label="template",
            content_fields=("subject", "body"),
            check=check_then_edit,
        )

    template.refresh_from_db()
    assert template.status == TemplateStatus.DRAFT
    assert not AuditEvent.objects.filter(action="channels.template_activate").exists()


def activate(template: MessageTemplate, *, reactivate_retired: bool = True) -> MessageTemplate:
    return activate_checked_version(
        MessageTemplate,
        template.pk,
        actor="bob",
        action="channels.template_activate",
        label="template",
        content_fields=("subject", "body"),
        check=check_clean,
        reactivate_retired=reactivate_retired,
    )


def test_activating_retires_the_active_version_and_a_retired_one_comes_back_only_if_allowed() -> (
    None
):
    first, second = draft(), draft()

    activate(first)
    activate(second)
    first.refresh_from_db()
    assert (first.status, MessageTemplate.objects.get(pk=second.pk).status) == (
        TemplateStatus.RETIRED,
        TemplateStatus.ACTIVE,
    )
    event = AuditEvent.objects.filter(action="channels.template_activate").latest("id")
    assert event.after is not None
    assert event.after["retired"] == [first.pk]
    assert event.actor == "bob"

    with pytest.raises(ApplicationError, match="已停用，请新建版本"):
        activate(first, reactivate_retired=False)
    assert MessageTemplate.objects.get(pk=first.pk).status == TemplateStatus.RETIRED

    template_retire(MessageTemplate.objects.get(pk=second.pk), "bob")
    assert activate(first).status == TemplateStatus.ACTIVE
    assert MessageTemplate.objects.filter(code="notice", status=TemplateStatus.ACTIVE).count() == 1
