"""A local SMS gateway for tests: real HTTP on 127.0.0.1, speaking the protocol of
``autocollect.channels.sms``.

It checks each request's HMAC signature, dedupes by idempotency key (and counts how often each
key was received and how often it was delivered: at most once), and can misbehave on purpose:

- ``fail_rate``: that share of requests gets a 5xx — half of them *before* the message is taken
  (a plain 503), half *after* it was taken and delivered (a 500 lost on the way back, the case
  that needs the idempotency key);
- ``fail_keys``: a key's first N requests get a 503;
- ``delay_keys``: a key's first request is taken, then answered only after ``delay`` seconds
  (beyond the client's timeout);
- ``reject_numbers``: numbers answered 400 (final);
- ``post_receipts``: POSTs signed delivery receipts (duplicates included) to a callback URL.
"""

from __future__ import annotations

import json
import random
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

from autocollect.channels.sms import sign, verify


@dataclass
class ProviderState:
    secret: str
    fail_rate: float = 0.0
    seed: int = 20260115
    fail_keys: dict[str, int] = field(default_factory=dict)
    delay_keys: set[str] = field(default_factory=set)
    delay: float = 0.0
    reject_numbers: set[str] = field(default_factory=set)
    received: Counter[str] = field(default_factory=Counter)
    delivered: Counter[str] = field(default_factory=Counter)
    message_ids: dict[str, str] = field(default_factory=dict)
    bodies: dict[str, dict[str, Any]] = field(default_factory=dict)
    headers: dict[str, dict[str, str]] = field(default_factory=dict)
    bad_signatures: int = 0
    failed_before: int = 0
    failed_after: int = 0
    requests: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.random = random.Random(self.seed)

    def handle(self, body: bytes, headers: dict[str, str]) -> tuple[int, dict[str, Any], float]:
        """(status, JSON answer, seconds to wait before answering)."""
        if not verify(self.secret, body, headers.get("x-signature", "")):
            with self.lock:
                self.bad_signatures += 1
            return 401, {"error": "bad signature"}, 0.0
        data = json.loads(body)
        key = headers.get("idempotency-key", "")
        if not key or key != data.get("out_id"):
            return 400, {"error": "idempotency key missing or not the out_id"}, 0.0
        with self.lock:
            self.requests += 1
            self.received[key] += 1
            self.headers[key] = headers
            if data["to"] in self.reject_numbers:
                return 400, {"error": "invalid number"}, 0.0
            if self.fail_keys.get(key, 0) > 0:
                self.fail_keys[key] -= 1
                self.failed_before += 1
                return 503, {"error": "busy"}, 0.0
            roll = self.random.random()
            if roll < self.fail_rate / 2:
                self.failed_before += 1
                return 503, {"error": "busy"}, 0.0
            first = key not in self.message_ids
            if first:
                # Taken: delivered to the handset once, whatever happens to the answer.
                self.message_ids[key] = f"SM{len(self.message_ids) + 1:08d}"
                self.delivered[key] += 1
                self.bodies[key] = data
            answer = {"message_id": self.message_ids[key], "duplicate": not first}
            if roll < self.fail_rate:
                self.failed_after += 1
                return 500, {"error": "internal error after accepting"}, 0.0
            wait = self.delay if (first and key in self.delay_keys) else 0.0
            return 200, answer, wait

    def post_receipts(
        self, callback_url: str, keys: list[str], *, status: str = "delivered", copies: int = 1
    ) -> list[httpx.Response]:
        """Signed receipts for ``keys``, each POSTed ``copies`` times (providers resend)."""
        responses = []
        for key in keys:
            body = json.dumps(
                {
                    "message_id": self.message_ids[key],
                    "out_id": key,
                    "status": status,
                    "reported_at": "2026-01-16T09:30:00+08:00",
                },
                separators=(",", ":"),
            ).encode()
            for _ in range(copies):
                responses.append(
                    httpx.post(
                        callback_url,
                        content=body,
                        headers={
                            "Content-Type": "application/json",
                            "X-Signature": sign(self.secret, body),
                        },
                        timeout=10,
                    )
                )
        return responses


def _handler(state: ProviderState) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body go out in two writes; with Nagle's algorithm the second waits for
        # the client's delayed ACK (~40 ms) on every keep-alive request.
        disable_nagle_algorithm = True

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            headers = {k.lower(): v for k, v in self.headers.items()}
            status, answer, wait = state.handle(body, headers)
            if wait:
                time.sleep(wait)
            payload = json.dumps(answer).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except ConnectionError:
                pass  # the client gave up (timeout, or it was killed)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A dispatcher killed mid-request resets its connection: expected here, not an error.
        error = sys.exc_info()[1]
        if not isinstance(error, ConnectionError):
            super().handle_error(request, client_address)


@contextmanager
def running_provider(state: ProviderState) -> Iterator[str]:
    """Serve ``state`` on a free loopback port; yields the endpoint URL."""
    server = _Server(("127.0.0.1", 0), _handler(state))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1/sms/send"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
