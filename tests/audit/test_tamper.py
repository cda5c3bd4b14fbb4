"""The audit trail survives truncation and rewrite (issue 13, item 3).

The chain is keyed (HMAC-SHA256, the key outside the database) and its head is written after
commit to checkpoints outside the database (a JSON-lines file here, real), optionally signed
with Ed25519. ``autocollect audit verify`` walks the chain and compares it with every checkpoint.
Each attack below is done the way an attacker with write access to the database would do it:
plain SQL on the real tables, with no key.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction

from autocollect.audit.models import GENESIS_HASH, AuditChainHead, AuditEvent
from autocollect.audit.services import audit_record, audit_verify, event_hash
from autocollect.core import hooks
from autocollect.core.crypto import generate_key, key_id, parse_key

# Real commits: checkpoints are written by ``on_commit``, which a test wrapped in one
# transaction would never reach.
pytestmark = pytest.mark.django_db(transaction=True)

KEY_A = "insecure-dev:audit-test-key-a"
KEY_B = generate_key()
AS_OF = date(2026, 12, 8)


@pytest.fixture
def trail(tmp_path: Path, settings: Any) -> Path:
    """Checkpoints in a real file under ``tmp_path``, one every 5 events; key A signs."""
    path = tmp_path / "checkpoints.jsonl"
    settings.AUTOCOLLECT = {
        **settings.AUTOCOLLECT,
        "AUDIT": {"CHECKPOINT_PATH": str(path), "CHECKPOINT_EVERY": 5},
    }
    settings.AUTOCOLLECT_AUDIT_KEYS = [KEY_A]
    return path


def _record(n: int, start: int = 0) -> list[AuditEvent]:
    return [
        audit_record(
            actor="lead.li",
            action="loan.pause",
            object_type="portfolio.loan",
            object_id=str(start + i),
            after={"amount_fen": 1000 * (start + i), "note": "客户有异议"},
            reason="争议调查",
        )
        for i in range(n)
    ]


def _sql(statement: str, *params: str | int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def _verify(*args: str) -> str:
    out = io.StringIO()
    call_command("audit", "verify", *args, stdout=out)
    return out.getvalue()


def _broken(*args: str) -> str:
    with pytest.raises(CommandError) as caught:
        _verify(*args)
    return str(caught.value)


def _lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line]


def _rewind_head(to: AuditEvent | None, count: int) -> None:
    _sql(
        "UPDATE audit_auditchainhead SET count = %s, last_hash = %s, last_id = %s WHERE id = 1",
        count,
        to.hash if to else GENESIS_HASH,
        to.pk if to else 0,
    )


def _rehash_without_key(*, edit: int | None, key_column: str | None) -> None:
    """What an attacker without the key can do: recompute every hash with plain SHA-256 after
    editing a row (``edit``), relink the chain and move the head. ``key_column``: what to
    write in the key id column (None: leave it)."""
    prev = GENESIS_HASH
    for event in AuditEvent.objects.order_by("id"):
        if event.pk == edit:
            event.reason = "已撤销"
        digest = event_hash(
            prev_hash=prev, at=event.at, actor=event.actor, action=event.action,
            object_type=event.object_type, object_id=event.object_id, before=event.before,
            after=event.after, reason=event.reason,
        )  # fmt: skip
        if key_column is None:
            _sql(
                "UPDATE audit_auditevent SET reason = %s, prev_hash = %s, hash = %s WHERE id = %s",
                event.reason, prev, digest, event.pk,
            )  # fmt: skip
        else:
            _sql(
                "UPDATE audit_auditevent SET reason = %s, prev_hash = %s, hash = %s, key_id = %s"
                " WHERE id = %s",
                event.reason, prev, digest, key_column, event.pk,
            )  # fmt: skip
        prev = digest
    last = AuditEvent.objects.order_by("id").last()
    _rewind_head(last, AuditEvent.objects.count())


# --- (a) the newest events deleted and the head row rewound ---------------------------------


def test_a_deleted_tail_with_the_head_rewound_is_named_by_the_checkpoint(trail: Path) -> None:
    events = _record(12)
    assert [line["count"] for line in _lines(trail)] == [5, 10]
    call_command("audit", "checkpoint", stdout=io.StringIO())
    assert _lines(trail)[-1]["count"] == 12
    assert "intact: 12 events" in _verify()

    _sql("DELETE FROM audit_auditevent WHERE id >= %s", events[10].pk)
    _rewind_head(events[9], 10)
    assert audit_verify().ok  # the database alone cannot tell
    message = _broken()
    assert "events 11–12 missing" in message
    assert "recorded 12 events ending in id " + str(events[11].pk) in message
    assert events[11].hash[:12] in message
    assert "the database has 10" in message


def test_a_deleted_tail_replaced_by_new_events_is_named_too(trail: Path) -> None:
    events = _record(10)
    _sql("DELETE FROM audit_auditevent WHERE id >= %s", events[7].pk)
    _rewind_head(events[6], 7)
    _record(5, start=100)  # the chain goes on from the rewound head, past the checkpoint
    assert audit_verify().ok
    message = _broken()
    assert "event 10 differs from the checkpoint" in message
    assert f"id {events[9].pk}" in message


def test_a_chain_deleted_entirely_is_named(trail: Path) -> None:
    _record(6)
    _sql("DELETE FROM audit_auditevent")
    _rewind_head(None, 0)
    assert "events 1–5 missing" in _broken()


# --- (b) a full rewrite without the key --------------------------------------------------------


def test_a_full_rewrite_with_plain_sha256_fails_at_the_first_event(settings: Any) -> None:
    settings.AUTOCOLLECT_AUDIT_KEYS = [KEY_A]
    events = _record(4)
    _rehash_without_key(edit=events[1].pk, key_column=None)
    report = audit_verify()
    assert not report.ok
    assert report.first_broken_id == events[0].pk
    assert "does not match its hash" in report.problem
    assert f"audit chain broken at event {events[0].pk}" in _broken()


def test_a_full_rewrite_relabelled_as_the_legacy_scheme_fails_at_the_first_event(
    settings: Any,
) -> None:
    settings.AUTOCOLLECT_AUDIT_KEYS = [KEY_A]
    events = _record(4)
    _rehash_without_key(edit=events[1].pk, key_column="")
    report = audit_verify()
    assert not report.ok
    assert report.first_broken_id == events[0].pk
    assert "unkeyed legacy scheme" in report.problem


def test_a_full_rewrite_is_also_caught_by_the_checkpoints(trail: Path) -> None:
    events = _record(5)
    _rehash_without_key(edit=events[1].pk, key_column="")
    message = _broken()
    assert f"audit chain broken at event {events[0].pk}" in message
    assert "event 5 differs from the checkpoint" in message


# --- (c) an edited event -----------------------------------------------------------------------


def test_an_edited_event_fails_under_the_key(trail: Path) -> None:
    events = _record(6)
    _sql("UPDATE audit_auditevent SET after = %s WHERE id = %s", '{"amount_fen": 1}', events[3].pk)
    report = audit_verify()
    assert (report.ok, report.first_broken_id) == (False, events[3].pk)
    assert f"audit chain broken at event {events[3].pk}" in _broken()


def test_moving_an_event_to_another_configured_key_fails(settings: Any) -> None:
    settings.AUTOCOLLECT_AUDIT_KEYS = [KEY_A, KEY_B]
    events = _record(3)
    _sql(
        "UPDATE audit_auditevent SET key_id = %s WHERE id = %s",
        key_id(parse_key(KEY_B)),
        events[1].pk,
    )
    assert audit_verify().first_broken_id == events[1].pk


# --- (d) signed checkpoints ----------------------------------------------------------------------


def _signing_keys(tmp_path: Path) -> tuple[Path, Path]:
    private = tmp_path / "keys" / "audit-signing.pem"
    call_command("audit", "signing-key", "--out", str(private), stdout=io.StringIO())
    public = private.with_suffix(".pub.pem")
    assert private.stat().st_mode & 0o077 == 0
    assert public.exists()
    return private, public


def test_signed_checkpoints_verify_with_the_public_key(trail: Path, tmp_path: Path) -> None:
    private, public = _signing_keys(tmp_path)
    _record(7)
    call_command("audit", "checkpoint", "--sign", "--key", str(private), stdout=io.StringIO())
    lines = _lines(trail)
    assert [(line["count"], "sig" in line) for line in lines] == [(5, False), (7, True)]
    output = _verify("--public-key", str(public))
    assert "2 checkpoints agree (1 signed)" in output


@pytest.mark.parametrize("tamper", ["signature", "count"])
def test_a_tampered_signed_checkpoint_fails(trail: Path, tmp_path: Path, tamper: str) -> None:
    private, public = _signing_keys(tmp_path)
    _record(3)
    call_command("audit", "checkpoint", "--sign", "--key", str(private), stdout=io.StringIO())
    text = trail.read_text("utf-8").splitlines()
    line = json.loads(text[-1])
    if tamper == "signature":
        line["sig"] = ("A" if line["sig"][0] != "A" else "B") + line["sig"][1:]
    else:
        line["count"] = 2
    text[-1] = json.dumps(line, separators=(",", ":"), sort_keys=True)
    trail.write_text("\n".join(text) + "\n", "utf-8")
    message = _broken("--public-key", str(public))
    assert "checkpoint line 1" in message
    assert "signature is invalid" in message or "MAC does not match" in message


def test_a_signed_checkpoint_fails_against_another_public_key(trail: Path, tmp_path: Path) -> None:
    private, _ = _signing_keys(tmp_path)
    _, other = _signing_keys(tmp_path / "other")
    _record(2)
    call_command("audit", "checkpoint", "--sign", "--key", str(private), stdout=io.StringIO())
    assert "signature is invalid" in _broken("--public-key", str(other))


def test_a_checkpoint_line_removed_from_the_middle_is_named(trail: Path) -> None:
    _record(16)
    text = trail.read_text("utf-8").splitlines()
    assert len(text) == 3
    trail.write_text("\n".join([text[0], text[2]]) + "\n", "utf-8")
    assert "checkpoint line 2: the line before it was altered or removed" in _broken()


@pytest.mark.parametrize("removed", ["the newest line", "the file"])
def test_checkpoints_removed_from_the_end_are_named(trail: Path, removed: str) -> None:
    _record(12)
    text = trail.read_text("utf-8").splitlines()
    assert len(text) == 2
    if removed == "the file":
        trail.unlink()
    else:
        trail.write_text(text[0] + "\n", "utf-8")
    newest = 0 if removed == "the file" else 5
    assert f"no checkpoint records event 10 or later (the newest records {newest}" in _broken()
    call_command("audit", "checkpoint", stdout=io.StringIO())  # the next one covers the gap
    assert "intact: 12 events" in _verify()


def test_a_forged_checkpoint_line_without_the_key_is_named(trail: Path) -> None:
    _record(5)
    line = _lines(trail)[0]
    line["count"], line["last_id"] = 4, line["last_id"] - 1
    trail.write_text(json.dumps(line) + "\n", "utf-8")
    assert "checkpoint line 1: altered (its MAC does not match)" in _broken()


# --- (e) a rolled-back transaction leaves no checkpoint ----------------------------------------


class _AbortError(Exception):
    pass


@transaction.atomic
def _rolled_back(work: Callable[[], object]) -> None:
    work()
    raise _AbortError


def test_a_rolled_back_transaction_leaves_no_checkpoint(trail: Path) -> None:
    with pytest.raises(_AbortError):
        _rolled_back(lambda: _record(12))
    assert not trail.exists() or _lines(trail) == []
    assert AuditEvent.objects.count() == 0
    _record(5)  # each in its own transaction, committed
    assert [line["count"] for line in _lines(trail)] == [5]
    assert "intact: 5 events" in _verify()


def test_the_daily_cycle_writes_a_checkpoint_after_its_transaction(trail: Path) -> None:
    _record(2)
    with pytest.raises(_AbortError):
        _rolled_back(lambda: hooks.cycle_date_judged.call(as_of=AS_OF))
    assert not trail.exists() or _lines(trail) == []
    with transaction.atomic():
        hooks.cycle_date_judged.call(as_of=AS_OF)
    assert [line["count"] for line in _lines(trail)] == [2]


# --- (f) key rotation -------------------------------------------------------------------------


def test_events_under_two_keys_verify_and_a_dropped_key_is_named(
    trail: Path, settings: Any
) -> None:
    _record(3)
    settings.AUTOCOLLECT_AUDIT_KEYS = [KEY_B, KEY_A]  # B is the new key; A still verifies
    _record(4, start=10)
    call_command("audit", "checkpoint", stdout=io.StringIO())
    kids = list(AuditEvent.objects.order_by("id").values_list("key_id", flat=True))
    a, b = key_id(parse_key(KEY_A)), key_id(parse_key(KEY_B))
    assert kids == [a] * 3 + [b] * 4
    assert [line["key_id"] for line in _lines(trail)] == [b, b]
    assert "intact: 7 events" in _verify()

    settings.AUTOCOLLECT_AUDIT_KEYS = [KEY_B]  # key A removed while its events remain
    report = audit_verify()
    assert not report.ok
    assert f"audit key {a}" in report.problem


# --- databases from before the keyed chain ----------------------------------------------------


def _legacy_chain(n: int) -> list[AuditEvent]:
    """Events as the unkeyed scheme wrote them, before this change."""
    _record(n)
    _rehash_without_key(edit=None, key_column="")
    return list(AuditEvent.objects.order_by("id"))


def test_legacy_events_verify_only_within_the_configured_count(settings: Any, trail: Path) -> None:
    legacy = _legacy_chain(3)
    assert {e.key_id for e in legacy} == {""}
    settings.AUTOCOLLECT = {
        **settings.AUTOCOLLECT,
        "AUDIT": {**settings.AUTOCOLLECT["AUDIT"], "LEGACY_EVENTS": 3},
    }
    keyed = _record(2)  # the first keyed event seals the legacy part through its link
    assert keyed[0].prev_hash == legacy[-1].hash
    assert "intact: 5 events (3 legacy" in _verify()

    # A keyed event relabelled as legacy (rehashed without the key) is past the legacy part.
    _rehash_without_key(edit=None, key_column="")
    report = audit_verify()
    assert (report.ok, report.first_broken_id) == (False, keyed[0].pk)
    assert "unkeyed legacy scheme" in report.problem


def test_the_chain_head_row_records_the_last_event_id(settings: Any) -> None:
    settings.AUTOCOLLECT_AUDIT_KEYS = [KEY_A]
    events = _record(3)
    head = AuditChainHead.objects.get(pk=1)
    assert (head.count, head.last_hash, head.last_id) == (3, events[-1].hash, events[-1].pk)


def test_the_migration_keeps_old_events_as_legacy_and_the_next_keyed_event_seals_them(
    settings: Any,
) -> None:
    """A database from before the keyed chain: its events stay as they were (nothing is
    re-sealed), verify accepts them only when LEGACY_EVENTS says how many there are."""
    call_command("migrate", "audit", "0001", verbosity=0)
    try:
        prev = GENESIS_HASH
        for i in range(3):
            at = datetime(2026, 11, 1, 9, i, tzinfo=UTC)
            content: dict[str, Any] = {
                "prev_hash": prev, "at": at, "actor": "old", "action": "loan.pause",
                "object_type": "portfolio.loan", "object_id": str(i), "before": None,
                "after": {"n": i}, "reason": "",
            }  # fmt: skip
            digest = event_hash(**content)
            _sql(
                "INSERT INTO audit_auditevent (at, actor, action, object_type, object_id, before,"
                " after, reason, prev_hash, hash) VALUES (%s, 'old', 'loan.pause',"
                " 'portfolio.loan', %s, NULL, %s, '', %s, %s)",
                at.isoformat(), str(i), json.dumps({"n": i}), prev, digest,
            )  # fmt: skip
            prev = digest
        _sql("INSERT INTO audit_auditchainhead (id, last_hash, count) VALUES (1, %s, 3)", prev)
    finally:
        call_command("migrate", "audit", verbosity=0, stdout=io.StringIO())
    head = AuditChainHead.objects.get(pk=1)
    last = AuditEvent.objects.order_by("id").last()
    assert last is not None
    assert (head.count, head.last_id) == (3, last.pk)
    assert set(AuditEvent.objects.values_list("key_id", flat=True)) == {""}
    assert "unkeyed legacy scheme" in _broken()

    settings.AUTOCOLLECT = {**settings.AUTOCOLLECT, "AUDIT": {"LEGACY_EVENTS": 3}}
    assert "intact: 3 events (3 legacy)" in _verify()
    keyed = _record(1)[0]
    assert keyed.prev_hash == prev
    assert keyed.key_id
    assert "intact: 4 events (3 legacy, 1 under key " in _verify()
    # An old event edited and re-hashed (no key needed for the legacy scheme): the keyed
    # event after it no longer links to it, and its HMAC cannot be redone without the key.
    forged = {**content, "after": {"n": 9}}
    _sql(
        "UPDATE audit_auditevent SET after = %s, hash = %s WHERE id = %s",
        json.dumps({"n": 9}), event_hash(**forged), last.pk,
    )  # fmt: skip
    message = _broken()
    assert f"audit chain broken at event {keyed.pk}: the event before it was altered" in message
