"""Local default: SQLite file under ``var/``, debug on, demo-friendly."""

from __future__ import annotations

import os

from .base import *  # noqa: F403
from .base import AUTOCOLLECT, VAR_DIR, database_from_env

DEBUG = os.environ.get("AUTOCOLLECT_DEBUG", "1") == "1"
# A fixed development key is fine here: this settings module refuses nothing, but
# ``production`` requires a real key from the environment.
SECRET_KEY = os.environ.get("SECRET_KEY", "autocollect-local-development-only")
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]"]
DATABASES = {"default": database_from_env(VAR_DIR / "autocollect.sqlite3")}
DEMO_ALLOWED = True

# On a local machine texts and e-mails are kept as files under var/channels/ (sms/*.json, the
# signed request a gateway would get; email/*.eml, the message an SMTP server would get) unless
# a gateway or an SMTP server is configured in the environment (docs/channels.md).
_SINKS = {
    "sms": ("AUTOCOLLECT_SMS_ENDPOINT", "autocollect.channels.sink.build_sms_sink"),
    "email": ("AUTOCOLLECT_SMTP_HOST", "autocollect.channels.sink.build_email_sink"),
}
AUTOCOLLECT = {
    **AUTOCOLLECT,
    "CHANNELS": {
        "ADAPTERS": {
            channel: sink for channel, (env, sink) in _SINKS.items() if not os.environ.get(env)
        }
    },
}
# Field encryption and blind-index keys (docs/privacy.md): from the environment when set, else
# INSECURE development keys derived from public labels, so that the local demo runs without
# set-up. Never use these for real data; the production settings refuse them.
AUTOCOLLECT_FIELD_KEYS = [
    k for k in os.environ.get("AUTOCOLLECT_FIELD_KEYS", "").split(",") if k.strip()
] or ["insecure-dev:field-key-1"]
AUTOCOLLECT_BLIND_INDEX_KEY = os.environ.get(
    "AUTOCOLLECT_BLIND_INDEX_KEY", "insecure-dev:blind-index-key"
)
# The audit chain's HMAC keys (docs/audit.md), the same way: an INSECURE development key from a
# public label unless the environment gives real ones. With it the chain still catches edits
# and deletions, but anyone can re-seal a rewrite; production refuses it.
AUTOCOLLECT_AUDIT_KEYS = [
    k for k in os.environ.get("AUTOCOLLECT_AUDIT_KEYS", "").split(",") if k.strip()
] or ["insecure-dev:audit-key-1"]
