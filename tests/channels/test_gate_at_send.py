"""The contact gate asked again at send time (``GATE_AT_SEND``): the plan was lawful in the
morning, the send must be lawful when it happens. On a controlled clock, Beijing time."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from autocollect.cases.models import CollectionCase, Interaction
from autocollect.channels.models import MessageTemplate, OutboxStatus
from autocollect.channels.outbox import outbox_dispatch
from autocollect.compliance.models import ContactDecision
from autocollect.compliance.services import hold_place
from autocollect.core.clock import SimulatedClock, simulated_time
from tests.channels.conftest import channel_settings, enqueue
from tests.channels.provider import ProviderState

TO = "+8613800138000"
BEIJING = ZoneInfo("Asia/Shanghai")


def beijing(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=BEIJING).astimezone(UTC)


@pytest.fixture
def clock(settings: Any) -> Iterator[SimulatedClock]:
    channel_settings(settings, OUTBOX={"GATE_AT_SEND": True})
    with simulated_time(SimulatedClock(beijing(date.today(), 9))) as controlled:
        yield controlled


@pytest.mark.django_db
def test_a_message_due_at_a_lawful_hour_is_sent(
    clock: SimulatedClock,
    provider: ProviderState,
    templates: dict[tuple[str, str], MessageTemplate],
    case: CollectionCase,
) -> None:
    clock.set(beijing(date.today(), 10))
    message = enqueue(case, templates["sms_reminder_day1", "zh-hans"], to=TO, key="day")

    outcome = outbox_dispatch(message.pk)

    assert outcome.status == OutboxStatus.SENT
    assert provider.received["day"] == 1
    decision = ContactDecision.objects.get(requested_by="outbox:day")
    assert decision.allowed


@pytest.mark.django_db
def test_a_send_that_drifted_past_22_00_waits_for_08_00_and_is_no_attempt(
    clock: SimulatedClock,
    provider: ProviderState,
    templates: dict[tuple[str, str], MessageTemplate],
    case: CollectionCase,
) -> None:
    today = date.today()
    clock.set(beijing(today, 22, 30))
    message = enqueue(case, templates["sms_reminder_day1", "zh-hans"], to=TO, key="late")

    outcome = outbox_dispatch(message.pk)

    message.refresh_from_db()
    assert outcome.status == OutboxStatus.PENDING
    assert outcome.retry_at == beijing(today + timedelta(days=1), 8)
    assert message.next_attempt_at == beijing(today + timedelta(days=1), 8)
    assert message.attempts == 0
    assert "合规拦截" in message.last_error
    assert provider.requests == 0
    assert not Interaction.objects.filter(case=case).exists()
    refused = ContactDecision.objects.get(requested_by="outbox:late")
    assert not refused.allowed

    # Before the window opens nothing goes; at 08:00 it does, once.
    clock.set(beijing(today + timedelta(days=1), 7, 59))
    assert outbox_dispatch(message.pk).claimed is False
    clock.set(beijing(today + timedelta(days=1), 8))
    assert outbox_dispatch(message.pk).status == OutboxStatus.SENT
    assert provider.received["late"] == 1
    assert Interaction.objects.filter(case=case, outcome="sent").count() == 1


@pytest.mark.django_db
def test_a_hold_placed_after_the_plan_stops_the_message_for_good(
    clock: SimulatedClock,
    provider: ProviderState,
    templates: dict[tuple[str, str], MessageTemplate],
    case: CollectionCase,
) -> None:
    clock.set(beijing(date.today(), 9))
    message = enqueue(case, templates["sms_reminder_day1", "zh-hans"], to=TO, key="held")
    clock.set(beijing(date.today(), 9, 30))
    hold_place(case=case, reason="complaint", actor="qa", note="借款人投诉")
    clock.set(beijing(date.today(), 10))

    outcome = outbox_dispatch(message.pk)

    message.refresh_from_db()
    assert outcome.status == OutboxStatus.BLOCKED
    assert message.status == OutboxStatus.BLOCKED
    assert "cn.hold.complaint" in message.last_error
    assert provider.requests == 0
    assert not Interaction.objects.filter(case=case).exists()
    # Blocked is final: the sweeper and later dispatches leave it alone.
    clock.set(beijing(date.today() + timedelta(days=1), 10))
    assert outbox_dispatch(message.pk).claimed is False
    assert provider.requests == 0


@pytest.mark.django_db
def test_with_the_gate_off_the_same_late_send_goes_out(
    provider: ProviderState,
    templates: dict[tuple[str, str], MessageTemplate],
    case: CollectionCase,
) -> None:
    """The control for the tests above: the refusal comes from the gate, not the transport."""
    with simulated_time(SimulatedClock(beijing(date.today(), 22, 30))):
        message = enqueue(case, templates["sms_reminder_day1", "zh-hans"], to=TO, key="off")
        assert outbox_dispatch(message.pk).status == OutboxStatus.SENT
    assert provider.received["off"] == 1
