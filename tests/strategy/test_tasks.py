"""Huey tasks: the nightly plan's schedule and the dispatch of planned messages."""

from __future__ import annotations

from datetime import datetime

from autocollect.channels.models import OutboxMessage
from autocollect.channels.tasks import outbox_dispatch_due
from autocollect.strategy.services import LoadResult, plan_run
from autocollect.strategy.tasks import at_beijing
from tests.strategy import fakes
from tests.strategy.conftest import AS_OF, Clock, beijing, late_loan, run_cycle


def test_the_nightly_plan_runs_at_two_thirty_beijing_whatever_huey_reads() -> None:
    matches = at_beijing(2, 30)
    # Huey hands naive UTC: 18:30 UTC is 02:30 the next day in Beijing.
    assert matches(datetime(2026, 3, 15, 18, 30))
    assert not matches(datetime(2026, 3, 16, 2, 30))
    assert matches(beijing(AS_OF, 2, 30))


def test_planned_messages_go_out_when_their_moment_comes(
    champion_only: LoadResult, clock: Clock
) -> None:
    late_loan(days_late=4)
    run_cycle()
    plan_run(as_of=AS_OF)
    message = OutboxMessage.objects.get()
    assert message.next_attempt_at == beijing(AS_OF, 9)
    clock.set(beijing(AS_OF, 8, 59))
    assert outbox_dispatch_due.call_local("plan:2026-03-16:") == 0
    assert fakes.SENT == []
    clock.set(beijing(AS_OF, 9))
    assert outbox_dispatch_due.call_local("plan:2026-03-16:") == 1
    message.refresh_from_db()
    assert message.status == "delivered"
    assert [m.idempotency_key for m in fakes.SENT] == [message.idempotency_key]
