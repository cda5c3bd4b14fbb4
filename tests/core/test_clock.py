"""The product's clock (``core.clock``): real time by default, a simulated moment inside
``simulated_time`` for the code running in that context only, and the automatic timestamp
columns (``core.fields.StampField``) follow it."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from autocollect.core import clock
from autocollect.core.clock import SimulatedClock, simulated_time
from autocollect.core.fields import StampField
from autocollect.portfolio.models import Borrower
from tests.factories import make_borrower

PAST = datetime(2026, 3, 16, 1, 30, tzinfo=UTC)


def test_outside_a_simulation_the_clock_is_real_time() -> None:
    before = timezone.now()
    assert before <= clock.now() <= timezone.now()


def test_inside_a_simulation_the_clock_reads_the_simulated_moment_and_moves_only_forward() -> None:
    with simulated_time(SimulatedClock(PAST)) as simulated:
        assert clock.now() == PAST
        assert clock.localdate() == PAST.astimezone(timezone.get_current_timezone()).date()
        simulated.set(PAST + timedelta(hours=2))
        simulated.set(PAST)  # earlier: ignored
        assert clock.now() == PAST + timedelta(hours=2)
    assert clock.now() > PAST + timedelta(days=200)


def test_another_thread_keeps_real_time_during_a_simulation() -> None:
    seen: list[datetime] = []
    with simulated_time(SimulatedClock(PAST)):
        worker = threading.Thread(target=lambda: seen.append(clock.now()))
        worker.start()
        worker.join()
        assert clock.now() == PAST
    assert seen[0] > PAST + timedelta(days=200)


def test_a_naive_moment_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        SimulatedClock(datetime(2026, 3, 16, 9, 0))


@pytest.mark.django_db
def test_timestamp_columns_take_the_simulated_moment() -> None:
    with simulated_time(SimulatedClock(PAST)):
        borrower = make_borrower()
    assert Borrower.objects.get(pk=borrower.pk).created_at == PAST


def test_a_stamp_field_is_a_plain_datetime_field_in_migrations() -> None:
    _name, path, _args, kwargs = StampField(auto_now_add=True).deconstruct()
    assert path == "django.db.models.DateTimeField"
    assert kwargs == {"auto_now_add": True}
