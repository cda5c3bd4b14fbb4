"""Authentication and permission checks for the Ninja API.

The whole API takes either a personal token (``Authorization: Bearer ac_…``) or the browser's
Django session. Session requests keep Django's CSRF check for unsafe methods (Ninja's
``django_auth``); token requests carry no ambient credentials and need none.
"""

from __future__ import annotations

from django.http import HttpRequest
from ninja.errors import HttpError
from ninja.security import HttpBearer, django_auth

from autocollect.accounts.access import has_any_permission
from autocollect.accounts.models import User
from autocollect.accounts.tokens import token_authenticate


class ApiTokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        user = token_authenticate(token)
        if user is not None:
            # Views read ``request.user`` whichever way the caller authenticated.
            request.user = user
        return user


API_AUTH = [ApiTokenAuth(), django_auth]


def require_api_permission(request: HttpRequest, perm: str, *any_of: str) -> None:
    """403 unless the caller holds ``perm`` (or any of ``any_of``)."""
    if not has_any_permission(request.user, (perm, *any_of)):
        raise HttpError(403, "permission denied")
