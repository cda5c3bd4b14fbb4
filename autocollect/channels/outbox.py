"""Dispatching outbox rows: claim, send, record. Shared by the Huey task and ``autocollect
channels dispatch``; it never enqueues anything itself (``services`` and ``tasks`` do).

One attempt is three steps, each safe to die in:

1. **Claim** — one conditional ``UPDATE``: ``pending`` (due) or ``sending`` with a lapsed claim
   → ``sending``, ``attempts + 1``, claim valid for ``LEASE_SECONDS``. Two dispatchers never
   hold the same row; a row whose dispatcher died is taken over when its claim lapses.
2. **Send** — outside any transaction, through the channel's adapter, with the row's
   idempotency key. A provider that already has the key answers with the first message id
   instead of sending again.
3. **Record** — one transaction, fenced on ``attempts``: the row's new state and one
   ``Interaction`` on the case. A dispatcher whose claim was taken over records nothing.

Dying after 2 and before 3 means the message is sent again with the same key on the next
attempt: at least once towards the provider, exactly once to the borrower.

Between 1 and 2 the contact gate is asked again (``GATE_AT_SEND``): the plan was checked in the
morning, but a hold placed since, a retry that drifted past 22:00, or another contact made in
the meantime can make the send unlawful now. A refusal is not an attempt: the row goes back to
``pending`` for the moment the gate names, or to ``blocked`` when it names none (a hold, an
opt-out), and no interaction is recorded because nothing reached anyone.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F

from autocollect.cases.models import Interaction, InteractionOutcome
from autocollect.channels.base import OutboundMessage, SendResult
from autocollect.channels.conf import OutboxConfig, outbox_config
from autocollect.channels.models import OutboxMessage, OutboxStatus
from autocollect.channels.registry import adapter_for
from autocollect.compliance.services import contact_check
from autocollect.core import clock

logger = logging.getLogger(__name__)

UNFINISHED = (OutboxStatus.PENDING, OutboxStatus.SENDING)


@dataclass(frozen=True, slots=True)
class DispatchOutcome:
    message_id: int
    status: str
    # False when the row was not ours to send (not due, held by another dispatcher, done).
    claimed: bool
    # When the row should be tried next (pending or held), else None.
    retry_at: datetime | None = None


def retry_delay(attempt: int, config: OutboxConfig) -> float:
    """Exponential backoff: base · 2^(attempt-1), capped, with ±20 % jitter so that messages
    that failed together (a provider outage) do not all come back in the same second."""
    delay = min(config.retry_max_seconds, config.retry_base_seconds * 2 ** max(0, attempt - 1))
    return delay * random.uniform(0.8, 1.2)


def record_interaction(
    message: OutboxMessage, *, outcome: str, at: datetime, notes: str
) -> Interaction:
    """One contact attempt or result on the case, linked to the message (the contact gate
    counts interactions, docs/compliance.md)."""
    interaction = Interaction.objects.create(
        case_id=message.case_id,
        at=at,
        channel=message.channel,
        party=message.party,
        number=message.to[:255],
        outcome=outcome,
        notes=notes,
    )
    message.interactions.add(interaction)
    return interaction


def outbound(message: OutboxMessage) -> OutboundMessage:
    return OutboundMessage(
        id=message.pk,
        idempotency_key=message.idempotency_key,
        channel=message.channel,
        to=message.to,
        language=message.language,
        subject=message.subject,
        body=message.body,
        payload=message.payload or {},
    )


def _claim(message_id: int, now: datetime, config: OutboxConfig) -> bool:
    return bool(
        OutboxMessage.objects.filter(
            pk=message_id, status__in=UNFINISHED, next_attempt_at__lte=now
        ).update(
            status=OutboxStatus.SENDING,
            attempts=F("attempts") + 1,
            next_attempt_at=now + timedelta(seconds=config.lease_seconds),
            updated_at=now,
        )
    )


def _send(message: OutboxMessage) -> SendResult:
    try:
        return adapter_for(message.channel).send(outbound(message))
    except Exception as exc:
        # An adapter must report provider failures as results; anything it raises is a bug or
        # a local fault (disk full, missing binary): retried, and bounded by MAX_ATTEMPTS.
        logger.exception("adapter for %s raised on outbox message %s", message.channel, message.pk)
        return SendResult(status="retry", detail=f"{type(exc).__name__}: {exc}")


def _notes(message: OutboxMessage, attempt: int, result: SendResult, extra: str = "") -> str:
    parts = [f"outbox #{message.pk} ({message.idempotency_key}) attempt {attempt}: {result.status}"]
    if result.provider_message_id:
        parts.append(f"provider id {result.provider_message_id}")
    if result.artifact:
        parts.append(f"file {result.artifact}")
    if result.detail:
        parts.append(result.detail)
    if extra:
        parts.append(extra)
    return "; ".join(parts)


def _next_state(
    message: OutboxMessage, attempt: int, result: SendResult, config: OutboxConfig, now: datetime
) -> tuple[str, str]:
    """Apply ``result`` to the row in memory; returns the interaction outcome and a note."""
    if result.status in ("accepted", "delivered"):
        message.provider_message_id = result.provider_message_id or message.provider_message_id
        message.sent_at = message.sent_at or now
        message.last_error = ""
        if result.status == "delivered":
            message.status = OutboxStatus.DELIVERED
            message.delivered_at = message.delivered_at or now
            return InteractionOutcome.DELIVERED, ""
        message.status = OutboxStatus.SENT
        return InteractionOutcome.SENT, ""
    message.last_error = result.detail[:2000]
    if result.status == "failed":
        message.status = OutboxStatus.FAILED
        return InteractionOutcome.FAILED, "given up: the provider refused it"
    if attempt >= config.max_attempts:
        message.status = OutboxStatus.DEAD
        return InteractionOutcome.FAILED, f"given up after {attempt} attempts"
    message.status = OutboxStatus.PENDING
    message.next_attempt_at = now + timedelta(seconds=retry_delay(attempt, config))
    return InteractionOutcome.FAILED, f"retry at {message.next_attempt_at.isoformat()}"


def _record(message_id: int, attempt: int, result: SendResult, config: OutboxConfig) -> str | None:
    """Step 3; returns the row's new status, or None when the claim had been taken over."""
    now = clock.now()
    with transaction.atomic():
        message = (
            OutboxMessage.objects.select_for_update()
            .filter(pk=message_id, attempts=attempt)
            .first()
        )
        if message is None or message.status not in (
            OutboxStatus.SENDING,
            OutboxStatus.DELIVERED,
            OutboxStatus.FAILED,
        ):
            return None
        if message.status == OutboxStatus.SENDING:
            outcome, extra = _next_state(message, attempt, result, config, now)
        else:
            # A delivery receipt overtook this attempt's record: the receipt has the last word
            # on the state; the attempt is still recorded.
            if result.provider_message_id and not message.provider_message_id:
                message.provider_message_id = result.provider_message_id
            message.sent_at = message.sent_at or now
            outcome = {
                "accepted": InteractionOutcome.SENT,
                "delivered": InteractionOutcome.DELIVERED,
            }.get(result.status, InteractionOutcome.FAILED)
            extra = f"after a receipt: {message.status}"
        if result.artifact:
            message.artifact = result.artifact
        message.updated_at = now
        message.save()
        record_interaction(
            message, outcome=outcome, at=now, notes=_notes(message, attempt, result, extra)
        )
        return message.status


