"""Writes for the channels: templates (draft → active → retired), the outbox, receipts.

``outbox_enqueue`` is called inside the transaction of the decision that causes the message
(transactional outbox): the row commits or rolls back with the decision, and the dispatch task
is enqueued only on commit. ``outbox_dispatch`` and ``outbox_reclaim`` live in
``autocollect.channels.outbox`` (shared with the Huey task) and are re-exported here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import yaml
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from autocollect.audit.services import audit_record
from autocollect.cases.models import CollectionCase, InteractionOutcome
from autocollect.channels import tasks
from autocollect.channels.models import (
    Audience,
    DeliveryReceipt,
    MessageTemplate,
    OutboxMessage,
    OutboxStatus,
    TemplateStatus,
)
from autocollect.channels.outbox import (
    DispatchOutcome,
    outbox_dispatch,
    outbox_reclaim,
    record_interaction,
)
from autocollect.channels.selectors import case_overdue_rows
from autocollect.channels.templating import (
    SAMPLE_VALUES,
    check_template_text,
    lint_language,
    opt_out_line,
    substitute,
    template_variables,
)
from autocollect.compliance.activation import ContentRejectedError, activate_checked_version
from autocollect.compliance.content import LintResult, lint_text
from autocollect.core import clock
from autocollect.core.errors import ApplicationError

__all__ = [
    "DEFAULT_TEMPLATES",
    "ContentRejectedError",
    "DispatchOutcome",
    "outbox_dispatch",
    "outbox_enqueue",
    "outbox_sweep",
    "receipt_apply",
    "template_activate",
    "template_create",
    "template_load_defaults",
    "template_render",
    "template_retire",
]

DEFAULT_TEMPLATES = Path(__file__).resolve().with_name("default_templates.yaml")


# --- templates ------------------------------------------------------------------------------


def _check_syntax(template: MessageTemplate) -> None:
    check_template_text(template.subject, field="subject", audience=template.audience)
    check_template_text(template.body, field="body", audience=template.audience)


def _text(subject: str, body: str) -> str:
    return f"{subject}\n{body}" if subject else body


def _lint(text: str, template: MessageTemplate) -> LintResult:
    return lint_text(text, audience=template.audience, lang=lint_language(template.language))


@transaction.atomic
def template_create(
    *,
    code: str,
    channel: str,
    language: str,
    subject: str,
    body: str,
    actor: str,
    audience: str = Audience.BORROWER,
) -> MessageTemplate:
    """A new draft: the next version of ``code`` in ``language``. Its syntax and variables are
    checked now; its wording when it is activated."""
    template = MessageTemplate(
        code=code,
        channel=channel,
        language=language,
        audience=audience,
        subject=subject,
        body=body,
        created_by=actor,
    )
    _check_syntax(template)
    latest = MessageTemplate.objects.filter(code=code, language=language).aggregate(
        v=Max("version")
    )["v"]
    template.version = (latest or 0) + 1
    template.full_clean(exclude=["status"])
    template.save()
    audit_record(
        actor=actor,
        action="channels.template_create",
        obj=template,
        after={"code": code, "language": language, "version": template.version, "body": body},
    )
    return template


def template_activate(template: MessageTemplate, actor: str) -> MessageTemplate:
    """Make ``template`` the version that is sent, retiring the one before it — only if its
    text, filled with neutral sample values, passes the content checker for its audience and
    language (``compliance.activation``: a refusal is audited too, and the text checked is the
    text activated)."""

    def check(stored: MessageTemplate) -> LintResult:
        _check_syntax(stored)
        values = {**SAMPLE_VALUES[stored.language]}
        values["opt_out_line"] = opt_out_line(stored.channel, stored.language)
        text = _text(
            substitute(stored.subject, values, field="subject"),
            substitute(stored.body, values, field="body"),
        )
        return _lint(text, stored)

    activate_checked_version(
        MessageTemplate,
        template.pk,
        actor=actor,
        action="channels.template_activate",
        label="template",
        content_fields=("subject", "body"),
        check=check,
    )
    template.refresh_from_db()
    return template


@transaction.atomic
def template_retire(template: MessageTemplate, actor: str, *, reason: str = "") -> MessageTemplate:
    before = MessageTemplate.objects.select_for_update().get(pk=template.pk).status
    template.status = TemplateStatus.RETIRED
    template.save(update_fields=["status"])
    audit_record(
        actor=actor,
        action="channels.template_retire",
        obj=template,
        before={"status": before},
        after={"status": template.status},
        reason=reason,
    )
    return template


def template_render(template: MessageTemplate, variables: Mapping[str, str]) -> tuple[str, str]:
    """Fill the template and check the result again: a value (a name, a configured payment
    channel) can make a clean template prohibited. Raises ``ContentRejectedError`` naming the
    rule."""
    _check_syntax(template)
    subject = substitute(template.subject, variables, field="subject")
    body = substitute(template.body, variables, field="body")
    result = _lint(_text(subject, body), template)
    if not result.ok:
        raise ContentRejectedError(f"message from template {template.code}", result)
    return subject, body


def template_load_defaults(*, actor: str, path: Path = DEFAULT_TEMPLATES) -> list[MessageTemplate]:
    """Create the shipped templates as drafts and activate them, each through the checker.
    Idempotent: a template whose active version already has the same text is left alone."""
    spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    activated = []
    for item in spec["templates"]:
        for language, text in item["languages"].items():
            subject, body = text.get("subject", ""), text["body"]
            current = MessageTemplate.objects.filter(
                code=item["code"], language=language, status=TemplateStatus.ACTIVE
            ).first()
            if current and (current.subject, current.body) == (subject, body):
                continue
            with transaction.atomic():
                draft = template_create(
                    code=item["code"],
                    channel=item["channel"],
                    language=language,
                    audience=item.get("audience", Audience.BORROWER),
                    subject=subject,
                    body=body,
                    actor=actor,
                )
                activated.append(template_activate(draft, actor))
    return activated


# --- the outbox -----------------------------------------------------------------------------


def outbox_enqueue(
    *,
    case: CollectionCase,
    channel: str,
    to: str,
    template: MessageTemplate,
    variables: Mapping[str, str],
    idempotency_key: str,
    payload: Mapping[str, Any] | None = None,
) -> OutboxMessage:
    """Write one outbound message in the caller's transaction; dispatch it once that commits.

    The caller has asked the contact gate (``compliance.services.contact_check``) and decided
    to send. The text is rendered and checked now, so a rejected text fails the decision, not
    the dispatch. The same ``idempotency_key`` again returns the existing row (a planner that
    runs twice sends once); with another case or channel it is an error.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("outbox_enqueue must run inside the transaction of the decision")
    if template.status != TemplateStatus.ACTIVE:
        raise ApplicationError(
            _("模板 %(code)s v%(version)s 未启用")
            % {"code": template.code, "version": template.version}
        )
    if template.channel != channel:
        raise ApplicationError(
            _("模板 %(code)s 用于渠道 %(for)s，不是 %(channel)s")
            % {"code": template.code, "for": template.channel, "channel": channel}
        )
    existing = OutboxMessage.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return _same_message(existing, case=case, channel=channel)
    subject, body = template_render(template, variables)
    data: dict[str, Any] = {
        "variables": {k: variables[k] for k in template_variables(template.subject + template.body)}
    }
    if channel == "letter":
        data["rows"] = case_overdue_rows(case)
    data.update(payload or {})
    try:
        with transaction.atomic():
            message = OutboxMessage.objects.create(
                idempotency_key=idempotency_key,
                case=case,
                channel=channel,
                party=template.audience,
                to=to,
                template=template,
                language=template.language,
                subject=subject,
                body=body,
                payload=data,
                next_attempt_at=clock.now(),
            )
    except IntegrityError:
        existing = OutboxMessage.objects.get(idempotency_key=idempotency_key)
        return _same_message(existing, case=case, channel=channel)
    transaction.on_commit(partial(tasks.outbox_dispatch_task, message.pk))
    return message


