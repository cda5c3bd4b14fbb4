"""The one small interface every channel sits behind.

The outbox hands an adapter an ``OutboundMessage`` and gets back a ``SendResult``; it never
knows whether the message went over HTTP, SMTP, a dialer or the post. An adapter must be safe
to call twice with the same message (the outbox retries after crashes): it passes
``idempotency_key`` to its provider so that the provider can drop the second copy, and it
never raises for a provider's failure — it reports ``retry`` or ``failed`` instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

SendStatus = Literal["accepted", "delivered", "retry", "failed"]


@dataclass(frozen=True, slots=True)
class OutboundMessage:
    """One rendered message, as the outbox row holds it."""

    id: int
    idempotency_key: str
    channel: str
    to: str
    language: str
    subject: str
    body: str
    # Channel-specific data captured at enqueue time (e.g. a letter's table of overdue
    # installments); JSON primitives only.
    payload: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SendResult:
    """What happened to one attempt.

    ``accepted``: the provider took the message (delivery is reported later by a receipt);
    ``delivered``: the provider confirmed delivery at once; ``retry``: a temporary failure
    (timeout, 5xx, connection refused) — try again later with the same idempotency key;
    ``failed``: the provider refused it for good (4xx, invalid recipient).
    """

    status: SendStatus
    provider_message_id: str = ""
    detail: str = ""
    # A file produced for the message (speech audio, letter PDF), relative to the media dir.
    artifact: str = ""


class ChannelAdapter(Protocol):
    channel: str

    def send(self, message: OutboundMessage) -> SendResult: ...


def artifact_name(kind: str, idempotency_key: str, suffix: str) -> Path:
    """A stable relative path for a message's file: the same key always maps to the same file,
    so a retried render overwrites rather than multiplies."""
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in idempotency_key)
    return Path(kind) / f"{safe}{suffix}"
