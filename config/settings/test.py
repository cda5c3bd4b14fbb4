"""Test settings: SQLite in a temporary file unless ``DATABASE_URL`` points elsewhere."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from .base import *  # noqa: F403
from .base import HUEY, database_from_env

DEBUG = False
SECRET_KEY = "autocollect-tests-only"  # noqa: S105
ALLOWED_HOSTS = ["*"]
_TMP = Path(tempfile.gettempdir())
DATABASES = {"default": database_from_env(_TMP / "autocollect-test.sqlite3")}
if DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
    # One test database per pytest process, so that parallel runs on one server never collide.
    DATABASES["default"]["TEST"] = {"NAME": f"test_autocollect_{os.getpid()}"}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
HUEY = {**HUEY, "immediate": True}
DEMO_ALLOWED = True
