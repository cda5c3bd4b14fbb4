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
HUEY = {
    **HUEY,
    "huey_class": "huey.RedisHuey",
    "url": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
}
HUEY.pop("filename", None)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_HSTS_SECONDS = 31536000
# Demo data and demo users never run here (see autocollect demo).
DEMO_ALLOWED = False
