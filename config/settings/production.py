"""Production: PostgreSQL from ``DATABASE_URL``, secrets from the environment, Redis for Huey."""

from __future__ import annotations

import os

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import HUEY, VAR_DIR, database_from_env


def _required(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise ImproperlyConfigured(f"{name} must be set in production")
    return value


DEBUG = False
SECRET_KEY = _required("SECRET_KEY")
ALLOWED_HOSTS = [h for h in os.environ.get("ALLOWED_HOSTS", "").split(",") if h]
if "DATABASE_URL" not in os.environ:
    raise ImproperlyConfigured("DATABASE_URL must be set in production (PostgreSQL)")
DATABASES = {"default": database_from_env(VAR_DIR / "unused.sqlite3")}
# Personal data is encrypted with these keys (docs/privacy.md): comma-separated, the first
# seals, all open (rotation). Development keys (insecure-dev:…) are refused here.
AUTOCOLLECT_FIELD_KEYS = [k for k in _required("AUTOCOLLECT_FIELD_KEYS").split(",") if k.strip()]
AUTOCOLLECT_BLIND_INDEX_KEY = _required("AUTOCOLLECT_BLIND_INDEX_KEY")
# The audit chain's HMAC keys (docs/audit.md): comma-separated, the first seals, all verify;
# kept outside the database like the field keys, and never dropped while events use them.
AUTOCOLLECT_AUDIT_KEYS = [k for k in _required("AUTOCOLLECT_AUDIT_KEYS").split(",") if k.strip()]
if any(
    k.strip().startswith("insecure-dev:")
    for k in [*AUTOCOLLECT_FIELD_KEYS, AUTOCOLLECT_BLIND_INDEX_KEY, *AUTOCOLLECT_AUDIT_KEYS]
):
    raise ImproperlyConfigured("development encryption keys (insecure-dev:…) in production")
HUEY = {
    **HUEY,
    "huey_class": "huey.RedisHuey",
    "url": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
}
HUEY.pop("filename", None)
# HTTPS only: cookies never travel in clear, HTTP is redirected, browsers remember (HSTS).
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_SSL_REDIRECT = os.environ.get("AUTOCOLLECT_SSL_REDIRECT", "1") == "1"
SECURE_HSTS_SECONDS = 31536000
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
if os.environ.get("AUTOCOLLECT_BEHIND_PROXY") == "1":
    # Behind a TLS-terminating proxy that sets X-Forwarded-Proto (and strips it from clients).
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Demo data and demo users never run here (see autocollect demo).
DEMO_ALLOWED = False
