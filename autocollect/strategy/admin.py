"""Admin screens: edit a draft version's definition as YAML/JSON (validated, each problem shown
with its segment, step and field), activate a version, set the challenger (both audited through
the services); the plan, assignments and runs read-only."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from autocollect.core.errors import ApplicationError
from autocollect.strategy.definitions import (
    DefinitionError,
    definition_text,
    load_text,
    parse_definition,
)
from autocollect.strategy.models import (
    ArmAssignment,
    PlannedAction,
    PlanRun,
    Strategy,
    StrategyVersion,
    VersionStatus,
)
from autocollect.strategy.services import (
    strategy_challenger_set,
    strategy_version_activate,
    strategy_version_create,
    strategy_version_update,
)


class StrategyVersionForm(forms.ModelForm):
    definition_text = forms.CharField(
        label=_("策略定义（YAML 或 JSON）"),
        widget=forms.Textarea(attrs={"rows": 40, "cols": 110, "style": "font-family: monospace"}),
        help_text=_("格式见 docs/strategy.md；保存前逐项校验，错误会指出客群、步骤和字段。"),
    )

    class Meta:
        model = StrategyVersion
        fields = ["strategy", "note"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk and self.instance.definition:
            self.fields["definition_text"].initial = definition_text(self.instance.definition)

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        text = cleaned.get("definition_text")
        strategy = cleaned.get("strategy") or getattr(self.instance, "strategy", None)
        if text is None:
            return cleaned
        try:
            raw = load_text(text)
            definition = parse_definition(raw)
        except DefinitionError as exc:
            self.add_error("definition_text", exc.lines)
            return cleaned
        if strategy is not None and definition.code != strategy.code:
            self.add_error(
                "definition_text",
                f"strategy {definition.code}: top level: field code: this version belongs to "
                f"strategy {strategy.code}",
            )
        cleaned["definition"] = raw
        return cleaned


@admin.register(StrategyVersion)
class StrategyVersionAdmin(admin.ModelAdmin):
    form = StrategyVersionForm
    list_display = ["strategy", "version", "status", "created_by", "created_at", "activated_at"]
    list_filter = ["strategy", "status"]
    actions = ["activate"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        shown = ["version", "status", "created_by", "created_at", "activated_by", "activated_at"]
        if obj is not None and obj.pk:
            shown.append("strategy")
        return shown

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Only a draft's definition can change; an active or retired version is history.
        if obj is not None and obj.status != VersionStatus.DRAFT:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        actor = request.user.get_username()
        definition = form.cleaned_data["definition"]
        note = form.cleaned_data.get("note", "")
        if change:
            saved = strategy_version_update(
                version=obj, definition=definition, actor=actor, note=note
            )
        else:
            saved = strategy_version_create(
                strategy=obj.strategy, definition=definition, actor=actor, note=note
            )
        obj.pk = saved.pk
        obj.version = saved.version
        obj.definition = saved.definition

    @admin.action(description=_("启用所选版本（原版本停用，已审计）"))
    def activate(self, request: HttpRequest, queryset: QuerySet[StrategyVersion]) -> None:
        for version in queryset.select_related("strategy"):
            try:
                strategy_version_activate(version=version, actor=request.user.get_username())
            except ApplicationError as exc:
                self.message_user(
                    request,
                    f"{version.strategy.code} v{version.version}: {exc.message}",
                    messages.ERROR,
                )
            else:
                self.message_user(
                    request,
                    _("%(code)s v%(version)s 已启用")
                    % {"code": version.strategy.code, "version": version.version},
                    messages.SUCCESS,
                )


class VersionInline(admin.TabularInline):
    model = StrategyVersion
    fields = ["version", "status", "note", "created_by", "activated_at"]
    readonly_fields = ["version", "status", "note", "created_by", "activated_at"]
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Strategy)
class StrategyAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "challenger", "challenger_share_bp"]
    fields = ["code", "name", "description", "challenger", "challenger_share_bp"]
    inlines = [VersionInline]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return ["code"] if obj is not None and obj.pk else []

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        challenger = form.cleaned_data.get("challenger")
        share = int(form.cleaned_data.get("challenger_share_bp") or 0)
        if not change:
            obj.challenger, obj.challenger_share_bp = None, 0
            super().save_model(request, obj, form, change)
        else:
            Strategy.objects.filter(pk=obj.pk).update(name=obj.name, description=obj.description)
        if change or challenger is not None:
            try:
                strategy_challenger_set(
                    strategy=obj,
                    version=challenger,
                    share_bp=share,
                    actor=request.user.get_username(),
                    reason="admin",
                )
            except ApplicationError as exc:
                self.message_user(request, exc.message, messages.ERROR)
        obj.refresh_from_db()


class _ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(PlannedAction)
class PlannedActionAdmin(_ReadOnly):
    list_display = [
        "as_of",
        "case",
        "segment",
        "step",
        "channel",
        "status",
        "queue",
        "queue_rank",
        "agent",
        "scheduled_at",
    ]
    list_filter = ["as_of", "status", "channel", "queue", "arm"]
    list_select_related = ["case__loan", "queue", "agent"]
    raw_id_fields = ["case", "agent", "outbox_message"]


@admin.register(ArmAssignment)
class ArmAssignmentAdmin(_ReadOnly):
    list_display = ["case", "strategy", "challenger", "arm", "assigned_on", "bucket"]
    list_filter = ["strategy", "arm"]
    raw_id_fields = ["case"]


@admin.register(PlanRun)
class PlanRunAdmin(_ReadOnly):
    list_display = ["as_of", "strategy", "champion", "challenger", "finished_at"]
