"""Django admin for templates, the outbox and receipts.

Templates: drafts are edited here; activating goes through ``template_activate`` (content
checker, audit) from the list's action, and an active or retired version is read-only (an edit
is a new version). The outbox and receipts are records: read-only, recipients masked.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from autocollect.channels.models import (
    DeliveryReceipt,
    MessageTemplate,
    OutboxMessage,
    TemplateStatus,
)
from autocollect.channels.services import template_activate, template_create, template_retire
from autocollect.core.errors import ApplicationError
from autocollect.core.masking import mask_contact

_MASK_KIND = {"sms": "mobile", "robot_call": "mobile", "email": "email", "letter": "address"}


def _actor(request: HttpRequest) -> str:
    return request.user.get_username() if request.user.is_authenticated else "admin"


@admin.register(MessageTemplate)
class MessageTemplateAdmin(admin.ModelAdmin):
    list_display = ["code", "language", "version", "channel", "audience", "status", "activated_at"]
    list_filter = ["status", "channel", "language", "audience"]
    search_fields = ["code", "body"]
    actions = ["activate", "retire"]
    readonly_fields = ["version", "status", "created_by", "activated_by", "activated_at"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        if obj is not None and obj.status != TemplateStatus.DRAFT:
            return [f.name for f in MessageTemplate._meta.fields]
        return list(self.readonly_fields)

    def save_model(
        self, request: HttpRequest, obj: MessageTemplate, form: Any, change: bool
    ) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        try:
            created = template_create(
                code=obj.code,
                channel=obj.channel,
                language=obj.language,
                audience=obj.audience,
                subject=obj.subject,
                body=obj.body,
                actor=_actor(request),
            )
        except ApplicationError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return
        obj.pk = created.pk

    @admin.action(description=_("启用（经内容检查）"))
    def activate(self, request: HttpRequest, queryset: QuerySet[MessageTemplate]) -> None:
        for template in queryset:
            try:
                template_activate(template, _actor(request))
            except ApplicationError as exc:
                self.message_user(request, exc.message, messages.ERROR)
            else:
                self.message_user(request, f"{template} ✓", messages.SUCCESS)

    @admin.action(description=_("停用"))
    def retire(self, request: HttpRequest, queryset: QuerySet[MessageTemplate]) -> None:
        for template in queryset:
            template_retire(template, _actor(request), reason="admin")


class _ReadOnly:
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(OutboxMessage)
class OutboxMessageAdmin(_ReadOnly, admin.ModelAdmin):
    list_display = [
        "idempotency_key",
        "channel",
        "masked_to",
        "status",
        "attempts",
        "next_attempt_at",
        "updated_at",
    ]
    list_filter = ["status", "channel"]
    search_fields = ["idempotency_key", "provider_message_id"]
    exclude = ["to", "interactions"]

    @admin.display(description=_("号码/地址"))
    def masked_to(self, obj: OutboxMessage) -> str:
        return mask_contact(_MASK_KIND.get(obj.channel, "address"), obj.to)


@admin.register(DeliveryReceipt)
class DeliveryReceiptAdmin(_ReadOnly, admin.ModelAdmin):
    list_display = ["provider", "provider_message_id", "status", "received_at"]
    list_filter = ["provider", "status"]
    search_fields = ["provider_message_id"]
