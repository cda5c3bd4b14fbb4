from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from autocollect.accounts.models import ApiToken, Team, User, WorkQueue
from autocollect.accounts.tokens import token_revoke


@admin.register(User)
class AutocollectUserAdmin(UserAdmin):
    fieldsets = (
        *(UserAdmin.fieldsets or ()),
        ("角色与催收权限", {"fields": ("role", "collection_certified", "collection_authorised")}),
    )
    add_fieldsets = (
        *(UserAdmin.add_fieldsets or ()),
        ("角色", {"fields": ("role",)}),
    )
    # Staff status follows the role (only administrators use this site).
    readonly_fields = ("is_staff", "last_login", "date_joined")
    list_display = (
        "username",
        "first_name",
        "last_name",
        "role",
        "is_active",
        "collection_certified",
        "collection_authorised",
    )
    list_filter = ("role", "is_active", "collection_certified", "collection_authorised")


@admin.action(description=_("吊销所选令牌"))
def revoke_tokens(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet) -> None:
    for token in queryset:
        token_revoke(token=token, actor=request.user.get_username(), reason="admin")


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are created on the command line (the secret is shown once there); here they are
    listed and revoked."""

    list_display = (
        "prefix",
        "user",
        "name",
        "created_at",
        "last_used_at",
        "expires_at",
        "revoked_at",
    )
    list_filter = ("revoked_at",)
    search_fields = ("prefix", "user__username", "name")
    readonly_fields = (
        "user",
        "name",
        "prefix",
        "created_at",
        "last_used_at",
        "expires_at",
        "revoked_at",
    )
    exclude = ("hashed_key",)
    actions = [revoke_tokens]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: ApiToken | None = None) -> bool:
        return False


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "lead", "minutes_per_agent"]
    filter_horizontal = ["agents"]


@admin.register(WorkQueue)
class WorkQueueAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "team"]
    list_filter = ["team"]
