"""The product's clock: every "what time is it" in autocollect is ``clock.now()`` (and
``clock.localdate()`` for today's date in the current time zone), and every automatic
timestamp column is a ``core.fields.StampField`` that asks the same clock.

Normally the clock is Django's ``timezone.now``. The simulator (``autocollect simulate``,
``autocollect demo``) runs past days on the real code paths, and the gate, the outbox's due
times, holds, audit events and timestamps must then all agree on the simulated moment, or the
gate would judge a simulated 10:00 call by the real hour. ``simulated_time(clock)`` sets a
``SimulatedClock`` for the current execution context (a ``contextvars.ContextVar``): the code
running inside the ``with`` block, in this thread, reads it; other threads (a live server, a
worker) and everything after the block read the real clock. Nothing is patched.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime, tzinfo

from django.utils import timezone


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


_simulated: ContextVar[SimulatedClock | None] = ContextVar("autocollect_clock", default=None)


def now() -> datetime:
    """The current moment (aware, UTC): the simulated clock inside ``simulated_time``."""
    simulated = _simulated.get()
    return simulated.now() if simulated is not None else timezone.now()


def localdate(zone: tzinfo | None = None) -> date:
    """Today in ``zone`` (default: the current time zone, Beijing under the shipped settings)."""
    return timezone.localtime(now(), zone).date()


@contextmanager
def simulated_time(clock: SimulatedClock) -> Iterator[SimulatedClock]:
    """Make ``now()`` read ``clock`` inside the block, in the current context."""
    token = _simulated.set(clock)
    try:
        yield clock
    finally:
        _simulated.reset(token)
