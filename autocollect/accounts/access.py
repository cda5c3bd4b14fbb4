"""Who may do what (docs/roles.md): ``has_permission(user, perm)`` says whether a user may use
a kind of page or endpoint at all, from the role's permissions (``roles.ROLE_PERMISSIONS``).

Which cases (and through them which loans, borrowers and vehicles) a user may see is the
object-level question; it needs the cases and is answered by ``cases.selectors``.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from autocollect.accounts.models import User
from autocollect.accounts.roles import PERMISSIONS, ROLE_PERMISSIONS, SEE_ALL_ROLES, Role
from autocollect.core.errors import refuse

AnyUser = AbstractBaseUser | AnonymousUser
View = TypeVar("View", bound=Callable[..., HttpResponse])


def active_user(user: AnyUser | None) -> User | None:
    if isinstance(user, User) and user.is_active:
        return user
    return None


def has_permission(user: AnyUser | None, perm: str) -> bool:
    """Whether ``user`` holds ``perm`` (one of ``roles.PERMISSIONS``) through their role."""
    if perm not in PERMISSIONS:
        raise ValueError(f"unknown permission {perm!r}")
    active = active_user(user)
    if active is None:
        return False
    return perm in ROLE_PERMISSIONS.get(active.effective_role, frozenset())


def has_any_permission(user: AnyUser | None, perms: tuple[str, ...]) -> bool:
    return any(has_permission(user, perm) for perm in perms)


def permission_refusal(user: AnyUser | None, *perms: str) -> str:
    """Why ``user`` may not use a page, endpoint or service that needs one of ``perms`` ("" when
    they hold one): the refusal the pages, the API and the services share (a 403 everywhere)."""
    if has_any_permission(user, perms):
        return ""
    active = active_user(user)
    if active is None:
        return _("请先登录")
    return _("您的角色“%(role)s”无权进行此操作") % {"role": Role(active.effective_role).label}


def sees_all_cases(user: AnyUser | None) -> bool:
    active = active_user(user)
    return active is not None and active.effective_role in SEE_ALL_ROLES


def require_permission(perm: str, *any_of: str) -> Callable[[View], View]:
    """View decorator: anonymous → the login page; without the permission (or any of the
    permissions given) → ``Refused`` (the styled 403 page, ``permission_refusal``)."""
    perms = (perm, *any_of)
    for code in perms:
        if code not in PERMISSIONS:
            raise ValueError(f"unknown permission {code!r}")

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            refuse(permission_refusal(request.user, *perms))
            return view(request, *args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator
