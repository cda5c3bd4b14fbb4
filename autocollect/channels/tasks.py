"""Huey tasks: dispatch one outbox row by id; dispatch the due rows of a batch (the daily plan's
messages, scheduled for their planned moments); sweep up rows left behind by a crash.

Retries: a temporary failure (timeout, 5xx) is recorded on the row with its next attempt time
(exponential backoff, ``outbox.retry_delay``) and the task re-queues itself for that time with
``RetryTask``; the row's ``attempts`` and ``MAX_ATTEMPTS`` decide when to give up, so the Huey
queue and ``autocollect channels dispatch`` follow one policy. An unexpected exception (the
database away) is retried by Huey itself with its own backoff; the sweeper catches anything
both miss.
"""

from __future__ import annotations

from datetime import timedelta

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task
from huey.exceptions import RetryTask

from autocollect.channels.conf import outbox_config
from autocollect.channels.models import OutboxMessage, OutboxStatus
from autocollect.channels.outbox import outbox_dispatch, outbox_reclaim
from autocollect.core import clock


@db_task(retries=5, retry_delay=10, retry_backoff=2.0)
def outbox_dispatch_task(message_id: int) -> str:
    outcome = outbox_dispatch(message_id)
    if outcome.retry_at is not None:
        delay = max(0.0, (outcome.retry_at - clock.now()).total_seconds())
        raise RetryTask(f"outbox message {message_id} is {outcome.status}", delay=delay)
    return outcome.status


@db_task()
def outbox_dispatch_due(key_prefix: str) -> int:
    """Hand the pending rows whose idempotency key starts with ``key_prefix`` (a plan date's
    messages: ``plan:<date>:``) and that are due now to ``outbox_dispatch_task``, one task per
    row, so that several workers send in parallel."""
    ids = list(
        OutboxMessage.objects.filter(
            idempotency_key__startswith=key_prefix,
            status=OutboxStatus.PENDING,
            next_attempt_at__lte=clock.now(),
        )
        .order_by("next_attempt_at", "id")
        .values_list("id", flat=True)
    )
    for message_id in ids:
        outbox_dispatch_task(message_id)
    return len(ids)


@db_periodic_task(crontab(minute="*"))
def outbox_sweeper() -> int:
    """Every minute: rows pending for longer than ``SWEEP_AFTER_SECONDS`` past their due time
    (their task was lost) or held by a dispatcher that died, dispatched again."""
    older_than = timedelta(seconds=outbox_config().sweep_after_seconds)
    ids = outbox_reclaim(older_than=older_than)
    for message_id in ids:
        outbox_dispatch_task(message_id)
    return len(ids)
