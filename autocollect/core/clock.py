"""Simulated time for the simulator (``autocollect simulate``, ``autocollect demo``).

Everything in autocollect reads the time through ``django.utils.timezone.now``: the cycle's
run records, the contact gate ("may I call now?"), the outbox's due times, holds, audit events,
``auto_now`` columns. A simulation of past days must make all of them agree on the simulated
moment, or the gate would judge a simulated 10:00 call by the real hour. ``SimulatedClock``
replaces that one function for the duration of a ``with`` block in the current process and
restores it afterwards; nothing else is patched.

Only the simulator uses it. A web or worker process never runs inside it, so production
always runs on the real clock.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime

from django.utils import timezone

_lock = threading.Lock()


class SimulatedClock:
    """A clock that only moves when told to (never backwards)."""

    def __init__(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("the simulated clock needs an aware datetime")
        self._at = at

    def now(self) -> datetime:
        return self._at

    def set(self, at: datetime) -> None:
        """Move to ``at``; a moment earlier than now is ignored (work that was due earlier is
        done "now", as a real worker catching up would)."""
        self._at = max(self._at, at)


@contextmanager
def simulated_time(clock: SimulatedClock) -> Iterator[SimulatedClock]:
    """Make ``django.utils.timezone.now`` read ``clock`` inside the block."""
    with _lock:
        real: Callable[[], datetime] = timezone.now
        timezone.now = clock.now
    try:
        yield clock
    finally:
        with _lock:
            timezone.now = real
