"""Signing in and out: the login page, audit, lockout, TOTP for admins, session expiry,
security headers and password hashing."""

from __future__ import annotations

import importlib
import json
import re
import time
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.hashers import make_password
from django.test import Client, override_settings
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from autocollect.accounts.middleware import LOGIN_AT, SEEN_AT
from autocollect.accounts.models import User
from autocollect.accounts.roles import Role
from autocollect.audit.models import AuditEvent
from tests.factories import make_user

pytestmark = pytest.mark.django_db

PASSWORD = "pw-Test-12345"
LOGIN = "/accounts/login/"


def _login(client: Client, username: str, password: str = PASSWORD, **extra: str) -> Any:
    return client.post(LOGIN, {"username": username, "password": password, **extra})


def _events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("id"))


def test_the_login_page_has_the_contract_fields(client: Client) -> None:
    html = client.get(LOGIN).content.decode()
    for field in ('name="username"', 'name="password"', 'name="otp_token"', 'type="submit"'):
        assert field in html


def test_a_login_is_audited_and_lands_on_the_next_page(client: Client) -> None:
    user = make_user("collector_a")
    response = _login(client, "collector_a", next="/loans/")
    assert (response.status_code, response["Location"]) == (302, "/loans/")
    assert client.session["_auth_user_id"] == str(user.pk)
    [event] = _events("auth.login")
    assert (event.actor, event.object_id) == ("collector_a", str(user.pk))
    assert (event.after or {})["role"] == "collector"


def test_a_failed_login_is_audited_without_the_password(client: Client) -> None:
    make_user("collector_a")
    response = _login(client, "collector_a", "wrong-Secret-987")
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    [event] = _events("auth.login_failed")
    assert (event.actor, event.object_id) == ("collector_a", "collector_a")
    stored = json.dumps([event.before, event.after, event.reason], ensure_ascii=False)
    assert "wrong-Secret-987" not in stored
    assert not _events("auth.login")


def test_logout_is_post_only_and_audited(client: Client) -> None:
    make_user("collector_a")
    _login(client, "collector_a")
    assert client.get("/accounts/logout/").status_code == 405
    response = client.post("/accounts/logout/")
    assert (response.status_code, response["Location"]) == (302, LOGIN)
    assert "_auth_user_id" not in client.session
    [event] = _events("auth.logout")
    assert event.actor == "collector_a"


def test_after_five_failures_the_right_password_is_refused_for_that_user_and_address(
    client: Client,
) -> None:
    make_user("collector_a")
    for _ in range(5):
        _login(client, "collector_a", "wrong-Secret-987")
    locked = _login(client, "collector_a")  # the 6th attempt, with the right password
    assert locked.status_code == 429
    assert "登录失败次数过多" in locked.content.decode()
    assert "_auth_user_id" not in client.session
    assert not _events("auth.login")
    assert len(_events("auth.login_failed")) == 6
    # The lock is per username and address: the same user elsewhere is not locked out.
    elsewhere = Client(REMOTE_ADDR="10.0.0.9")
    answer = elsewhere.post(LOGIN, {"username": "collector_a", "password": PASSWORD})
    assert answer.status_code == 302


def test_four_failures_do_not_lock_and_a_success_resets_the_count(client: Client) -> None:
    make_user("collector_a")
    for _ in range(4):
        _login(client, "collector_a", "wrong-Secret-987")
    assert _login(client, "collector_a").status_code == 302
    client.post("/accounts/logout/")
    for _ in range(4):
        _login(client, "collector_a", "wrong-Secret-987")
    assert _login(client, "collector_a").status_code == 302


# --- TOTP ---------------------------------------------------------------------------------------


def _device(user: User) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="phone", confirmed=True)