def _refused_by_gate(message: OutboxMessage, now: datetime) -> DispatchOutcome | None:
    """Ask the gate whether the message may go now; on a refusal, give the claim back (fenced
    on ``attempts`` like a record) and say when to try again. ``None`` when it may go."""
    decision = contact_check(
        case=message.case,
        channel=message.channel,
        party=message.party,
        number=message.to,
        at=now,
        requested_by=f"outbox:{message.idempotency_key}",
    )
    if decision.allowed:
        return None
    retry_at = decision.next_allowed_at
    status = OutboxStatus.PENDING if retry_at is not None else OutboxStatus.BLOCKED
    reasons = "; ".join(r.zh for r in decision.reasons)
    updated = OutboxMessage.objects.filter(
        pk=message.pk, attempts=message.attempts, status=OutboxStatus.SENDING
    ).update(
        status=status,
        attempts=F("attempts") - 1,
        next_attempt_at=retry_at or now,
        last_error=f"合规拦截 ({', '.join(decision.rules)}): {reasons}"[:2000],
        updated_at=now,
    )
    if not updated:
        return DispatchOutcome(message.pk, "overtaken", claimed=True)
    return DispatchOutcome(message.pk, status, claimed=True, retry_at=retry_at)


def outbox_dispatch(message_id: int) -> DispatchOutcome:
    """Make one attempt at one message if it is due and nobody else holds it."""
    config = outbox_config()
    now = clock.now()
    if not _claim(message_id, now, config):
        row = (
            OutboxMessage.objects.filter(pk=message_id).values("status", "next_attempt_at").first()
        )
        if row is None:
            return DispatchOutcome(message_id, "missing", claimed=False)
        retry_at = row["next_attempt_at"] if row["status"] in UNFINISHED else None
        return DispatchOutcome(message_id, row["status"], claimed=False, retry_at=retry_at)
    message = OutboxMessage.objects.select_related("case__loan__product").get(pk=message_id)
    attempt = message.attempts
    if config.gate_at_send:
        refused = _refused_by_gate(message, now)
        if refused is not None:
            return refused
    result = _send(message)
    status = _record(message_id, attempt, result, config)
    if status is None:
        logger.warning("outbox message %s: attempt %s was overtaken", message_id, attempt)
        return DispatchOutcome(message_id, "overtaken", claimed=True)
    if status == OutboxStatus.PENDING:
        next_at = OutboxMessage.objects.values_list("next_attempt_at", flat=True).get(pk=message_id)
        return DispatchOutcome(message_id, status, claimed=True, retry_at=next_at)
    return DispatchOutcome(message_id, status, claimed=True)


def outbox_reclaim(*, older_than: timedelta, now: datetime | None = None) -> list[int]:
    """Rows left behind by a crash, made dispatchable again; returns their ids.

    ``sending`` rows whose claim lapsed go back to ``pending``; ``pending`` rows that have been
    due for longer than ``older_than`` lost their dispatch task (the process died between the
    commit and the enqueue, or the queue was lost) and are returned too."""
    at = now or clock.now()
    with transaction.atomic():
        OutboxMessage.objects.filter(status=OutboxStatus.SENDING, next_attempt_at__lte=at).update(
            status=OutboxStatus.PENDING, next_attempt_at=at - older_than, updated_at=at
        )
        return list(
            OutboxMessage.objects.filter(
                status=OutboxStatus.PENDING, next_attempt_at__lte=at - older_than
            )
            .order_by("next_attempt_at", "id")
            .values_list("id", flat=True)
        )
