"""The keys of the audit trail, all kept outside the database (docs/audit.md).

* **Chain keys** (``AUTOCOLLECT_AUDIT_KEYS``): HMAC-SHA256 keys in the format of the field keys
  (32 random bytes in base64url, ``autocollect keys generate``; ``insecure-dev:<label>`` for the
  local demo and the tests only, refused by the production settings). The first key seals new
  events and checkpoints; every listed key verifies, by the key id stored with each event
  (``core.crypto.key_id``: 8 hex digits of a hash of the key). A retired key stays listed for
  as long as events sealed with it exist — there is no re-sealing, which would launder a
  tampered chain.
* **Checkpoint signing key**: an Ed25519 key pair in PEM files (``autocollect audit signing-key``);
  the private key signs on request (``autocollect audit checkpoint --sign``), the public key
  verifies.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver

from autocollect.core.crypto import key_id, parse_key


@dataclass(frozen=True, slots=True)
class ChainKeys:
    current: str
    keys: dict[str, bytes]

    def mac(self, kid: str, payload: bytes) -> str | None:
        """HMAC-SHA256 of ``payload`` under the key ``kid`` (None: no such key)."""
        key = self.keys.get(kid)
        return None if key is None else hmac.digest(key, payload, "sha256").hex()


def _configured() -> list[str]:
    value = getattr(settings, "AUTOCOLLECT_AUDIT_KEYS", None)
    if isinstance(value, str):
        value = value.split(",")
    keys = [k.strip() for k in value or [] if k and k.strip()]
    if not keys:
        raise ImproperlyConfigured(
            "AUTOCOLLECT_AUDIT_KEYS is not set: the audit chain cannot be sealed"
        )
    return keys


@lru_cache(maxsize=1)
def chain_keys() -> ChainKeys:
    """The configured chain keys (read once; a change of the setting resets them)."""
    raw = [parse_key(k) for k in _configured()]
    keys = {key_id(k): k for k in raw}
    if len(keys) != len(raw):
        raise ImproperlyConfigured("AUTOCOLLECT_AUDIT_KEYS lists the same key twice")
    return ChainKeys(current=key_id(raw[0]), keys=keys)


@receiver(setting_changed)
def _reset(*, setting: str, **kwargs: object) -> None:
    if setting == "AUTOCOLLECT_AUDIT_KEYS":
        chain_keys.cache_clear()


# --- checkpoint signatures -------------------------------------------------------------------


def public_key_id(public: Ed25519PublicKey) -> str:
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(b"autocollect audit signing key/" + raw).hexdigest()[:8]


def signing_key_generate(private_path: Path) -> Path:
    """Write a new Ed25519 key pair: the private key to ``private_path`` (mode 0600, refused if
    the file exists) and the public key beside it (``*.pub.pem``); returns the public key's
    path."""
    private = Ed25519PrivateKey.generate()
    private_path.parent.mkdir(parents=True, exist_ok=True)
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    descriptor = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(pem)
    public_path = private_path.with_suffix(".pub.pem")
    public_path.write_bytes(
        private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return public_path


def signing_key_load(path: Path) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as exc:
        raise ImproperlyConfigured(f"cannot read the signing key {path}: {exc}") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise ImproperlyConfigured(f"{path} is not an Ed25519 private key")
    return key


def verify_key_load(path: Path) -> Ed25519PublicKey:
    try:
        key = serialization.load_pem_public_key(path.read_bytes())
    except (OSError, ValueError) as exc:
        raise ImproperlyConfigured(f"cannot read the public key {path}: {exc}") from exc
    if not isinstance(key, Ed25519PublicKey):
        raise ImproperlyConfigured(f"{path} is not an Ed25519 public key")
    return key
