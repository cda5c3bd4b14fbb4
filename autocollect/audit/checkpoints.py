"""Checkpoints of the audit chain's head, written outside the database (docs/audit.md).

A checkpoint is one JSON line: the number of events, the id and hash of the last one, the time
and the id of the chain key, plus ``prev`` — the SHA-256 of the line before it (so that a line
removed or edited in the middle breaks the lines' own chain) — and ``mac``, an HMAC of the line
under the current chain key (so that a line cannot be forged without the key). On request a line
is also signed with an Ed25519 private key (``sig``, ``sig_key``), which the public key verifies
without being able to sign.

Checkpoints are written after commit (``transaction.on_commit``): every ``CHECKPOINT_EVERY``-th
event, after each date of the daily cycle, and by ``autocollect audit checkpoint``. A rolled-back
transaction therefore never leaves a checkpoint of events that never existed.

Where they go is a sink: the append-only JSON-lines file (:class:`FileSink`) by default; any
object with the :class:`CheckpointSink` methods can be configured instead
(``AUTOCOLLECT["AUDIT"]["CHECKPOINT_SINK"]``, a factory called with the settings block).
"""

from __future__ import annotations

import base64
import binascii
import fcntl
import hashlib
import json
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.db import transaction
from django.utils.module_loading import import_string

from autocollect.audit import conf
from autocollect.audit.keys import ChainKeys, chain_keys, public_key_id
from autocollect.audit.models import GENESIS_HASH, AuditChainHead
from autocollect.core import clock

logger = logging.getLogger(__name__)

VERSION = 1
_SEALS = ("mac", "sig", "sig_key")


class CheckpointSink(Protocol):
    """Where checkpoint lines are kept. ``append`` must be atomic with respect to other
    writers: it calls ``build`` with the last line (None when there is none) while holding the
    sink's lock, and appends what ``build`` returns (nothing when it returns None)."""

    def describe(self) -> str: ...

    def lines(self) -> list[str]: ...

    def append(self, build: Callable[[str | None], str | None]) -> str | None: ...


