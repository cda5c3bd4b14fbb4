"""Writing to and checking the audit trail (docs/audit.md).

``audit_record`` appends one event sealed with HMAC-SHA256 under the current chain key
(``audit/keys.py``) and, every ``CHECKPOINT_EVERY``-th event, asks for a checkpoint after commit
(``audit/checkpoints.py``). ``audit_verify`` walks the chain in the database; ``trail_verify``
also compares it with every checkpoint written outside the database.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.db import models, transaction
from django.utils import timezone

from autocollect.audit import conf
from autocollect.audit.checkpoints import (
    Checkpoint,
    checkpoint_after_commit,
    checkpoints_read,
    configured_sink,
)
from autocollect.audit.keys import ChainKeys, chain_keys
from autocollect.audit.models import GENESIS_HASH, AuditChainHead, AuditEvent
from autocollect.core import clock
from autocollect.core.crypto import key_id as key_id_of


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def _payload(
    *,
    prev_hash: str,
    at: datetime,
    actor: str,
    action: str,
    object_type: str,
    object_id: str,
    before: Any,
    after: Any,
    reason: str,
    key_id: str = "",
) -> bytes:
    content = {
        "prev": prev_hash,
        "at": at.astimezone(UTC).isoformat(timespec="microseconds"),
        "actor": actor,
        "action": action,
        "object": f"{object_type}:{object_id}",
        "before": before,
        "after": after,
        "reason": reason,
    }
    if key_id:  # the keyed scheme names its key; the legacy payload is unchanged
        content["key"] = key_id
    return _canonical(content).encode("utf-8")


def event_hash(*, key: bytes | None = None, **content: Any) -> str:
    """The hash of an event's content and link: HMAC-SHA256 under ``key``, or, without a key,
    the unkeyed SHA-256 of the legacy scheme (events written before the chain was keyed)."""
    if key is None:
        return hashlib.sha256(_payload(**content)).hexdigest()
    kid = key_id_of(key)
    return ChainKeys(kid, {kid: key}).mac(kid, _payload(**content, key_id=kid)) or ""


def _sealed(keys: ChainKeys, kid: str, **content: Any) -> str | None:
    """The hash an event with this content must carry under the key ``kid`` ("" for the
    legacy scheme); None when that key is not configured."""
    if not kid:
        return hashlib.sha256(_payload(**content)).hexdigest()
    return keys.mac(kid, _payload(**content, key_id=kid))


def _content(event: AuditEvent) -> dict[str, Any]:
    return {
        "prev_hash": event.prev_hash,
        "at": event.at,
        "actor": event.actor,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "before": event.before,
        "after": event.after,
        "reason": event.reason,
    }


def _normalise(value: Any) -> Any:
    # Round-trip through JSON so that the stored value and the hashed value are the same thing.
    return None if value is None else json.loads(_canonical(value))


@transaction.atomic
def audit_record(
    *,
    actor: str,
    action: str,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    before: Any = None,
    after: Any = None,
    reason: str = "",
) -> AuditEvent:
    """Append one event; joins the caller's transaction so it commits or rolls back with it.
    Every ``CHECKPOINT_EVERY``-th event asks for a checkpoint once the transaction commits."""
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
    keys = chain_keys()
    head, _ = AuditChainHead.objects.select_for_update().get_or_create(pk=1)
    content = {
        "prev_hash": head.last_hash,
        "at": clock.now(),
        "actor": actor,
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
        "before": _normalise(before),
        "after": _normalise(after),
        "reason": reason,
    }
    digest = _sealed(keys, keys.current, **content) or ""
    event = AuditEvent.objects.create(**content, hash=digest, key_id=keys.current)
    head.last_hash = digest
    head.count += 1
    head.last_id = event.pk
    head.save(update_fields=["last_hash", "count", "last_id"])
    every = conf.checkpoint_every()
    if every and head.count % every == 0:
        checkpoint_after_commit()
    return event


@dataclass(frozen=True, slots=True)
class ChainReport:
    """The chain in the database: ``problem`` names the first broken link (at
    ``first_broken_id``, or the chain head when None). ``by_key`` counts the events per key id
    ("" for the legacy scheme); ``found`` holds the (id, hash) of the events at the positions
    asked for (1-based), for the comparison with the checkpoints."""

    ok: bool
    events: int
    first_broken_id: int | None = None
    problem: str = ""
    by_key: dict[str, int] = field(default_factory=dict)
    found: dict[int, tuple[int, str]] = field(default_factory=dict)


def _events() -> Iterator[AuditEvent]:
    return AuditEvent.objects.order_by("id").iterator(chunk_size=2000)


@dataclass(slots=True)
class _Walk:
    keys: ChainKeys
    legacy_allowed: int
    prev: str = GENESIS_HASH
    count: int = 0
    keyed_seen: bool = False

    def problem(self, event: AuditEvent) -> str:
        """What is wrong with the next event of the chain ("" when nothing)."""
        if event.prev_hash != self.prev:
            return "the event before it was altered or removed"
        kid = event.key_id
        if not kid and (self.keyed_seen or self.count > self.legacy_allowed):
            return (
                "it uses the unkeyed legacy scheme (plain SHA-256), allowed only for the first "
                f"{self.legacy_allowed} events, written before the chain was keyed "
                "(AUTOCOLLECT_AUDIT_LEGACY_EVENTS): rewritten without the key?"
            )
        self.keyed_seen = self.keyed_seen or bool(kid)
        expected = _sealed(self.keys, kid, **_content(event))
        if expected is None:
            return (
                f"it is sealed with audit key {kid}, which AUTOCOLLECT_AUDIT_KEYS does not hold "
                "(a retired key removed while its events remain?)"
            )
        if expected != event.hash:
            scheme = f"HMAC-SHA256 under key {kid}" if kid else "legacy SHA-256"
            return f"its content does not match its hash ({scheme})"
        return ""


def audit_verify(positions: frozenset[int] = frozenset()) -> ChainReport:
    """Walk the chain; report the first event that was altered, removed, inserted or sealed
    without the key, and a chain head that does not match the last event. The walk goes on
    after a break to note the events at ``positions``."""
    walk = _Walk(chain_keys(), conf.legacy_events())
    broken: tuple[int, str] | None = None
    by_key: dict[str, int] = {}
    found: dict[int, tuple[int, str]] = {}
    last_id = 0
    for event in _events():
        walk.count += 1
        if broken is None:
            problem = walk.problem(event)
            if problem:
                broken = (event.pk, problem)
        if walk.count in positions:
            found[walk.count] = (event.pk, event.hash)
        by_key[event.key_id] = by_key.get(event.key_id, 0) + 1
        walk.prev, last_id = event.hash, event.pk
    if broken is not None:
        return ChainReport(False, walk.count, broken[0], broken[1], by_key, found)
    head = AuditChainHead.objects.filter(pk=1).first()
    expected = (head.last_hash, head.count, head.last_id) if head else (GENESIS_HASH, 0, 0)
    if expected != (walk.prev, walk.count, last_id):
        return ChainReport(
            False,
            walk.count,
            None,
            f"the chain head expects {expected[1]} events ending in id {expected[2]}, "
            f"{expected[0][:12]}",
            by_key,
            found,
        )
    return ChainReport(True, walk.count, by_key=by_key, found=found)


# --- the chain against its checkpoints ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TrailReport:
    chain: ChainReport
    sink: str  # where the checkpoints were read from; "" when none is configured
    checkpoints: int
    signed: int
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems


def _when(checkpoint: Checkpoint) -> str:
    try:
        return f"{timezone.localtime(datetime.fromisoformat(checkpoint.at)):%Y-%m-%d %H:%M}"
    except ValueError:
        return checkpoint.at


def _compare(chain: ChainReport, checkpoints: list[Checkpoint]) -> list[str]:
    """What the checkpoints recorded that the database no longer holds."""
    problems: list[str] = []
    beyond = [c for c in checkpoints if c.count > chain.events]
    if beyond:
        last = max(beyond, key=lambda c: c.count)
        first = chain.events + 1
        gap = f"event {first}" if first == last.count else f"events {first}–{last.count}"
        problems.append(
            f"{gap} missing: the checkpoint of {_when(last)} recorded {last.count} events "
            f"ending in id {last.last_id} ({last.last_hash[:12]}…), the database has "
            f"{chain.events}"
        )
    for c in sorted(checkpoints, key=lambda c: c.count):
        if 0 < c.count <= chain.events and chain.found.get(c.count) != (c.last_id, c.last_hash):
            db_id, db_hash = chain.found.get(c.count, (0, ""))
            problems.append(
                f"event {c.count} differs from the checkpoint of {_when(c)}: it recorded id "
                f"{c.last_id} ({c.last_hash[:12]}…), the database has id {db_id} "
                f"({db_hash[:12]}…): events before it were removed, replaced or rewritten"
            )
            break
    return problems


def _overdue(chain: ChainReport, checkpoints: list[Checkpoint]) -> str:
    """A checkpoint follows the commit of every N-th keyed event: the newest must record at
    least the last such event the database holds, or lines were removed or never written."""
    every, legacy = conf.checkpoint_every(), conf.legacy_events()
    due = chain.events - chain.events % every if every else 0
    newest = max((c.count for c in checkpoints), default=0)
    if due <= legacy or newest >= due:
        return ""
    return (
        f"no checkpoint records event {due} or later (the newest records {newest}; one is "
        f"written after every {every} events): checkpoint lines removed, or not being written "
        "(see the log; `autocollect audit checkpoint` writes one now)"
    )


def trail_verify(public: Ed25519PublicKey | None = None) -> TrailReport:
    """The chain in the database, then every checkpoint against it: a checkpoint line that was
    altered, forged or removed from the middle, events a checkpoint recorded that the database
    no longer has (a deleted tail, named as the gap), a checkpointed event that differs."""
    sink = configured_sink()
    keys = chain_keys()
    read = checkpoints_read(sink, keys, public) if sink is not None else None
    checkpoints = read.checkpoints if read else []
    chain = audit_verify(frozenset(c.count for c in checkpoints))
    problems: list[str] = []
    if not chain.ok:
        where = f"event {chain.first_broken_id}" if chain.first_broken_id else "chain head"
        problems.append(f"audit chain broken at {where}: {chain.problem}")
    if read is not None:
        overdue = _overdue(chain, checkpoints)
        problems += read.problems + _compare(chain, checkpoints) + ([overdue] if overdue else [])
    return TrailReport(
        chain=chain,
        sink=sink.describe() if sink is not None else "",
        checkpoints=len(checkpoints),
        signed=sum(c.signed for c in checkpoints),
        problems=problems,
    )
