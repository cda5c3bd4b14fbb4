"""Django admin for the script library, for those who manage scripts (compliance, admin).

A script is added here or on the library page (``script_create``: a new draft version,
audited); activation goes through ``script_activate`` (content checker, audit) from the list's
action. Every stored version is read-only — an edit is a new version, so the audit log holds
every text that ever existed — and nobody deletes a script: a version is retired.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from autocollect.accounts.access import has_permission
from autocollect.core.errors import ApplicationError
from autocollect.scripts.models import Script
from autocollect.scripts.services import script_activate, script_create, script_retire

MANAGE = "manage_scripts"


def _actor(request: HttpRequest) -> str:
    return str(request.user.get_username())


@admin.register(Script)
class ScriptAdmin(admin.ModelAdmin):
    list_display = ["code", "stage", "language", "version", "audience", "status", "activated_at"]
    list_filter = ["status", "stage", "language", "audience"]
    search_fields = ["code", "title", "body"]
    actions = ["activate", "retire"]
    readonly_fields = ["version", "status", "created_by", "activated_by", "activated_at"]

    def has_module_permission(self, request: HttpRequest) -> bool:
        return has_permission(request.user, MANAGE)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return has_permission(request.user, MANAGE)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return has_permission(request.user, MANAGE)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Script, form: Any, change: bool) -> None:
        if change:  # unreachable: stored versions are read-only
            return
        try:
            created = script_create(
                code=obj.code,
                stage=obj.stage,
                language=obj.language,
                audience=obj.audience,
                position=obj.position,
                title=obj.title,
                body=obj.body,
                notes=obj.notes,
                actor=_actor(request),
            )
        except ApplicationError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return
        obj.pk = created.pk

    @admin.action(description=_("启用（经内容检查）"))
    def activate(self, request: HttpRequest, queryset: QuerySet[Script]) -> None:
        for script in queryset:
            try:
                script_activate(script, actor=_actor(request))
            except ApplicationError as exc:
                self.message_user(request, exc.message, messages.ERROR)
            else:
                self.message_user(request, f"{script} ✓", messages.SUCCESS)

    @admin.action(description=_("停用"))
    def retire(self, request: HttpRequest, queryset: QuerySet[Script]) -> None:
        for script in queryset:
            script_retire(script, actor=_actor(request))
            self.message_user(request, f"{script} ✓", messages.SUCCESS)
