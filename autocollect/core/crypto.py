"""Field-level encryption at rest and blind indexes (docs/privacy.md).

Personal data that identifies or reaches a person (national ID, phone numbers, e-mail and postal
addresses) is stored encrypted; equality lookups (find a borrower by ID, dedupe a contact,
compare numbers in the contact gate) go through a keyed hash of the value, the blind index,
stored beside the ciphertext. PIPL art. 51 asks for encryption and de-identification among the
technical measures, and the CN collection guidelines for protection of debtors' data.

* **Encryption**: AES-256-GCM (authenticated: a changed byte fails decryption), a random 96-bit
  nonce per value. A stored value is ``e1:<key id>:<base64url(nonce ‖ ciphertext ‖ tag)>``; the
  key id (8 hex digits of a hash of the key) says which key of the ring sealed it, so that keys
  can be rotated: the first key of ``AUTOCOLLECT_FIELD_KEYS`` seals, all of them open.
  AES-GCM rather than Fernet: Fernet costs about 70 µs a value in Python against 10 µs, and an
  import of 100,000 loans seals some 350,000 values.
* **Blind index**: HMAC-SHA256 under its own key (``AUTOCOLLECT_BLIND_INDEX_KEY``), over a
  purpose label and the normalised value, as 64 hex digits. The purpose keeps an ID and a phone
  number that happened to be the same string apart. Without the key the index reveals nothing;
  with it, a guessed value can be checked, which is why it is a separate key, kept as carefully.

Keys are 32 random bytes in base64url (``autocollect keys generate``). A key written
``insecure-dev:<label>`` is derived from the label: for the local demo and the tests only, and
refused by the production settings.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver

PREFIX = "e1"
DEV_PREFIX = "insecure-dev:"
KEY_BYTES = 32
NONCE_BYTES = 12
# Purposes of blind indexes: a value indexed for one purpose never matches another purpose.
NATIONAL_ID = "national_id"
CONTACT = "contact"

_BLOCK = 64  # SHA-256 block size, for the precomputed HMAC pads


class DecryptionError(Exception):
    """A stored value could not be opened: unknown key id, altered bytes or not a token."""


def generate_key() -> str:
    """A new random key in the configuration format."""
    return base64.urlsafe_b64encode(os.urandom(KEY_BYTES)).decode("ascii")


def parse_key(spec: str) -> bytes:
    """The 32 key bytes of a configured key (base64url, or ``insecure-dev:<label>``)."""
    text = spec.strip()
    if text.startswith(DEV_PREFIX):
        return hashlib.sha256(("autocollect development key/" + text).encode("utf-8")).digest()
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != KEY_BYTES:
        raise ImproperlyConfigured(
            "an encryption key must be 32 random bytes in base64url "
            "(make one with `autocollect keys generate`)"
        )
    return raw


def is_development_key(spec: str) -> bool:
    return spec.strip().startswith(DEV_PREFIX)


def key_id(key: bytes) -> str:
    return hashlib.sha256(b"autocollect key id/" + key).hexdigest()[:8]


@dataclass(frozen=True, slots=True)
class Keyring:
    current: str
    ciphers: dict[str, AESGCM]
    inner: hashlib._Hash
    outer: hashlib._Hash

    def blind_index(self, purpose: str, normalised: str) -> str:
        inner = self.inner.copy()
        inner.update(purpose.encode("utf-8") + b"\x00" + normalised.encode("utf-8"))
        outer = self.outer.copy()
        outer.update(inner.digest())
        return outer.hexdigest()


def _configured_field_keys() -> list[str]:
    value = getattr(settings, "AUTOCOLLECT_FIELD_KEYS", None)
    if isinstance(value, str):
        value = value.split(",")
    keys = [k.strip() for k in value or [] if k and k.strip()]
    if not keys:
        raise ImproperlyConfigured(
            "AUTOCOLLECT_FIELD_KEYS is not set: personal data cannot be encrypted"
        )
    return keys


def _configured_index_key() -> str:
    value = str(getattr(settings, "AUTOCOLLECT_BLIND_INDEX_KEY", "") or "").strip()
    if not value:
        raise ImproperlyConfigured("AUTOCOLLECT_BLIND_INDEX_KEY is not set")
    return value


def build_keyring(field_keys: Sequence[str], index_key: str) -> Keyring:
    raw = [parse_key(k) for k in field_keys]
    ciphers = {key_id(k): AESGCM(k) for k in raw}
    if len(ciphers) != len(raw):
        raise ImproperlyConfigured("AUTOCOLLECT_FIELD_KEYS lists the same key twice")
    blind = parse_key(index_key)
    if blind in raw:
        raise ImproperlyConfigured(
            "AUTOCOLLECT_BLIND_INDEX_KEY must differ from every AUTOCOLLECT_FIELD_KEYS key"
        )
    padded = blind.ljust(_BLOCK, b"\x00")
    inner = hashlib.sha256(bytes(b ^ 0x36 for b in padded))
    outer = hashlib.sha256(bytes(b ^ 0x5C for b in padded))
    return Keyring(current=key_id(raw[0]), ciphers=ciphers, inner=inner, outer=outer)


@lru_cache(maxsize=1)
def keyring() -> Keyring:
    """The configured keys (read once; tests that change the settings reset it)."""
    return build_keyring(_configured_field_keys(), _configured_index_key())


@receiver(setting_changed)
def _reset_keyring(*, setting: str, **kwargs: object) -> None:
    if setting in ("AUTOCOLLECT_FIELD_KEYS", "AUTOCOLLECT_BLIND_INDEX_KEY"):
        keyring.cache_clear()


def check_configuration() -> None:
    """Raise ``ImproperlyConfigured`` unless the configured keys are usable."""
    keyring.cache_clear()
    keyring()


# --- sealing -------------------------------------------------------------------------------


def encrypt(text: str) -> str:
    """Seal ``text`` with the current key."""
    ring = keyring()
    nonce = os.urandom(NONCE_BYTES)
    sealed = ring.ciphers[ring.current].encrypt(nonce, text.encode("utf-8"), None)
    data = base64.urlsafe_b64encode(nonce + sealed).rstrip(b"=").decode("ascii")
    return f"{PREFIX}:{ring.current}:{data}"


def is_encrypted(value: object) -> bool:
    return isinstance(value, str) and value.startswith(PREFIX + ":") and value.count(":") == 2


def token_key_id(token: str) -> str:
    """The id of the key that sealed ``token``."""
    if not is_encrypted(token):
        raise DecryptionError("not an encrypted value")
    return token.split(":", 2)[1]


def decrypt(token: str) -> str:
    """Open a value sealed by :func:`encrypt` with any key of the ring."""
    ring = keyring()
    if not is_encrypted(token):
        raise DecryptionError("not an encrypted value (was it written around the model field?)")
    _, kid, data = token.split(":", 2)
    cipher = ring.ciphers.get(kid)
    if cipher is None:
        raise DecryptionError(
            f"sealed with key {kid}, which AUTOCOLLECT_FIELD_KEYS does not hold "
            "(a retired key still in use? see docs/privacy.md, key rotation)"
        )
    try:
        raw = base64.urlsafe_b64decode(data + "=" * (-len(data) % 4))
        return cipher.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], None).decode("utf-8")
    except (InvalidTag, binascii.Error, ValueError) as exc:
        raise DecryptionError(f"the value sealed with key {kid} does not open") from exc


def current_key_id() -> str:
    return keyring().current


# --- blind indexes -------------------------------------------------------------------------


def normalise(value: str, purpose: str) -> str:
    """What the index is taken over: IDs upper-case (the check character ``x`` is ``X``),
    e-mail addresses lower-case, surrounding whitespace never."""
    text = value.strip()
    if purpose == NATIONAL_ID:
        return text.upper()
    if "@" in text:
        return text.lower()
    return text


def blind_index(value: str, purpose: str) -> str:
    """The keyed hash of ``value`` for ``purpose``: equal values, equal indexes."""
    return keyring().blind_index(purpose, normalise(value, purpose))


def national_id_index(value: str) -> str:
    """The blind index a borrower is found by (``Borrower.national_id_index``)."""
    return blind_index(value, NATIONAL_ID)


def contact_index(value: str) -> str:
    """The blind index of a phone number, e-mail or postal address, the same wherever it is
    stored (contact points, interactions, gate decisions), so that they can be compared."""
    return blind_index(value, CONTACT)