def _same_message(message: OutboxMessage, *, case: CollectionCase, channel: str) -> OutboxMessage:
    if message.case_id != case.pk or message.channel != channel:
        raise ApplicationError(
            _("幂等键 %(key)s 已被另一条消息使用") % {"key": message.idempotency_key}
        )
    return message


def outbox_sweep(older_than: timedelta) -> list[int]:
    """Re-enqueue rows left behind by a crash (see ``outbox_reclaim``); returns their ids."""
    with transaction.atomic():
        ids = outbox_reclaim(older_than=older_than)
        for message_id in ids:
            transaction.on_commit(partial(tasks.outbox_dispatch_task, message_id))
    return ids


# --- receipts -------------------------------------------------------------------------------

# Provider vocabularies vary; these are the words we map. Anything else is stored and shown,
# but changes nothing.
RECEIPT_OUTCOMES = {
    "delivered": (OutboxStatus.DELIVERED, InteractionOutcome.DELIVERED),
    "failed": (OutboxStatus.FAILED, InteractionOutcome.FAILED),
    "undelivered": (OutboxStatus.FAILED, InteractionOutcome.FAILED),
    "rejected": (OutboxStatus.FAILED, InteractionOutcome.FAILED),
}


@dataclass(frozen=True, slots=True)
class ReceiptResult:
    receipt: DeliveryReceipt
    created: bool


