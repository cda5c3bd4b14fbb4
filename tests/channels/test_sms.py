"""SMS through the HTTP adapter against a local gateway: signatures, idempotency keys, timeouts,
5xx and 4xx, delivery receipts (duplicates included) through the callback endpoint."""

from __future__ import annotations

import json
import time
from datetime import datetime
from typing import Any

import pytest
from django.test import Client
from huey.contrib.djhuey import HUEY

from autocollect.cases.models import CollectionCase, Interaction
from autocollect.channels.models import (
    DeliveryReceipt,
    MessageTemplate,
    OutboxMessage,
    OutboxStatus,
)
from autocollect.channels.outbox import outbox_dispatch
from autocollect.channels.sms import sign, verify
from tests.channels.conftest import enqueue
from tests.channels.provider import ProviderState

pytestmark = pytest.mark.django_db

TO = "+8613800138000"


def _outcomes(message: OutboxMessage) -> list[str]:
    return list(message.interactions.order_by("id").values_list("outcome", flat=True))


def _run_scheduled_retries(*, rounds: int = 20) -> int:
    """Run the retries the dispatch task scheduled for itself (in the tests' immediate mode
    Huey keeps them in memory until asked), waiting out the (fast) backoff."""
    ran = 0
    for _ in range(rounds):
        tasks = HUEY.read_schedule(datetime(9999, 1, 1))
        if not tasks:
            return ran
        time.sleep(0.3)
        for task in tasks:
            HUEY.execute(task)
            ran += 1
    raise AssertionError(f"still retrying after {rounds} rounds")


@pytest.fixture(autouse=True)
def _empty_huey_schedule() -> None:
    HUEY.storage.flush_schedule()


