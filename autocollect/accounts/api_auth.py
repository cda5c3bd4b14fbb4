"""Authentication and permission checks for the Ninja API.

The whole API takes either a personal token (``Authorization: Bearer ac_…``) or the browser's
Django session. Session requests keep Django's CSRF check for unsafe methods (Ninja's
``django_auth``); token requests carry no ambient credentials and need none.
"""

from __future__ import annotations

from django.http import HttpRequest
from ninja.security import HttpBearer, django_auth

from autocollect.accounts.access import permission_refusal
from autocollect.accounts.models import User
from autocollect.accounts.tokens import token_authenticate
from autocollect.core.errors import refuse


class ApiTokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        user = token_authenticate(token)
        if user is not None:
            # Views read ``request.user`` whichever way the caller authenticated.
            request.user = user
        return user


API_AUTH = [ApiTokenAuth(), django_auth]


def require_api_permission(request: HttpRequest, perm: str, *any_of: str) -> None:
    """``Refused`` (403 ``{"detail": …}``, ``ui.api_common``) unless the caller holds ``perm``
    (or any of ``any_of``): the same refusal, in the same words, as the pages'
    ``require_permission``."""
    refuse(permission_refusal(request.user, perm, *any_of))
