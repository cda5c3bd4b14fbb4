"""Settings of the audit trail, read from ``settings.AUTOCOLLECT["AUDIT"]`` (docs/audit.md).

The chain's HMAC keys are a top-level setting of their own, ``AUTOCOLLECT_AUDIT_KEYS``, like the
field-encryption keys (``audit/keys.py``); everything else is here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings

DEFAULTS: dict[str, Any] = {
    # Where checkpoints of the chain head go: a factory called with this block (the file sink
    # by default); None: no checkpoints (the tests, unless a test configures them).
    "CHECKPOINT_SINK": "autocollect.audit.checkpoints.file_sink",
    "CHECKPOINT_PATH": None,  # None: <VAR_DIR>/audit/checkpoints.jsonl
    "CHECKPOINT_EVERY": 100,  # a checkpoint after the commit of every N-th event; 0: never
    "SIGNING_KEY_PATH": None,  # Ed25519 private key (PEM) for `audit checkpoint --sign`
    "VERIFY_KEY_PATH": None,  # its public key (PEM), to verify signed checkpoints
    # Events written before the keyed chain (unkeyed SHA-256) accepted at the start of the
    # chain: 0 on a database created with the keyed chain.
    "LEGACY_EVENTS": 0,
}


def get(key: str) -> Any:
    block = getattr(settings, "AUTOCOLLECT", {}) or {}
    return {**DEFAULTS, **(block.get("AUDIT") or {})}[key]


def block() -> dict[str, Any]:
    configured = getattr(settings, "AUTOCOLLECT", {}) or {}
    return {**DEFAULTS, **(configured.get("AUDIT") or {})}


def checkpoint_path() -> Path:
    configured = get("CHECKPOINT_PATH")
    return (
        Path(configured) if configured else Path(settings.VAR_DIR) / "audit" / "checkpoints.jsonl"
    )


def checkpoint_every() -> int:
    return max(int(get("CHECKPOINT_EVERY") or 0), 0)


def legacy_events() -> int:
    return max(int(get("LEGACY_EVENTS") or 0), 0)


def optional_path(key: str) -> Path | None:
    value = get(key)
    return Path(value) if value else None
