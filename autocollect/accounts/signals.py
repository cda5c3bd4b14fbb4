"""Logins, logouts and failed logins go to the audit log (docs/roles.md).

Never the password: Django hands the failed-login signal credentials with the password already
masked, and only the username is taken from them.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest

from autocollect.accounts.middleware import session_started
from autocollect.accounts.models import User
from autocollect.audit.services import audit_record

MAX_OBJECT_ID = 80  # AuditEvent.object_id


def _client(request: HttpRequest | None) -> dict[str, str]:
    if request is None:
        return {}
    return {
        "ip": str(request.META.get("REMOTE_ADDR", "")),
        "user_agent": str(request.META.get("HTTP_USER_AGENT", ""))[:200],
    }


@receiver(user_logged_in, dispatch_uid="accounts.audit_login")
def audit_login(sender: Any, request: HttpRequest | None, user: User, **kwargs: Any) -> None:
    if request is not None and hasattr(request, "session"):
        session_started(request)
    audit_record(
        actor=user.get_username(),
        action="auth.login",
        obj=user,
        after={**_client(request), "role": user.effective_role},
    )


@receiver(user_logged_out, dispatch_uid="accounts.audit_logout")
def audit_logout(
    sender: Any, request: HttpRequest | None, user: User | None, **kwargs: Any
) -> None:
    if user is None:  # logging out a session that was not logged in
        return
    audit_record(actor=user.get_username(), action="auth.logout", obj=user, after=_client(request))


@receiver(user_login_failed, dispatch_uid="accounts.audit_login_failed")
def audit_login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    username = str(credentials.get("username") or "")[:MAX_OBJECT_ID]
    locked = bool(getattr(request, "axes_locked_out", False))
    reason = str(kwargs.get("reason") or ("locked out" if locked else "bad credentials"))
    audit_record(
        actor=username or "anonymous",
        action="auth.login_failed",
        object_type="accounts.user",
        object_id=username,
        after=_client(request),
        reason=reason,
    )
