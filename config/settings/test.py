"""Test settings: SQLite in a temporary file unless ``DATABASE_URL`` points elsewhere."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from .base import *  # noqa: F403
from .base import AUTOCOLLECT, HUEY, database_from_env

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
# A fast hasher for speed: Argon2 costs tens of milliseconds per user made. The base settings
# (Argon2 first) are what every other environment uses; tests/accounts checks them.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# django.test.Client.login authenticates without a request, which django-axes refuses; the
# test backend skips the lockout check only then (every request-borne login is checked).
AUTHENTICATION_BACKENDS = [
    "autocollect.accounts.backends.TestLockoutBackend",
    "autocollect.accounts.backends.RoleBackend",
]
HUEY = {**HUEY, "immediate": True}
DEMO_ALLOWED = True
# INSECURE development keys for the tests (docs/privacy.md); production refuses them.
AUTOCOLLECT_FIELD_KEYS = ["insecure-dev:field-key-1"]
AUTOCOLLECT_BLIND_INDEX_KEY = "insecure-dev:blind-index-key"
AUTOCOLLECT_AUDIT_KEYS = ["insecure-dev:audit-key-1"]
# No audit checkpoints unless a test configures them (tests/audit): one file shared by every
# test database would disagree with all of them.
AUTOCOLLECT = {**AUTOCOLLECT, "AUDIT": {"CHECKPOINT_SINK": None}}