class FileSink:
    """An append-only JSON-lines file, locked with ``flock`` while a line is added."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def describe(self) -> str:
        return str(self.path)

    def lines(self) -> list[str]:
        try:
            text = self.path.read_text("utf-8")
        except FileNotFoundError:
            return []
        return text.split("\n")[:-1] if text.endswith("\n") else text.split("\n")

    def append(self, build: Callable[[str | None], str | None]) -> str | None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a+b") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                last, torn = _last_line(handle)
                line = build(last)
                if line is None:
                    return None
                handle.write((b"\n" if torn else b"") + line.encode("utf-8") + b"\n")
                handle.flush()
                os.fsync(handle.fileno())
                return line
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


def _last_line(handle: Any) -> tuple[str | None, bool]:
    """The last complete line of an open file and whether a torn (unterminated) one follows."""
    end = handle.seek(0, os.SEEK_END)
    if end == 0:
        return None, False
    size = 4096
    while True:
        start = max(end - size, 0)
        handle.seek(start)
        tail = handle.read(end - start)
        torn = not tail.endswith(b"\n")
        complete = tail[: tail.rfind(b"\n") + 1]  # through the last newline; b"" when none
        if complete:
            body = complete[:-1]
            cut = body.rfind(b"\n")
            if cut >= 0 or start == 0:
                return body[cut + 1 :].decode("utf-8", "replace"), torn
        elif start == 0:
            return None, torn
        size *= 4


def file_sink(options: dict[str, Any]) -> FileSink:
    path = options.get("CHECKPOINT_PATH")
    return FileSink(Path(path) if path else conf.checkpoint_path())


def configured_sink() -> CheckpointSink | None:
    factory = conf.get("CHECKPOINT_SINK")
    if not factory:
        return None
    build = import_string(factory) if isinstance(factory, str) else factory
    sink: CheckpointSink = build(conf.block())
    return sink


# --- lines -----------------------------------------------------------------------------------


def _canonical(value: dict[str, Any]) -> bytes:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def line_digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _line_build(
    head: dict[str, Any],
    prev: str,
    keys: ChainKeys,
    signer: Ed25519PrivateKey | None,
) -> str:
    body = {
        "v": VERSION,
        "count": int(head["count"]),
        "last_id": int(head["last_id"]),
        "last_hash": head["last_hash"],
        "at": clock.now().isoformat(timespec="seconds"),
        "key_id": keys.current,
        "prev": prev,
    }
    body["mac"] = keys.mac(keys.current, _canonical(body))
    if signer is not None:
        body["sig_key"] = public_key_id(signer.public_key())
        signature = signer.sign(_canonical(body))
        body["sig"] = base64.b64encode(signature).decode("ascii")
    return _canonical(body).decode("utf-8")


@dataclass(frozen=True, slots=True)
class WriteResult:
    written: bool
    count: int
    line: dict[str, Any] | None = None
    reason: str = ""
    behind: bool = False  # the database has fewer events than the last checkpoint


def checkpoint_write(*, signer: Ed25519PrivateKey | None = None) -> WriteResult | None:
    """Append a checkpoint of the committed chain head (None when no sink is configured).
    Nothing is written when the last checkpoint already records this head (unless a signature
    is asked for and that one is unsigned), nor when the database has fewer events than the
    last checkpoint — that is for ``audit verify`` to report."""
    sink = configured_sink()
    if sink is None:
        return None
    keys = chain_keys()
    outcome: dict[str, Any] = {}

    def build(last: str | None) -> str | None:
        head = _committed_head()
        outcome["count"] = head["count"]
        previous = _parse(last) if last else None
        if previous is not None and previous.get("count", 0) > head["count"]:
            outcome["behind"] = True
            outcome["reason"] = (
                f"the database has {head['count']} events, fewer than the last checkpoint "
                f"({previous['count']}): run `autocollect audit verify`"
            )
            return None
        if (
            previous is not None
            and (previous.get("count"), previous.get("last_hash"))
            == (head["count"], head["last_hash"])
            and (signer is None or "sig" in previous)
        ):
            outcome["reason"] = f"the last checkpoint already records these {head['count']} events"
            return None
        return _line_build(head, line_digest(last) if last else GENESIS_HASH, keys, signer)

    line = sink.append(build)
    return WriteResult(
        written=line is not None,
        count=int(outcome.get("count", 0)),
        line=_parse(line) if line else None,
        reason=str(outcome.get("reason", "")),
        behind=bool(outcome.get("behind")),
    )


def _committed_head() -> dict[str, Any]:
    head = AuditChainHead.objects.filter(pk=1).values("count", "last_id", "last_hash").first()
    return dict(head) if head else {"count": 0, "last_id": 0, "last_hash": GENESIS_HASH}


def _parse(text: str) -> dict[str, Any] | None:
    try:
        data = json.loads(text)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def _write_quietly() -> None:
    """A checkpoint after commit: a failure is logged, never raised into the committed work."""
    try:
        result = checkpoint_write()
    except Exception:
        logger.exception("audit checkpoint not written")
        return
    if result is not None and result.reason and not result.written:
        logger.warning("audit checkpoint not written: %s", result.reason)


def checkpoint_after_commit() -> None:
    """Write a checkpoint when the current transaction commits (never if it rolls back)."""
    transaction.on_commit(_write_quietly, robust=True)


def checkpoint_after_cycle(*, as_of: object) -> dict[str, bool]:
    """The ``cycle_date_judged`` hook: a checkpoint after each date of the daily cycle commits."""
    if conf.get("CHECKPOINT_SINK") is None:
        return {"checkpoint": False}
    checkpoint_after_commit()
    return {"checkpoint": True}


# --- reading and checking --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Checkpoint:
    line: int
    count: int
    last_id: int
    last_hash: str
    at: str
    key_id: str
    signed: bool


@dataclass(frozen=True, slots=True)
class CheckpointsRead:
    checkpoints: list[Checkpoint]
    problems: list[str]


_FIELDS = {"v": int, "count": int, "last_id": int, "last_hash": str, "at": str, "key_id": str}


def _well_formed(data: dict[str, Any] | None) -> bool:
    return data is not None and all(isinstance(data.get(k), t) for k, t in _FIELDS.items())


def _line_problem(
    n: int, data: dict[str, Any], keys: ChainKeys, public: Ed25519PublicKey | None
) -> str:
    body = {k: v for k, v in data.items() if k not in _SEALS}
    expected = keys.mac(data["key_id"], _canonical(body))
    if expected is None:
        return (
            f"checkpoint line {n} is sealed with audit key {data['key_id']}, which "
            "AUTOCOLLECT_AUDIT_KEYS does not hold"
        )
    if data.get("mac") != expected:
        return f"checkpoint line {n}: altered (its MAC does not match)"
    if "sig" not in data:
        return ""
    if public is None:
        return (
            f"checkpoint line {n} is signed but no public key is configured "
            "(AUTOCOLLECT_AUDIT_VERIFY_KEY or --public-key)"
        )
    signed = {k: v for k, v in data.items() if k != "sig"}
    try:
        public.verify(base64.b64decode(str(data["sig"]), validate=True), _canonical(signed))
    except (InvalidSignature, binascii.Error, ValueError):
        return f"checkpoint line {n}: the signature is invalid"
    if data.get("sig_key") != public_key_id(public):
        return f"checkpoint line {n}: signed with key {data.get('sig_key')}, not this public key"
    return ""


def checkpoints_read(
    sink: CheckpointSink, keys: ChainKeys, public: Ed25519PublicKey | None
) -> CheckpointsRead:
    """Every checkpoint whose line is intact, and what is wrong with the others: a line that is
    not a checkpoint, a broken link between lines, a MAC or signature that does not match."""
    checkpoints: list[Checkpoint] = []
    problems: list[str] = []
    prev = GENESIS_HASH
    for n, text in enumerate(sink.lines(), start=1):
        data = _parse(text)
        if data is None or not _well_formed(data):
            problems.append(f"checkpoint line {n} is not a checkpoint (altered, or a torn write)")
            continue
        if data.get("prev") != prev:
            problems.append(f"checkpoint line {n}: the line before it was altered or removed")
        prev = line_digest(text)
        problem = _line_problem(n, data, keys, public)
        if problem:
            problems.append(problem)
            continue
        checkpoints.append(
            Checkpoint(
                line=n,
                count=data["count"],
                last_id=data["last_id"],
                last_hash=data["last_hash"],
                at=data["at"],
                key_id=data["key_id"],
                signed="sig" in data,
            )
        )
    return CheckpointsRead(checkpoints, problems)
