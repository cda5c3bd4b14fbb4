"""The audit chain's keys live outside the database: production must be given real ones; the
local demo runs on a labelled development key; without any key nothing is sealed."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import CommandError

from autocollect.audit.models import AuditEvent
from autocollect.audit.services import audit_record
from autocollect.core.crypto import generate_key

ROOT = Path(__file__).resolve().parents[2]


def _start(settings_module: str, tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {
        k: v for k, v in os.environ.items() if not k.startswith(("AUTOCOLLECT_", "DATABASE_URL"))
    }
    environment.update(
        DJANGO_SETTINGS_MODULE=settings_module,
        SECRET_KEY="only-for-this-test",
        DATABASE_URL="postgres://nobody@127.0.0.1:9/none",
        AUTOCOLLECT_VAR_DIR=str(tmp_path),
        AUTOCOLLECT_FIELD_KEYS=generate_key(),
        AUTOCOLLECT_BLIND_INDEX_KEY=generate_key(),
        **env,
    )
    code = (
        "import django; django.setup()\n"
        "from autocollect.audit.keys import chain_keys\n"
        "print('started', chain_keys().current)"
    )
    return subprocess.run(
        [sys.executable, "-c", code],
        env=environment,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_production_needs_a_real_audit_key(tmp_path: Path) -> None:
    missing = _start("config.settings.production", tmp_path)
    assert missing.returncode != 0
    assert "AUTOCOLLECT_AUDIT_KEYS must be set in production" in missing.stderr
    development = _start(
        "config.settings.production", tmp_path, AUTOCOLLECT_AUDIT_KEYS="insecure-dev:audit-key-1"
    )
    assert development.returncode != 0
    assert "development encryption keys" in development.stderr
    real = _start(
        "config.settings.production",
        tmp_path,
        AUTOCOLLECT_AUDIT_KEYS=f"{generate_key()},{generate_key()}",
    )
    assert real.returncode == 0, real.stderr
    assert "started" in real.stdout


def test_the_local_settings_run_without_set_up_on_a_development_key(tmp_path: Path) -> None:
    done = _start("config.settings.default", tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("started ")


@pytest.mark.django_db
def test_without_a_key_nothing_is_recorded_and_verify_says_why(settings: Any) -> None:
    settings.AUTOCOLLECT_AUDIT_KEYS = []
    with pytest.raises(ImproperlyConfigured, match="AUTOCOLLECT_AUDIT_KEYS is not set"):
        audit_record(actor="a", action="x", object_type="t", object_id="1")
    assert AuditEvent.objects.count() == 0
    with pytest.raises(CommandError, match="AUTOCOLLECT_AUDIT_KEYS is not set"):
        call_command("audit", "verify", stdout=io.StringIO())


def test_a_key_that_is_not_32_bytes_is_refused(settings: Any) -> None:
    settings.AUTOCOLLECT_AUDIT_KEYS = ["c2hvcnQ"]
    with pytest.raises(CommandError, match="32 random bytes"):
        call_command("audit", "verify", stdout=io.StringIO())
