"""Personal API tokens: create (shown once), authenticate, revoke (docs/roles.md).

A token is ``ac_`` followed by 43 URL-safe characters (256 random bits). The database keeps
its SHA-256 only: a stolen database does not give working tokens, and a high-entropy secret
needs no slow hash. The first characters are kept in clear as the token's prefix.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils.translation import gettext as _

from autocollect.accounts.models import ApiToken, User
from autocollect.audit.services import audit_record
from autocollect.core import clock
from autocollect.core.errors import ApplicationError

TOKEN_MARK = "ac_"  # noqa: S105 - a marker in front of every token, not a secret
PREFIX_CHARS = 8
# Writing ``last_used_at`` on every request would turn every API read into a write.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class NewToken:
    token: ApiToken
    secret: str  # the whole token; shown once, never stored


def _audit_facts(token: ApiToken) -> dict[str, object]:
    return {
        "user": token.user.get_username(),
        "name": token.name,
        "prefix": token.prefix,
        "expires_at": token.expires_at.isoformat() if token.expires_at else None,
    }


@transaction.atomic
def token_create(*, user: User, name: str = "", days: int | None = None, actor: str) -> NewToken:
    """A new token for ``user``, valid for ``days`` (None: until revoked)."""
    if not user.is_active:
        raise ApplicationError(_("用户 %(user)s 已停用") % {"user": user.get_username()})
    if days is not None and days < 1:
        raise ApplicationError(_("有效天数至少为 1"), extra={"field": "days"})
    body = secrets.token_urlsafe(32)
    secret = f"{TOKEN_MARK}{body}"
    token = ApiToken.objects.create(
        user=user,
        name=name,
        prefix=f"{TOKEN_MARK}{body[:PREFIX_CHARS]}",
        hashed_key=hash_token(secret),
        expires_at=clock.now() + timedelta(days=days) if days else None,
    )
    audit_record(actor=actor, action="token.create", obj=token, after=_audit_facts(token))
    return NewToken(token=token, secret=secret)


@transaction.atomic
def token_revoke(*, token: ApiToken, actor: str, reason: str = "") -> ApiToken:
    """Revoke ``token`` now (a revoked token stays listed, and revoking twice is a no-op)."""
    token = ApiToken.objects.select_for_update().select_related("user").get(pk=token.pk)
    if token.revoked_at is not None:
        return token
    token.revoked_at = clock.now()
    token.save(update_fields=["revoked_at"])
    audit_record(
        actor=actor,
        action="token.revoke",
        obj=token,
        before={"revoked_at": None},
        after=_audit_facts(token) | {"revoked_at": token.revoked_at.isoformat()},
        reason=reason,
    )
    return token


def token_find(reference: str) -> ApiToken:
    """A token by its id or its prefix (``ac_Ab3xY9zQ``), for the command line."""
    tokens = ApiToken.objects.select_related("user")
    found = (
        tokens.filter(pk=int(reference)) if reference.isdigit() else tokens.filter(prefix=reference)
    )
    matches = list(found[:2])
    if not matches:
        raise ApplicationError(_("没有 API 令牌 %(ref)s") % {"ref": reference})
    if len(matches) > 1:
        raise ApplicationError(_("%(ref)s 对应多个令牌，请使用编号") % {"ref": reference})
    return matches[0]


def token_authenticate(secret: str) -> User | None:
    """The active user a live token belongs to, or None (unknown, revoked, expired token or
    inactive user). Records when the token was last used."""
    if not secret.startswith(TOKEN_MARK):
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(hashed_key=hash_token(secret), revoked_at__isnull=True)
        .first()
    )
    now = clock.now()
    if token is None or (token.expires_at is not None and token.expires_at <= now):
        return None
    if not token.user.is_active:
        return None
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
