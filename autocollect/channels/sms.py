"""SMS through an HTTP provider (短信网关).

The request, one JSON object per message::

    POST {ENDPOINT}
    Content-Type: application/json; charset=utf-8
    X-App-Key: {APP_KEY}
    Idempotency-Key: {outbox idempotency key}
    {SIGNATURE_HEADER, default X-Signature}: hex(HMAC-SHA256(SECRET, raw body))

    {"app_key": …, "to": "+8613800000000", "content": "…", "out_id": "{idempotency key}",
     "callback_url": "{CALLBACK_URL}", "timestamp": 1767225600}

The provider answers 2xx with ``{"message_id": "…"}`` (the same id again when it has seen the
idempotency key before: it dedupes, we do not have to). Timeouts, connection errors, 408, 425,
429 and 5xx are temporary (``retry``); any other 4xx is final (``failed``).

Delivery receipts come back to ``/channels/sms/receipts/`` signed the same way; see
``parse_receipts`` for their shape. Chinese gateways (Aliyun, Tencent Cloud) differ in field
names, not in kind: an adapter for one is this module with other names.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

import httpx

from autocollect.channels.base import OutboundMessage, SendResult, SendStatus
from autocollect.channels.conf import SmsConfig, sms_config
from autocollect.core.errors import ApplicationError

APP_KEY_HEADER = "X-App-Key"
IDEMPOTENCY_HEADER = "Idempotency-Key"
TEMPORARY_4XX = frozenset({408, 425, 429})


def sign(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def verify(secret: str, body: bytes, signature: str) -> bool:
    """Constant-time check of a signature; an empty secret verifies nothing."""
    if not secret or not signature:
        return False
    return hmac.compare_digest(sign(secret, body), signature.strip().lower())


@lru_cache(maxsize=8)
def _client(timeout: float) -> httpx.Client:
    # One pooled client per process and timeout: building one per message costs more than
    # sending the message to a local gateway.
    return httpx.Client(timeout=httpx.Timeout(timeout), headers={"User-Agent": "autocollect"})


class HttpSmsAdapter:
    channel = "sms"

    def __init__(self, config: SmsConfig, *, client: httpx.Client | None = None) -> None:
        self.config = config
        self.client = client or _client(config.timeout)

    def request_body(self, message: OutboundMessage) -> bytes:
        data: dict[str, Any] = {
            "app_key": self.config.app_key,
            "to": message.to,
            "content": message.body,
            "out_id": message.idempotency_key,
            "timestamp": int(time.time()),
        }
        if self.config.callback_url:
            data["callback_url"] = self.config.callback_url
        return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")

    def send(self, message: OutboundMessage) -> SendResult:
        if not (self.config.endpoint and self.config.secret):
            return SendResult("retry", detail="SMS endpoint or signing secret not configured")
        body = self.request_body(message)
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            APP_KEY_HEADER: self.config.app_key,
            IDEMPOTENCY_HEADER: message.idempotency_key,
            self.config.signature_header: sign(self.config.secret, body),
        }
        try:
            response = self.client.post(self.config.endpoint, content=body, headers=headers)
        except httpx.TimeoutException as exc:
            # The provider may have taken it: the retry carries the same key.
            return SendResult("retry", detail=f"timeout: {type(exc).__name__}")
        except httpx.TransportError as exc:
            return SendResult("retry", detail=f"transport: {type(exc).__name__}: {exc}")
        return self._result(response)

    @staticmethod
    def _result(response: httpx.Response) -> SendResult:
        code = response.status_code
        snippet = response.text[:300]
        if code >= 500 or code in TEMPORARY_4XX:
            return SendResult("retry", detail=f"HTTP {code}: {snippet}")
        if code >= 400:
            return SendResult("failed", detail=f"HTTP {code}: {snippet}")
        if code >= 300:
            return SendResult("retry", detail=f"HTTP {code} (unexpected redirect)")
        try:
            data = response.json()
            message_id = str(data["message_id"])
        except (ValueError, KeyError, TypeError):
            return SendResult("retry", detail=f"HTTP {code} without a message_id: {snippet}")
        status: SendStatus = "delivered" if data.get("status") == "delivered" else "accepted"
        return SendResult(status, provider_message_id=message_id, detail=f"HTTP {code}")


def build_adapter() -> HttpSmsAdapter:
    return HttpSmsAdapter(sms_config())


# --- receipts -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SmsReceipt:
    provider_message_id: str
    out_id: str
    status: str
    reported_at: datetime | None
    raw: dict[str, Any]


class ReceiptFormatError(ApplicationError):
    """A receipt body the provider should not have sent; the message says which field."""


def _one_receipt(item: Any, index: int) -> SmsReceipt:
    if not isinstance(item, dict):
        raise ReceiptFormatError(f"receipt {index}: not an object")
    message_id, status = item.get("message_id"), item.get("status")
    if not isinstance(message_id, str) or not message_id:
        raise ReceiptFormatError(f"receipt {index}: message_id missing")
    if not isinstance(status, str) or not status:
        raise ReceiptFormatError(f"receipt {index}: status missing")
    reported_at = None
    if item.get("reported_at"):
        try:
            reported_at = datetime.fromisoformat(str(item["reported_at"]))
        except ValueError as exc:
            raise ReceiptFormatError(f"receipt {index}: reported_at is not ISO 8601") from exc
        if reported_at.tzinfo is None:
            raise ReceiptFormatError(f"receipt {index}: reported_at needs a UTC offset")
    return SmsReceipt(
        provider_message_id=message_id,
        out_id=str(item.get("out_id") or ""),
        status=status.lower(),
        reported_at=reported_at,
        raw=item,
    )


def parse_receipts(body: bytes) -> list[SmsReceipt]:
    """One receipt object or a list of them::

    {"message_id": "…", "out_id": "{idempotency key}", "status": "delivered"|"failed",
     "reported_at": "2026-01-15T09:30:00+08:00", "error": "…"}
    """
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise ReceiptFormatError("the body is not JSON") from exc
    items = data if isinstance(data, list) else [data]
    return [_one_receipt(item, n) for n, item in enumerate(items, start=1)]
