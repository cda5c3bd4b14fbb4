"""Authentication backends: the role gives the administrator every model permission."""

from __future__ import annotations

from typing import Any

from axes.backends import AxesStandaloneBackend
from django.contrib.auth.backends import ModelBackend
from django.db.models import Model
from django.http import HttpRequest

from autocollect.accounts.models import User


class RoleBackend(ModelBackend):
    """Django's model backend, plus: an active user with the admin role has every model
    permission in the admin site, as a superuser does. Other roles get none from their role
    (they do not use the admin site; their checks are ``access.has_permission``)."""

    def has_perm(self, user_obj: Any, perm: str, obj: Model | None = None) -> bool:
        if isinstance(user_obj, User) and user_obj.is_active and user_obj.is_admin:
            return True
        return super().has_perm(user_obj, perm, obj)

    def has_module_perms(self, user_obj: Any, app_label: str) -> bool:
        if isinstance(user_obj, User) and user_obj.is_active and user_obj.is_admin:
            return True
        return super().has_module_perms(user_obj, app_label)


class TestLockoutBackend(AxesStandaloneBackend):
    """Test settings only: axes' lockout check, skipped when there is no request.

    ``django.test.Client.login`` authenticates without a request, which axes refuses outright.
    Every real login (the login page, the admin) passes the request and is checked.
    """

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> None:
        if request is None:
            return None
        super().authenticate(request, username, password, **kwargs)
        return None