@transaction.atomic
def receipt_apply(
    *,
    provider: str,
    provider_message_id: str,
    status: str,
    raw: Mapping[str, Any],
    idempotency_key: str = "",
    reported_at: datetime | None = None,
) -> ReceiptResult:
    """Store a provider's receipt once and apply it to its message: the message's state and an
    interaction on the case. The same receipt again is acknowledged and changes nothing."""
    existing = DeliveryReceipt.objects.filter(
        provider=provider, provider_message_id=provider_message_id, status=status
    ).first()
    if existing is not None:
        return ReceiptResult(existing, created=False)
    message = None
    if idempotency_key:
        message = (
            OutboxMessage.objects.select_for_update()
            .filter(idempotency_key=idempotency_key)
            .first()
        )
    if message is None:
        message = (
            OutboxMessage.objects.select_for_update()
            .filter(provider_message_id=provider_message_id, channel=provider)
            .first()
        )
    now = clock.now()
    try:
        with transaction.atomic():
            receipt = DeliveryReceipt.objects.create(
                provider=provider,
                provider_message_id=provider_message_id,
                status=status,
                message=message,
                reported_at=reported_at,
                received_at=now,
                raw=dict(raw),
            )
    except IntegrityError:
        # The same receipt, delivered twice at once: the other request applied it.
        existing = DeliveryReceipt.objects.get(
            provider=provider, provider_message_id=provider_message_id, status=status
        )
        return ReceiptResult(existing, created=False)
    mapped = RECEIPT_OUTCOMES.get(status)
    if message is not None and mapped is not None:
        new_status, outcome = mapped
        # A receipt can overtake our own record of the send (pending after a timed-out attempt,
        # or sending): the provider knows best. Final states stay as they are.
        if message.status in (OutboxStatus.PENDING, OutboxStatus.SENDING, OutboxStatus.SENT):
            message.status = new_status
        if new_status == OutboxStatus.DELIVERED:
            message.delivered_at = reported_at or now
        message.provider_message_id = message.provider_message_id or provider_message_id
        message.save(update_fields=["status", "delivered_at", "provider_message_id", "updated_at"])
        record_interaction(
            message,
            outcome=outcome,
            at=reported_at or now,
            notes=f"receipt {provider} {provider_message_id}: {status}",
        )
    return ReceiptResult(receipt, created=True)