def test_a_text_is_signed_carries_its_idempotency_key_and_becomes_an_interaction(
    provider: ProviderState,
    templates: dict[tuple[str, str], MessageTemplate],
    case: CollectionCase,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        message = enqueue(case, templates["sms_reminder_day1", "zh-hans"], to=TO, key="k-1")

    message.refresh_from_db()
    assert message.status == OutboxStatus.SENT
    assert message.attempts == 1
    assert message.provider_message_id == provider.message_ids["k-1"]
    assert provider.received["k-1"] == provider.delivered["k-1"] == 1
    assert provider.bad_signatures == 0
    sent = provider.bodies["k-1"]
    assert sent["to"] == TO
    assert sent["content"] == message.body
    assert "回复TD退订" in sent["content"]
    assert provider.headers["k-1"]["x-app-key"] == "test-app"
    interaction = Interaction.objects.get(case=case)
    assert (interaction.channel, interaction.party, interaction.outcome, interaction.number) == (
        "sms",
        "borrower",
        "sent",
        TO,
    )
    assert list(message.interactions.all()) == [interaction]


def test_a_second_dispatch_of_a_sent_row_sends_nothing(
    provider: ProviderState,
    templates: dict[tuple[str, str], MessageTemplate],
    case: CollectionCase,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        message = enqueue(case, templates["sms_reminder_day1", "en"], to=TO, key="k-2")

    again = outbox_dispatch(message.pk)

    assert (again.claimed, again.status) == (False, "sent")
    assert provider.received["k-2"] == 1
    assert Interaction.objects.filter(case=case).count() == 1


def test_a_timeout_after_the_provider_took_the_text_is_retried_and_delivered_once(
    provider: ProviderState,
    templates: dict[tuple[str, str], MessageTemplate],
    case: CollectionCase,
    django_capture_on_commit_callbacks: Any,
) -> None:
    # The gateway takes the text, then answers after 1.5 s: past the client's 0.5 s timeout.
    provider.delay_keys.add("k-3")
    provider.delay = 1.5
    with django_capture_on_commit_callbacks(execute=True):
        message = enqueue(case, templates["sms_reminder_day1", "zh-hans"], to=TO, key="k-3")

    message.refresh_from_db()
    assert message.status == OutboxStatus.PENDING
    assert "timeout" in message.last_error
    assert len(HUEY.scheduled()) == 1  # the task re-queued itself for the backoff time

    assert _run_scheduled_retries() == 1

    message.refresh_from_db()
    assert message.status == OutboxStatus.SENT
    assert message.attempts == 2
    assert provider.received["k-3"] == 2  # sent twice with the same key …
    assert provider.delivered["k-3"] == 1  # … delivered once
    assert message.provider_message_id == provider.message_ids["k-3"]
    assert _outcomes(message) == ["failed", "sent"]


def test_5xx_is_retried_with_backoff_until_the_provider_takes_it(
    provider: ProviderState,
    templates: dict[tuple[str, str], MessageTemplate],
    case: CollectionCase,
    django_capture_on_commit_callbacks: Any,
) -> None:
    provider.fail_keys["k-4"] = 2
    with django_capture_on_commit_callbacks(execute=True):
        message = enqueue(case, templates["sms_reminder_day1", "zh-hans"], to=TO, key="k-4")
    first_retry_at = OutboxMessage.objects.get(pk=message.pk).next_attempt_at

    assert _run_scheduled_retries() == 2

    message.refresh_from_db()
    assert message.status == OutboxStatus.SENT
    assert message.attempts == 3
    assert first_retry_at > message.created_at
    assert provider.received["k-4"] == 3
    assert provider.delivered["k-4"] == 1
    assert _outcomes(message) == ["failed", "failed", "sent"]


def test_a_4xx_fails_for_good_without_retrying(
    provider: ProviderState,
    templates: dict[tuple[str, str], MessageTemplate],
    case: CollectionCase,
    django_capture_on_commit_callbacks: Any,
) -> None:
    provider.reject_numbers.add("+8613900000000")
    with django_capture_on_commit_callbacks(execute=True):
        message = enqueue(
            case, templates["sms_reminder_day1", "zh-hans"], to="+8613900000000", key="k-5"
        )

    message.refresh_from_db()
    assert message.status == OutboxStatus.FAILED
    assert "HTTP 400" in message.last_error
    assert HUEY.scheduled() == []
    assert _outcomes(message) == ["failed"]


def test_a_message_that_keeps_failing_is_given_up_after_max_attempts(
    provider: ProviderState,
    templates: dict[tuple[str, str], MessageTemplate],
    case: CollectionCase,
    django_capture_on_commit_callbacks: Any,
) -> None:
    provider.fail_keys["k-6"] = 100
    with django_capture_on_commit_callbacks(execute=True):
        message = enqueue(case, templates["sms_reminder_day1", "zh-hans"], to=TO, key="k-6")

    _run_scheduled_retries()

    message.refresh_from_db()
    assert message.status == OutboxStatus.DEAD
    assert message.attempts == 5  # MAX_ATTEMPTS in the fast_retries fixture
    assert provider.received["k-6"] == 5
    assert provider.delivered["k-6"] == 0
    assert _outcomes(message) == ["failed"] * 5


def test_signatures_verify_only_with_the_same_key_and_body() -> None:
    body = json.dumps({"to": TO}).encode()
    signature = sign("secret-a", body)

    assert verify("secret-a", body, signature)
    assert not verify("secret-b", body, signature)
    assert not verify("secret-a", body + b" ", signature)
    assert not verify("", body, sign("", body))


@pytest.mark.django_db(transaction=True)
def test_receipts_posted_by_the_provider_are_applied_once_even_when_repeated(
    provider: ProviderState,
    templates: dict[tuple[str, str], MessageTemplate],
    case: CollectionCase,
    live_server: Any,
) -> None:
    first = enqueue(case, templates["sms_reminder_day1", "zh-hans"], to=TO, key="r-1")
    second = enqueue(case, templates["sms_reminder_day1", "zh-hans"], to=TO, key="r-2")
    # transaction=True: the commits ran the dispatch tasks (Huey immediate).
    assert provider.received == {"r-1": 1, "r-2": 1}
    url = f"{live_server.url}/channels/sms/receipts/"

    delivered = provider.post_receipts(url, ["r-1"], copies=3)
    undelivered = provider.post_receipts(url, ["r-2"], status="failed", copies=2)

    assert [r.status_code for r in delivered + undelivered] == [200] * 5
    assert [r.json()["duplicates"] for r in delivered] == [0, 1, 1]
    assert [r.json()["duplicates"] for r in undelivered] == [0, 1]
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == OutboxStatus.DELIVERED
    assert first.delivered_at is not None
    assert second.status == OutboxStatus.FAILED
    assert DeliveryReceipt.objects.count() == 2
    assert _outcomes(first) == ["sent", "delivered"]
    assert _outcomes(second) == ["sent", "failed"]


def test_a_receipt_with_a_bad_signature_is_refused(provider: ProviderState, client: Client) -> None:
    body = json.dumps({"message_id": "SM1", "status": "delivered"}).encode()

    forged = client.post(
        "/channels/sms/receipts/",
        data=body,
        content_type="application/json",
        headers={"X-Signature": sign("not-the-secret", body)},
    )
    unsigned = client.post("/channels/sms/receipts/", data=body, content_type="application/json")

    assert (forged.status_code, unsigned.status_code) == (403, 403)
    assert DeliveryReceipt.objects.count() == 0


def test_a_malformed_receipt_is_answered_400_naming_the_field(
    provider: ProviderState, client: Client
) -> None:
    body = json.dumps({"status": "delivered"}).encode()

    response = client.post(
        "/channels/sms/receipts/",
        data=body,
        content_type="application/json",
        headers={"X-Signature": sign(provider.secret, body)},
    )

    assert response.status_code == 400
    assert "message_id" in response.json()["error"]
