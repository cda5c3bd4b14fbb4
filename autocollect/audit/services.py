"""Writing to and checking the audit chain."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db import models, transaction

from autocollect.audit.models import GENESIS_HASH, AuditChainHead, AuditEvent
from autocollect.core import clock


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def event_hash(
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
) -> str:
    payload = _canonical(
        {
            "prev": prev_hash,
            "at": at.astimezone(UTC).isoformat(timespec="microseconds"),
            "actor": actor,
            "action": action,
            "object": f"{object_type}:{object_id}",
            "before": before,
            "after": after,
            "reason": reason,
        }
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


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
    """Append one event; joins the caller's transaction so it commits or rolls back with it."""
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
    head, _ = AuditChainHead.objects.select_for_update().get_or_create(pk=1)
    at = clock.now()
    before, after = _normalise(before), _normalise(after)
    digest = event_hash(
        prev_hash=head.last_hash,
        at=at,
        actor=actor,
        action=action,
        object_type=object_type,
        object_id=object_id,
        before=before,
        after=after,
        reason=reason,
    )
    event = AuditEvent.objects.create(
        at=at,
        actor=actor,
        action=action,
        object_type=object_type,
        object_id=object_id,
        before=before,
        after=after,
        reason=reason,
        prev_hash=head.last_hash,
        hash=digest,
    )
    head.last_hash = digest
    head.count += 1
    head.save(update_fields=["last_hash", "count"])
    return event


@dataclass(frozen=True, slots=True)
class ChainReport:
    ok: bool
    events: int
    first_broken_id: int | None = None
    problem: str = ""


def _events() -> Iterator[AuditEvent]:
    return AuditEvent.objects.order_by("id").iterator(chunk_size=2000)


def audit_verify() -> ChainReport:
    """Walk the chain; report the first event that was altered, removed or inserted."""
    prev = GENESIS_HASH
    count = 0
    for event in _events():
        count += 1
        if event.prev_hash != prev:
            return ChainReport(False, count, event.pk, "the event before it was altered or removed")
        expected = event_hash(
            prev_hash=event.prev_hash,
            at=event.at,
            actor=event.actor,
            action=event.action,
            object_type=event.object_type,
            object_id=event.object_id,
            before=event.before,
            after=event.after,
            reason=event.reason,
        )
        if expected != event.hash:
            return ChainReport(False, count, event.pk, "its content does not match its hash")
        prev = event.hash
    head = AuditChainHead.objects.filter(pk=1).first()
    head_hash, head_count = (head.last_hash, head.count) if head else (GENESIS_HASH, 0)
    if head_hash != prev or head_count != count:
        return ChainReport(
            False,
            count,
            None,
            f"the chain head expects {head_count} events ending in {head_hash[:12]}",
        )
    return ChainReport(True, count)
