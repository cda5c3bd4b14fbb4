"""The transactional outbox: rows commit with the decision, dispatch follows the commit, a crash
mid-send is finished by the next attempt without a second delivery, the sweeper picks up what
a crash left behind."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone

from autocollect.cases.models import CollectionCase, Interaction
from autocollect.channels import sms
from autocollect.channels.base import OutboundMessage, SendResult
from autocollect.channels.models import MessageTemplate, OutboxMessage, OutboxStatus
from autocollect.channels.outbox import outbound, outbox_dispatch
from autocollect.channels.registry import adapter_for
from autocollect.channels.selectors import case_message_variables
from autocollect.channels.services import outbox_enqueue, outbox_sweep
from tests.channels.conftest import channel_settings, enqueue
from tests.channels.provider import ProviderState

TO = "+8613800138000"


class DecisionFailedError(Exception):
    pass


@pytest.mark.django_db(transaction=True)
def test_a_message_enqueued_in_a_transaction_that_rolls_back_is_never_sent(
    provider: ProviderState,
    templates: dict[tuple[str, str], MessageTemplate],
    case: CollectionCase,
) -> None:
    template = templates["sms_reminder_day1", "zh-hans"]
    variables = case_message_variables(case, language="zh-hans", channel="sms")

    def decide_and_fail() -> None:
        with transaction.atomic():
            outbox_enqueue(
                case=case,
                channel="sms",
                to=TO,
                template=template,
                variables=variables,
                idempotency_key="rolled-back",
            )
            raise DecisionFailedError

    with pytest.raises(DecisionFailedError):
        decide_and_fail()

    assert not OutboxMessage.objects.exists()
    assert provider.requests == 0
    # The same call in a transaction that commits is sent, once the commit is done.
    enqueue(case, template, to=TO, key="committed")
    assert OutboxMessage.objects.get().status == OutboxStatus.SENT
    assert dict(provider.delivered) == {"committed": 1}


@pytest.mark.django_db(transaction=True)
def test_enqueue_outside_a_transaction_is_refused(
    templates: dict[tuple[str, str], MessageTemplate], case: CollectionCase
) -> None:
    with pytest.raises(RuntimeError, match="inside the transaction"):
        outbox_enqueue(
            case=case,
            channel="sms",
            to=TO,
            template=templates["sms_reminder_day1", "zh-hans"],
            variables=case_message_variables(case, language="zh-hans", channel="sms"),
            idempotency_key="no-transaction",
        )


@pytest.mark.django_db
def test_the_same_idempotency_key_again_returns_the_row_already_written(
    provider: ProviderState,
    templates: dict[tuple[str, str], MessageTemplate],
    case: CollectionCase,
    django_capture_on_commit_callbacks: Any,
) -> None:
    template = templates["sms_reminder_day1", "zh-hans"]
    with django_capture_on_commit_callbacks(execute=True):
        first = enqueue(case, template, to=TO, key="plan-2026-03-01-case-1")
        again = enqueue(case, template, to=TO, key="plan-2026-03-01-case-1")

    assert first.pk == again.pk
    assert OutboxMessage.objects.count() == 1
    assert provider.received["plan-2026-03-01-case-1"] == 1


@pytest.mark.django_db
def test_a_dispatcher_that_died_after_the_provider_took_the_message_is_finished_without_a_second_delivery(  # noqa: E501
    provider: ProviderState,
    templates: dict[tuple[str, str], MessageTemplate],
    case: CollectionCase,
) -> None:
    message = enqueue(case, templates["sms_reminder_day1", "zh-hans"], to=TO, key="crash-1")
    # What a dispatcher leaves when it is killed between the provider's answer and its own
    # record: the row claimed (sending, attempt 1), the text at the provider.
    OutboxMessage.objects.filter(pk=message.pk).update(
        status=OutboxStatus.SENDING, attempts=1, next_attempt_at=timezone.now() + timedelta(hours=1)
    )
    message.refresh_from_db()
    assert adapter_for("sms").send(outbound(message)).status == "accepted"

    # While the dead dispatcher's claim holds, nobody else takes the row …
    assert outbox_dispatch(message.pk).claimed is False
    # … once it lapses, the next attempt sends again with the same key.
    OutboxMessage.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())
    outcome = outbox_dispatch(message.pk)

    message.refresh_from_db()
    assert (outcome.claimed, message.status, message.attempts) == (True, OutboxStatus.SENT, 2)
    assert provider.received["crash-1"] == 2
    assert provider.delivered["crash-1"] == 1
    assert message.provider_message_id == provider.message_ids["crash-1"]
    # One attempt was recorded (the dead one could not be): one interaction, "sent".
    assert list(Interaction.objects.filter(case=case).values_list("outcome", flat=True)) == ["sent"]


@pytest.mark.django_db
def test_the_sweeper_re_enqueues_rows_left_pending_or_held_by_a_dead_dispatcher(
    provider: ProviderState,
    templates: dict[tuple[str, str], MessageTemplate],
    case: CollectionCase,
    django_capture_on_commit_callbacks: Any,
) -> None:
    template = templates["sms_reminder_day1", "zh-hans"]
    now = timezone.now()
    # No on_commit runs here (the test's transaction never commits): each row's task is "lost".
    lost = enqueue(case, template, to=TO, key="lost-task")
    fresh = enqueue(case, template, to=TO, key="just-enqueued")
    orphan = enqueue(case, template, to=TO, key="dead-dispatcher")
    held = enqueue(case, template, to=TO, key="live-dispatcher")
    OutboxMessage.objects.filter(pk=lost.pk).update(next_attempt_at=now - timedelta(minutes=10))
    OutboxMessage.objects.filter(pk=orphan.pk).update(
        status=OutboxStatus.SENDING, attempts=1, next_attempt_at=now - timedelta(seconds=1)
    )
    OutboxMessage.objects.filter(pk=held.pk).update(
        status=OutboxStatus.SENDING, attempts=1, next_attempt_at=now + timedelta(minutes=2)
    )

    with django_capture_on_commit_callbacks(execute=True):
        swept = outbox_sweep(timedelta(minutes=5))

    assert sorted(swept) == sorted([lost.pk, orphan.pk])
    statuses = dict(OutboxMessage.objects.values_list("idempotency_key", "status"))
    assert statuses == {
        "lost-task": OutboxStatus.SENT,
        "dead-dispatcher": OutboxStatus.SENT,
        "just-enqueued": OutboxStatus.PENDING,
        "live-dispatcher": OutboxStatus.SENDING,
    }
    assert set(provider.delivered) == {"lost-task", "dead-dispatcher"}
    assert fresh.pk not in swept


@pytest.mark.django_db
def test_every_attempt_and_result_is_an_interaction_on_the_case(
    provider: ProviderState,
    templates: dict[tuple[str, str], MessageTemplate],
    case: CollectionCase,
) -> None:
    provider.fail_keys["attempts"] = 1
    message = enqueue(case, templates["sms_reminder_day1", "zh-hans"], to=TO, key="attempts")

    outbox_dispatch(message.pk)
    OutboxMessage.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())
    outbox_dispatch(message.pk)

    rows = list(
        Interaction.objects.filter(case=case)
        .order_by("id")
        .values_list("channel", "party", "number", "outcome")
    )
    assert rows == [("sms", "borrower", TO, "failed"), ("sms", "borrower", TO, "sent")]
    notes = list(
        Interaction.objects.filter(case=case).order_by("id").values_list("notes", flat=True)
    )
    assert "attempt 1: retry" in notes[0]
    assert "HTTP 503" in notes[0]
    assert "attempt 2: accepted" in notes[1]


_crashed: set[str] = set()


class _CrashAfterSend:
    """The real SMS adapter, then an exception the first time for each key: a send that
    raises mid-way, after the gateway has taken the text."""

    channel = "sms"

    def send(self, message: OutboundMessage) -> SendResult:
        result = sms.build_adapter().send(message)
        if message.idempotency_key not in _crashed:
            _crashed.add(message.idempotency_key)
            raise RuntimeError("worker crashed after the gateway answered")
        return result


def crash_after_send_adapter() -> _CrashAfterSend:
    return _CrashAfterSend()


@pytest.mark.django_db
def test_a_send_that_raises_mid_way_is_retried_and_delivered_once(
    provider: ProviderState,
    templates: dict[tuple[str, str], MessageTemplate],
    case: CollectionCase,
    settings: Any,
) -> None:
    channel_settings(settings, ADAPTERS={"sms": f"{__name__}.crash_after_send_adapter"})
    message = enqueue(case, templates["sms_reminder_day1", "en"], to=TO, key="raises-1")

    first = outbox_dispatch(message.pk)
    OutboxMessage.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())
    second = outbox_dispatch(message.pk)

    message.refresh_from_db()
    assert (first.status, second.status) == (OutboxStatus.PENDING, OutboxStatus.SENT)
    failed = Interaction.objects.get(case=case, outcome="failed")
    assert "RuntimeError: worker crashed" in failed.notes
    assert provider.received["raises-1"] == 2
    assert provider.delivered["raises-1"] == 1
    assert message.provider_message_id == provider.message_ids["raises-1"]
