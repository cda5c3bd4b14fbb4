"""Field encryption (AES-256-GCM with key ids) and blind indexes (HMAC-SHA256)."""

from __future__ import annotations

import hashlib
import hmac
import os
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from autocollect.core import crypto

OLD = crypto.generate_key()
NEW = crypto.generate_key()
INDEX = crypto.generate_key()


def test_a_sealed_value_opens_to_the_same_text_and_does_not_contain_it():
    token = crypto.encrypt("+8613812345678")
    assert crypto.is_encrypted(token)
    assert "13812345678" not in token
    assert crypto.decrypt(token) == "+8613812345678"


def test_the_same_value_seals_differently_each_time():
    assert crypto.encrypt("110105194912310021") != crypto.encrypt("110105194912310021")


def test_an_altered_value_does_not_open():
    token = crypto.encrypt("110105194912310021")
    prefix, kid, data = token.split(":")
    flipped = data[:-3] + ("A" if data[-3] != "A" else "B") + data[-2:]
    with pytest.raises(crypto.DecryptionError, match="does not open"):
        crypto.decrypt(f"{prefix}:{kid}:{flipped}")


def test_clear_text_is_not_taken_for_a_sealed_value():
    with pytest.raises(crypto.DecryptionError, match="not an encrypted value"):
        crypto.decrypt("+8613812345678")


def test_the_first_key_seals_and_every_key_of_the_ring_opens():
    with override_settings(AUTOCOLLECT_FIELD_KEYS=[OLD], AUTOCOLLECT_BLIND_INDEX_KEY=INDEX):
        old_token = crypto.encrypt("13812345678")
        old_id = crypto.current_key_id()
    with override_settings(AUTOCOLLECT_FIELD_KEYS=[NEW, OLD], AUTOCOLLECT_BLIND_INDEX_KEY=INDEX):
        assert crypto.decrypt(old_token) == "13812345678"
        new_token = crypto.encrypt("13812345678")
        assert crypto.token_key_id(new_token) == crypto.current_key_id() != old_id
        assert crypto.token_key_id(old_token) == old_id
    with (
        override_settings(AUTOCOLLECT_FIELD_KEYS=[NEW], AUTOCOLLECT_BLIND_INDEX_KEY=INDEX),
        pytest.raises(crypto.DecryptionError, match=f"sealed with key {old_id}"),
    ):
        crypto.decrypt(old_token)


def test_the_blind_index_is_hmac_sha256_of_purpose_and_normalised_value():
    with override_settings(AUTOCOLLECT_FIELD_KEYS=[OLD], AUTOCOLLECT_BLIND_INDEX_KEY=INDEX):
        expected = hmac.new(
            crypto.parse_key(INDEX), b"national_id\x0011010519491231002X", hashlib.sha256
        ).hexdigest()
        assert crypto.national_id_index(" 11010519491231002x ") == expected
        # Purposes are kept apart; e-mail addresses compare without case.
        assert crypto.contact_index("11010519491231002X") != expected
        assert crypto.contact_index("Wang@Example.CN") == crypto.contact_index("wang@example.cn")


def test_the_blind_index_depends_on_its_own_key():
    with override_settings(AUTOCOLLECT_FIELD_KEYS=[OLD], AUTOCOLLECT_BLIND_INDEX_KEY=INDEX):
        first = crypto.contact_index("+8613812345678")
    with override_settings(AUTOCOLLECT_FIELD_KEYS=[NEW], AUTOCOLLECT_BLIND_INDEX_KEY=INDEX):
        assert crypto.contact_index("+8613812345678") == first  # field keys do not matter
    with override_settings(AUTOCOLLECT_FIELD_KEYS=[OLD], AUTOCOLLECT_BLIND_INDEX_KEY=NEW):
        assert crypto.contact_index("+8613812345678") != first


@pytest.mark.parametrize(
    ("field_keys", "index_key", "message"),
    [
        ([], INDEX, "AUTOCOLLECT_FIELD_KEYS is not set"),
        ([OLD], "", "AUTOCOLLECT_BLIND_INDEX_KEY is not set"),
        (["not-a-key"], INDEX, "32 random bytes"),
        ([OLD, OLD], INDEX, "same key twice"),
        ([OLD], OLD, "must differ"),
    ],
    # The keys are random per run: name the cases by the refusal, so that every process
    # collecting the tests (pytest-xdist workers) names them alike.
    ids=["no-field-keys", "no-index-key", "not-a-key", "key-twice", "index-key-reused"],
)
def test_unusable_keys_are_refused(field_keys, index_key, message):
    with (
        override_settings(AUTOCOLLECT_FIELD_KEYS=field_keys, AUTOCOLLECT_BLIND_INDEX_KEY=index_key),
        pytest.raises(ImproperlyConfigured, match=message),
    ):
        crypto.check_configuration()
    crypto.keyring.cache_clear()


def _production(**keys: str) -> subprocess.CompletedProcess[str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("AUTOCOLLECT_FIELD_KEYS", "AUTOCOLLECT_BLIND_INDEX_KEY")
    }
    env["AUTOCOLLECT_AUDIT_KEYS"] = crypto.generate_key()  # production needs it (tests/audit)
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.production",
        SECRET_KEY="only-for-this-test",
        DATABASE_URL="postgres://nobody@127.0.0.1:9/none",
        **keys,
    )
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); print('started')"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_production_refuses_to_start_without_real_keys():
    missing = _production()
    assert missing.returncode != 0
    assert "AUTOCOLLECT_FIELD_KEYS must be set in production" in missing.stderr
    development = _production(
        AUTOCOLLECT_FIELD_KEYS="insecure-dev:field-key-1",
        AUTOCOLLECT_BLIND_INDEX_KEY="insecure-dev:blind-index-key",
    )
    assert development.returncode != 0
    assert "development encryption keys" in development.stderr
    real = _production(AUTOCOLLECT_FIELD_KEYS=f"{NEW},{OLD}", AUTOCOLLECT_BLIND_INDEX_KEY=INDEX)
    assert real.returncode == 0, real.stderr
    assert "started" in real.stdout
