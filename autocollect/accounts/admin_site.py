"""The admin site: administrators only, with their TOTP device when they enrolled one.

Signing in always goes through ``/accounts/login/`` (throttled by axes, audited, and asking for
the TOTP code of users with a confirmed device); the admin's own login page redirects there.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import resolve_url
from django_otp import user_has_device

from autocollect.accounts.models import User


def otp_satisfied(user: User) -> bool:
    """A user with a confirmed TOTP device must have used it in this session."""
    if not user_has_device(user, confirmed=True):
        return True
    is_verified = getattr(user, "is_verified", None)
    return bool(is_verified and is_verified())


class AutocollectAdminSite(admin.AdminSite):
    site_header = "autocollect 管理后台"
    site_title = "autocollect"

    def has_permission(self, request: HttpRequest) -> bool:
        user = request.user
        return (
            isinstance(user, User)
            and user.is_active
            and user.is_staff
            and user.is_admin
            and otp_satisfied(user)
        )

    def login(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        target = request.GET.get(REDIRECT_FIELD_NAME) or resolve_url("admin:index")
        return redirect_to_login(target, resolve_url("accounts:login"))
