"""Channel settings: ``settings.AUTOCOLLECT["CHANNELS"]`` over the defaults below.

Every key is optional; docs/channels.md lists them. Secrets (the SMS signing key, the SMTP
password) are never committed: when the settings leave them empty they are read from the
environment (``AUTOCOLLECT_SMS_SECRET``, ``AUTOCOLLECT_SMTP_PASSWORD`` …), so that a deployment
can inject them without a settings change.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings


@dataclass(frozen=True, slots=True)
class SmsConfig:
    endpoint: str
    app_key: str
    secret: str
    timeout: float
    callback_url: str
    provider: str
    signature_header: str


@dataclass(frozen=True, slots=True)
class EmailConfig:
    host: str
    port: int
    username: str
    password: str
    use_tls: bool
    use_ssl: bool
    timeout: float
    from_address: str
    message_id_domain: str
    unsubscribe: str


@dataclass(frozen=True, slots=True)
class OutboxConfig:
    max_attempts: int
    retry_base_seconds: float
    retry_max_seconds: float
    lease_seconds: float
    sweep_after_seconds: float
    # Ask the contact gate again just before each send (docs/channels.md, "The gate at send
    # time"). Only tests of the transport itself turn it off.
    gate_at_send: bool


@dataclass(frozen=True, slots=True)
class LenderConfig:
    name: dict[str, str]
    hotline: str
    payment_channels: dict[str, str]
    address: dict[str, str]

    def name_in(self, language: str) -> str:
        return self.name.get(language) or self.name["zh-hans"]

    def payment_channels_in(self, language: str) -> str:
        return self.payment_channels.get(language) or self.payment_channels["zh-hans"]

    def address_in(self, language: str) -> str:
        return self.address.get(language) or self.address.get("zh-hans", "")


DEFAULTS: dict[str, Any] = {
    # Printed in every message; a lender replaces these with its own registered name, its
    # published hotline and its official repayment channels (never a personal account).
    "LENDER": {
        "NAME": {"zh-hans": "示例汽车金融有限公司", "en": "Example Auto Finance Co., Ltd."},
        "HOTLINE": "400-000-0000",
        "PAYMENT_CHANNELS": {
            "zh-hans": "官方App“还款”页面或合同约定的银行代扣账户",
            "en": "the Repay page of our official app or the bank account named in your contract",
        },
        "ADDRESS": {"zh-hans": "", "en": ""},
    },
    "SMS": {
        "ENDPOINT": "",
        "APP_KEY": "",
        "SECRET": "",
        "TIMEOUT": 5.0,
        "CALLBACK_URL": "",
        "PROVIDER": "sms",
        "SIGNATURE_HEADER": "X-Signature",
    },
    "EMAIL": {
        "HOST": "localhost",
        "PORT": 25,
        "USERNAME": "",
        "PASSWORD": "",
        "USE_TLS": False,
        "USE_SSL": False,
        "TIMEOUT": 10.0,
        "FROM": "催收提醒 <noreply@autocollect.invalid>",
        "MESSAGE_ID_DOMAIN": "autocollect.invalid",
        "UNSUBSCRIBE": "",
    },
    "OUTBOX": {
        "MAX_ATTEMPTS": 8,
        "RETRY_BASE_SECONDS": 30.0,
        "RETRY_MAX_SECONDS": 3600.0,
        # Longer than any adapter's timeout: a row claimed by a dispatcher that died is taken
        # over only after this, so a live dispatcher is never overtaken mid-send.
        "LEASE_SECONDS": 120.0,
        "SWEEP_AFTER_SECONDS": 300.0,
        "GATE_AT_SEND": True,
    },
    "MEDIA_DIR": "",
    "ESPEAK": "espeak-ng",
}

# Settings key → environment variable read when the setting is empty.
_ENV = {
    ("SMS", "ENDPOINT"): "AUTOCOLLECT_SMS_ENDPOINT",
    ("SMS", "APP_KEY"): "AUTOCOLLECT_SMS_APP_KEY",
    ("SMS", "SECRET"): "AUTOCOLLECT_SMS_SECRET",
    ("SMS", "CALLBACK_URL"): "AUTOCOLLECT_SMS_CALLBACK_URL",
    ("EMAIL", "HOST"): "AUTOCOLLECT_SMTP_HOST",
    ("EMAIL", "PORT"): "AUTOCOLLECT_SMTP_PORT",
    ("EMAIL", "USERNAME"): "AUTOCOLLECT_SMTP_USERNAME",
    ("EMAIL", "PASSWORD"): "AUTOCOLLECT_SMTP_PASSWORD",
}


def _configured() -> dict[str, Any]:
    autocollect = getattr(settings, "AUTOCOLLECT", {}) or {}
    return dict(autocollect.get("CHANNELS", {}) or {})


def section(name: str) -> dict[str, Any]:
    """One section (``SMS``, ``EMAIL`` …): defaults, then settings, then the environment for
    the keys the settings leave empty."""
    merged = {**DEFAULTS[name], **(_configured().get(name) or {})}
    for (sec, key), env in _ENV.items():
        if sec == name and merged.get(key) in ("", None) and os.environ.get(env):
            merged[key] = os.environ[env]
    return merged


def sms_config() -> SmsConfig:
    raw = section("SMS")
    return SmsConfig(
        endpoint=str(raw["ENDPOINT"]),
        app_key=str(raw["APP_KEY"]),
        secret=str(raw["SECRET"]),
        timeout=float(raw["TIMEOUT"]),
        callback_url=str(raw["CALLBACK_URL"]),
        provider=str(raw["PROVIDER"]),
        signature_header=str(raw["SIGNATURE_HEADER"]),
    )


def email_config() -> EmailConfig:
    raw = section("EMAIL")
    return EmailConfig(
        host=str(raw["HOST"]),
        port=int(raw["PORT"]),
        username=str(raw["USERNAME"]),
        password=str(raw["PASSWORD"]),
        use_tls=bool(raw["USE_TLS"]),
        use_ssl=bool(raw["USE_SSL"]),
        timeout=float(raw["TIMEOUT"]),
        from_address=str(raw["FROM"]),
        message_id_domain=str(raw["MESSAGE_ID_DOMAIN"]),
        unsubscribe=str(raw["UNSUBSCRIBE"]),
    )


def outbox_config() -> OutboxConfig:
    raw = section("OUTBOX")
    return OutboxConfig(
        max_attempts=int(raw["MAX_ATTEMPTS"]),
        retry_base_seconds=float(raw["RETRY_BASE_SECONDS"]),
        retry_max_seconds=float(raw["RETRY_MAX_SECONDS"]),
        lease_seconds=float(raw["LEASE_SECONDS"]),
        sweep_after_seconds=float(raw["SWEEP_AFTER_SECONDS"]),
        gate_at_send=bool(raw["GATE_AT_SEND"]),
    )


def lender_config() -> LenderConfig:
    raw = section("LENDER")
    return LenderConfig(
        name=dict(raw["NAME"]),
        hotline=str(raw["HOTLINE"]),
        payment_channels=dict(raw["PAYMENT_CHANNELS"]),
        address=dict(raw.get("ADDRESS") or {}),
    )


def media_dir() -> Path:
    """Where generated audio and letters are kept (``VAR_DIR/channels`` unless configured)."""
    configured = _configured().get("MEDIA_DIR") or DEFAULTS["MEDIA_DIR"]
    if configured:
        return Path(configured)
    return Path(getattr(settings, "VAR_DIR", Path.cwd() / "var")) / "channels"


def espeak_binary() -> str:
    return str(_configured().get("ESPEAK") or DEFAULTS["ESPEAK"])