def _code(device: TOTPDevice) -> str:
    device.refresh_from_db()
    value = totp(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{value:0{device.digits}d}"


def test_an_admin_with_a_device_must_give_the_code(client: Client) -> None:
    admin = make_user("admin1", Role.ADMIN)
    device = _device(admin)
    without = _login(client, "admin1")
    assert without.status_code == 200
    assert "请输入动态口令" in without.content.decode()
    assert "_auth_user_id" not in client.session
    wrong_code = f"{(int(_code(device)) + 1) % 1_000_000:06d}"
    wrong = _login(client, "admin1", otp_token=wrong_code)
    assert wrong.status_code == 200
    assert "_auth_user_id" not in client.session
    assert _events("auth.login_failed")[-1].reason == "bad one-time code"
    # django-otp makes the device wait a little after a wrong code; the test does not wait.
    device.refresh_from_db()
    device.throttle_reset()
    right = _login(client, "admin1", otp_token=_code(device), next="/admin/")
    assert right.status_code == 302
    assert client.get("/admin/").status_code == 200


def test_the_admin_site_wants_the_device_when_there_is_one() -> None:
    admin = make_user("admin1", Role.ADMIN)
    client = Client()
    client.force_login(admin)  # a session that never gave a code
    assert client.get("/admin/").status_code == 200
    _device(admin)
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    assert client.get(response["Location"])["Location"].startswith(LOGIN)


def test_an_unconfirmed_device_is_not_asked_for(client: Client) -> None:
    admin = make_user("admin1", Role.ADMIN)
    TOTPDevice.objects.create(user=admin, name="half set up", confirmed=False)
    assert _login(client, "admin1").status_code == 302


@pytest.mark.parametrize("role", [r for r in Role if r != Role.ADMIN])
def test_only_the_admin_role_gets_into_the_admin_site(role: Role) -> None:
    client = Client()
    client.force_login(make_user("someone", role))
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


# --- sessions, headers, hashing -----------------------------------------------------------------


def _shift_session(client: Client, key: str, seconds_ago: int) -> None:
    session = client.session
    session[key] = int(time.time()) - seconds_ago
    session.save()


def test_a_session_ends_after_thirty_idle_minutes(client: Client) -> None:
    client.force_login(make_user("collector_a"))
    assert client.get("/").status_code == 200
    _shift_session(client, SEEN_AT, 29 * 60)
    assert client.get("/").status_code == 200  # still alive, and the clock restarts
    _shift_session(client, SEEN_AT, 31 * 60)
    response = client.get("/")
    assert (response.status_code, response["Location"]) == (302, f"{LOGIN}?next=/")
    assert _events("auth.logout")[-1].actor == "collector_a"


def test_a_session_ends_eight_hours_after_login_however_busy(client: Client) -> None:
    client.force_login(make_user("collector_a"))
    _shift_session(client, LOGIN_AT, 8 * 3600 - 60)
    assert client.get("/").status_code == 200
    _shift_session(client, LOGIN_AT, 8 * 3600 + 1)
    assert client.get("/").status_code == 302
    assert client.get("/api/portfolio/loans").status_code == 401


def test_pages_carry_the_security_headers(client: Client) -> None:
    response = client.get(LOGIN)
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


def test_the_session_cookie_is_http_only(client: Client) -> None:
    make_user("collector_a")
    _login(client, "collector_a")
    assert client.cookies["sessionid"]["httponly"] is True


def test_passwords_are_hashed_with_argon2_outside_the_tests() -> None:
    base = importlib.import_module("config.settings.base")
    assert base.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    assert base.AUTHENTICATION_BACKENDS[0] == "axes.backends.AxesStandaloneBackend"
    with override_settings(PASSWORD_HASHERS=base.PASSWORD_HASHERS):
        assert make_password("pw-Test-12345").startswith("argon2$argon2id$")


def test_production_settings_make_cookies_secure_and_refuse_the_demo(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Whatever else production insists on (keys, secrets) gets a placeholder.
    source = (Path(__file__).parents[2] / "config" / "settings" / "production.py").read_text()
    for name in re.findall(r'_required\("(\w+)"\)', source):
        monkeypatch.setenv(name, "placeholder-" + "x" * 40)
    monkeypatch.setenv("DATABASE_URL", "postgres://u:p@db:5432/autocollect")
    monkeypatch.delenv("AUTOCOLLECT_SSL_REDIRECT", raising=False)
    production = importlib.reload(importlib.import_module("config.settings.production"))
    assert production.SESSION_COOKIE_SECURE
    assert production.CSRF_COOKIE_SECURE
    assert production.SECURE_SSL_REDIRECT is True
    assert production.SECURE_HSTS_SECONDS >= 31_536_000
    assert production.SESSION_COOKIE_AGE == 8 * 3600
    assert production.DEMO_ALLOWED is False


def test_the_demo_refuses_to_run_under_production_settings(settings: object) -> None:
    from django.core.management import CommandError, call_command

    settings.DEMO_ALLOWED = False  # type: ignore[attr-defined]
    with pytest.raises(CommandError, match="DEMO_ALLOWED is false"):
        call_command("demo", "--no-serve")
    assert not User.objects.filter(username__in=["admin", "collector1"]).exists()
