"""``autocollect channels SUBCOMMAND …``: the outbox and templates on the command line.

``dispatch`` sends what is due until nothing is left (or, with ``--forever``, keeps polling)::

    autocollect channels dispatch [--batch 200] [--concurrency 4] [--poll 0.5] [--forever]

It takes rows exactly as the Huey task does (``outbox.outbox_dispatch``): both may run at once,
and either may be killed at any moment. ``sweep`` makes rows left behind by a crash
dispatchable and enqueues them; ``load-templates`` loads the shipped templates through the
content checker.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import close_old_connections, connections

from autocollect.channels.outbox import DispatchOutcome, outbox_dispatch
from autocollect.channels.selectors import outbox_due_ids, outbox_unfinished_count
from autocollect.channels.services import outbox_sweep, template_load_defaults
from autocollect.core.errors import ApplicationError


@dataclass(frozen=True)
class Subcommand:
    help: str
    add_arguments: Callable[[CommandParser], None]
    handle: Callable[[BaseCommand, dict[str, Any]], int]


def _dispatch_one(message_id: int) -> DispatchOutcome:
    try:
        return outbox_dispatch(message_id)
    finally:
        close_old_connections()


def _close_worker_connections(pool: ThreadPoolExecutor, workers: int) -> None:
    """Close the database connection of every worker thread. Each task waits at a barrier for
    all the others, so the ``workers`` tasks necessarily run on ``workers`` different threads."""
    barrier = threading.Barrier(workers)

    def close(_: int) -> None:
        barrier.wait(timeout=60)
        connections.close_all()

    list(pool.map(close, range(workers)))


def _dispatch_arguments(parser: CommandParser) -> None:
    parser.add_argument("--batch", type=int, default=200, help="rows taken per round")
    parser.add_argument("--concurrency", type=int, default=4, help="sending threads")
    parser.add_argument("--poll", type=float, default=0.5, help="seconds to wait when idle")
    parser.add_argument(
        "--forever", action="store_true", help="keep polling when nothing is left (a daemon)"
    )


def _dispatch(command: BaseCommand, options: dict[str, Any]) -> int:
    if options["batch"] < 1 or options["concurrency"] < 1:
        raise CommandError("--batch and --concurrency must be at least 1")
    counts: dict[str, int] = {}
    started = time.monotonic()
    workers = options["concurrency"]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        try:
            while True:
                ids = outbox_due_ids(limit=options["batch"])
                if not ids:
                    if not options["forever"] and outbox_unfinished_count() == 0:
                        break
                    # Rows waiting for a retry or held by a dispatcher that may have died.
                    time.sleep(options["poll"])
                    continue
                for outcome in pool.map(_dispatch_one, ids):
                    if outcome.claimed:
                        counts[outcome.status] = counts.get(outcome.status, 0) + 1
        finally:
            _close_worker_connections(pool, workers)
    summary = ", ".join(f"{status} {n}" for status, n in sorted(counts.items())) or "nothing due"
    command.stdout.write(f"dispatched in {time.monotonic() - started:.1f}s: {summary}")
    return 0


def _sweep_arguments(parser: CommandParser) -> None:
    parser.add_argument(
        "--older-than", type=float, default=300.0, help="seconds a due row may wait for its task"
    )


def _sweep(command: BaseCommand, options: dict[str, Any]) -> int:
    ids = outbox_sweep(timedelta(seconds=options["older_than"]))
    command.stdout.write(f"re-enqueued {len(ids)} outbox messages")
    return 0


def _load_arguments(parser: CommandParser) -> None:
    parser.add_argument("--actor", default="system", help="recorded as the activating user")


def _load(command: BaseCommand, options: dict[str, Any]) -> int:
    loaded = template_load_defaults(actor=options["actor"])
    for template in loaded:
        command.stdout.write(f"activated {template}")
    command.stdout.write(f"{len(loaded)} templates activated")
    return 0


SUBCOMMANDS = {
    "dispatch": Subcommand("send due outbox messages", _dispatch_arguments, _dispatch),
    "sweep": Subcommand("re-enqueue rows left by a crash", _sweep_arguments, _sweep),
    "load-templates": Subcommand("load the shipped templates", _load_arguments, _load),
}


class Command(BaseCommand):
    help = "Outbox and message templates: dispatch, sweep, load-templates"
    # A dispatcher restarted after a crash should be sending within a second; the URL and
    # model checks (which import every API module) are for the web process and migrations.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        for name, spec in SUBCOMMANDS.items():
            spec.add_arguments(sub.add_parser(name, help=spec.help))

    def handle(self, *args: Any, **options: Any) -> None:
        spec = SUBCOMMANDS[options["subcommand"]]
        try:
            status = spec.handle(self, options)
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        if status:
            raise CommandError(f"{options['subcommand']} failed", returncode=status)
