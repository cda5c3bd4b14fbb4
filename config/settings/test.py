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
# One test database per pytest process, so that parallel runs never collide. SQLite gets a
# file rather than memory so that tests can start real `autocollect` processes against it
# (the cycle's kill test).
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["TEST"] = {"NAME": str(_TMP / f"autocollect-test-{os.getpid()}.sqlite3")}
else:
    DATABASES["default"]["TEST"] = {"NAME": f"test_autocollect_{os.getpid()}"}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
HUEY = {**HUEY, "immediate": True}
DEMO_ALLOWED = True
