"""``autocollect channels``: load-templates, dispatch (until nothing is left), sweep."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from autocollect.cases.models import CollectionCase
from autocollect.channels.models import MessageTemplate, OutboxMessage, OutboxStatus
from autocollect.channels.selectors import case_message_variables
from autocollect.channels.services import outbox_enqueue
from tests.channels.conftest import make_case
from tests.channels.provider import ProviderState


def _run(*args: str) -> str:
    out = StringIO()
    call_command("channels", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_load_templates_activates_the_shipped_templates_once() -> None:
    first = _run("load-templates", "--actor", "ops")
    second = _run("load-templates")

    assert "8 templates activated" in first
    assert "0 templates activated" in second
    assert MessageTemplate.objects.filter(status="active", activated_by="ops").count() == 8


@pytest.mark.django_db(transaction=True)
def test_dispatch_sends_everything_due_including_retries_then_exits(
    provider: ProviderState, settings: object
) -> None:
    _run("load-templates")
    template = MessageTemplate.objects.get(code="sms_reminder_day1", language="en", status="active")
    case: CollectionCase = make_case(name="李娜")
    provider.fail_keys["d-3"] = 2
    variables = case_message_variables(case, language="en", channel="sms")
    with transaction.atomic():
        for n in range(5):
            outbox_enqueue(
                case=case,
                channel="sms",
                to=f"+861380000000{n}",
                template=template,
                variables=variables,
                idempotency_key=f"d-{n}",
            )
            # The rows are written but their tasks are "lost": nothing is dispatched on commit.
            transaction.get_connection().run_on_commit.clear()

    output = _run("dispatch", "--concurrency", "2", "--poll", "0.05")

    assert "sent 5" in output
    assert set(OutboxMessage.objects.values_list("status", flat=True)) == {OutboxStatus.SENT}
    assert dict(provider.delivered) == {f"d-{n}": 1 for n in range(5)}
    assert provider.received["d-3"] == 3


@pytest.mark.django_db(transaction=True)
def test_sweep_dispatches_rows_whose_task_was_lost(provider: ProviderState) -> None:
    _run("load-templates")
    template = MessageTemplate.objects.get(
        code="sms_reminder_day1", language="zh-hans", status="active"
    )
    case = make_case()
    with transaction.atomic():
        outbox_enqueue(
            case=case,
            channel="sms",
            to="+8613800000009",
            template=template,
            variables=case_message_variables(case, language="zh-hans", channel="sms"),
            idempotency_key="swept",
        )
        transaction.get_connection().run_on_commit.clear()
    OutboxMessage.objects.update(next_attempt_at=timezone.now() - timedelta(minutes=10))

    output = _run("sweep", "--older-than", "300")

    assert "re-enqueued 1 outbox messages" in output
    assert OutboxMessage.objects.get().status == OutboxStatus.SENT
    assert dict(provider.delivered) == {"swept": 1}
