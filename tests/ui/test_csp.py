"""The Content-Security-Policy (django-csp, config/settings/base.py) is sent with every page under
every settings module, and allows no inline script, no inline style and no eval."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys

import pytest
from django.test import Client

from autocollect.core.crypto import generate_key
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def _directives(header: str) -> dict[str, list[str]]:
    parts = [part.strip().split() for part in header.split(";") if part.strip()]
    return {part[0]: part[1:] for part in parts}


@pytest.mark.parametrize(
    ("who", "url", "status"),
    [
        (None, "/accounts/login/", 200),
        ("collector", "/queue/", 200),
        ("collector", "/legal/", 403),
        ("collector", "/cases/987654/", 404),
        ("admin", "/api/docs", 200),
        (None, "/api/openapi.json", 200),
    ],
)
def test_every_answer_carries_a_policy_without_inline_script_or_style(
    client: Client, who: str | None, url: str, status: int
) -> None:
    if who:
        client.force_login(make_user(f"csp.{who}", who))
    response = client.get(url)

    assert response.status_code == status
    policy = _directives(response["Content-Security-Policy"])
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"]
    for sources in policy.values():
        assert "'unsafe-inline'" not in sources
        assert "'unsafe-eval'" not in sources


@pytest.mark.parametrize("module", ["config.settings.default", "config.settings.test"])
def test_the_policy_is_in_every_settings_module(module: str) -> None:
    settings = importlib.import_module(module)
    assert "csp.middleware.CSPMiddleware" in settings.MIDDLEWARE
    assert settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]["script-src"] == ["'self'"]


PRODUCTION_ENV = {
    "DATABASE_URL": "postgres://u@127.0.0.1:5432/x",
    "SECRET_KEY": "x" * 50,
    "AUTOCOLLECT_FIELD_KEYS": generate_key(),
    "AUTOCOLLECT_BLIND_INDEX_KEY": generate_key(),
    "AUTOCOLLECT_AUDIT_KEYS": generate_key(),
}


def test_production_settings_keep_the_policy() -> None:
    probe = (
        "import config.settings.production as s; "
        "print('csp.middleware.CSPMiddleware' in s.MIDDLEWARE, s.CONTENT_SECURITY_POLICY)"
    )
    env = {**os.environ, **PRODUCTION_ENV}
    out = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True
    ).stdout
    assert out.startswith("True ")
    assert "'script-src': [\"'self'\"]" in out
    assert "unsafe-inline" not in out
