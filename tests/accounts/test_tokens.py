"""Personal API tokens: the command, Bearer authentication, revocation, expiry, CSRF."""

from __future__ import annotations

import hashlib
import io
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from autocollect.accounts.models import ApiToken
from autocollect.accounts.roles import Role
from autocollect.accounts.tokens import token_authenticate, token_create
from autocollect.audit.models import AuditEvent
from tests.factories import make_user

pytestmark = pytest.mark.django_db

LINT = {"text": "您好，请按时还款。", "audience": "borrower", "lang": "zh"}


def _create(*args: str) -> tuple[str, str]:
    out = io.StringIO()
    call_command("token", "create", *args, stdout=out)
    lines = out.getvalue().strip().splitlines()
    return lines[0], lines[-1]


def _bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def test_create_prints_the_secret_once_and_stores_only_its_hash() -> None:
    user = make_user("risk1", Role.RISK)
    summary, secret = _create("--user", "risk1", "--name", "报表脚本", "--days", "30")
    assert secret.startswith("ac_")
    assert len(secret) > 40
    assert "risk1" in summary
    assert "报表脚本" in summary
    token = ApiToken.objects.get()
    assert token.user == user
    assert token.hashed_key == hashlib.sha256(secret.encode()).hexdigest()
    assert secret.startswith(token.prefix)
    assert len(token.prefix) < 16
    assert token.expires_at is not None
    assert timedelta(days=29) < token.expires_at - timezone.now() <= timedelta(days=30)
    event = AuditEvent.objects.get(action="token.create")
    assert event.after is not None
    assert (event.actor, event.after["user"]) == ("cli", "risk1")
    assert event.after["prefix"] == token.prefix
    assert secret not in str(event.after)


def test_create_refuses_an_unknown_user() -> None:
    with pytest.raises(CommandError, match="no user 'ghost'"):
        _create("--user", "ghost")


def test_a_token_authenticates_the_api_as_its_user(client: Client) -> None:
    make_user("risk1", Role.RISK)
    _, secret = _create("--user", "risk1")
    assert client.get("/api/strategy/strategies").status_code == 401
    response = client.get("/api/strategy/strategies", headers=_bearer(secret))
    assert response.status_code == 200
    assert ApiToken.objects.get().last_used_at is not None
    assert client.get("/api/strategy/strategies", headers=_bearer(secret + "x")).status_code == 401
    assert client.get("/api/strategy/strategies", headers=_bearer("ac_nonsense")).status_code == 401


def test_the_role_of_the_token_user_still_applies(client: Client) -> None:
    make_user("collector_a", Role.COLLECTOR)
    _, secret = _create("--user", "collector_a")
    assert client.get("/api/strategy/strategies", headers=_bearer(secret)).status_code == 403


def test_a_revoked_token_stops_working_and_the_revocation_is_audited(client: Client) -> None:
    make_user("risk1", Role.RISK)
    _, secret = _create("--user", "risk1")
    token = ApiToken.objects.get()
    listing = io.StringIO()
    call_command("token", "list", stdout=listing)
    assert token.prefix in listing.getvalue()
    assert "active" in listing.getvalue()
    assert secret not in listing.getvalue()
    call_command("token", "revoke", token.prefix, "--reason", "laptop lost", stdout=io.StringIO())
    assert client.get("/api/strategy/strategies", headers=_bearer(secret)).status_code == 401
    event = AuditEvent.objects.get(action="token.revoke")
    assert (event.reason, event.object_id) == ("laptop lost", str(token.pk))
    call_command("token", "revoke", str(token.pk), stdout=io.StringIO())  # again: no-op
    assert AuditEvent.objects.filter(action="token.revoke").count() == 1
    with pytest.raises(CommandError, match="没有 API 令牌"):
        call_command("token", "revoke", "ac_unknown", stdout=io.StringIO())


def test_an_expired_token_and_an_inactive_user_are_refused() -> None:
    user = make_user("risk1", Role.RISK)
    new = token_create(user=user, days=1, actor="tests")
    assert token_authenticate(new.secret) == user
    ApiToken.objects.filter(pk=new.token.pk).update(expires_at=timezone.now())
    assert token_authenticate(new.secret) is None
    other = token_create(user=user, actor="tests")
    user.is_active = False
    user.save()
    assert token_authenticate(other.secret) is None


def test_session_requests_need_csrf_and_token_requests_do_not() -> None:
    user = make_user("collector_a", Role.COLLECTOR)
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)
    refused = browser.post("/api/compliance/lint", LINT, content_type="application/json")
    assert refused.status_code == 403
    browser.get("/accounts/login/")  # sets the CSRF cookie, as the page would
    csrf = browser.cookies["csrftoken"].value
    allowed = browser.post(
        "/api/compliance/lint", LINT, content_type="application/json", HTTP_X_CSRFTOKEN=csrf
    )
    assert allowed.status_code == 200
    secret = token_create(user=user, actor="tests").secret
    machine = Client(enforce_csrf_checks=True)
    response = machine.post(
        "/api/compliance/lint", LINT, content_type="application/json", headers=_bearer(secret)
    )
    assert response.status_code == 200
