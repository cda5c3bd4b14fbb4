"""THE FAULT TEST: 10,000 texts through a dispatcher that is killed (SIGKILL) again and again,
to a gateway that fails 10 % of requests — every text is delivered exactly once.

The dispatcher runs as a separate process (``autocollect channels dispatch``) against the test
database; it is killed every 1–2 s and restarted, then left to finish. The gateway (in this
process) fails half of its failures before taking the text and half after taking it (the answer
is lost): those, and every text in flight when a dispatcher dies, reach the gateway twice with
the same idempotency key, and the gateway must deliver each key once.
"""

from __future__ import annotations

import json
import os
import random
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection
from django.db.models import Count, Sum
from django.utils import timezone

from autocollect.cases.models import Interaction
from autocollect.channels.models import MessageTemplate, OutboxMessage, OutboxStatus
from autocollect.channels.selectors import case_message_variables
from autocollect.channels.services import template_load_defaults, template_render
from tests.channels.conftest import make_case
from tests.channels.provider import ProviderState, running_provider

ROOT = Path(__file__).resolve().parent.parent.parent
MESSAGES = 10_000
CASES = 10
KILLS = 7
FAIL_RATE = 0.10
DISPATCH = [sys.executable, "-m", "autocollect.cli", "channels", "dispatch"]


def _database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _dispatcher(endpoint: str, secret: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "DJANGO_SETTINGS_MODULE": "tests.channels.fault_settings",
        "AUTOCOLLECT_SMS_ENDPOINT": endpoint,
        "AUTOCOLLECT_SMS_SECRET": secret,
    }
    return subprocess.Popen(
        [*DISPATCH, "--batch", "200", "--concurrency", "4", "--poll", "0.2"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def _write_outbox() -> None:
    """10,000 rendered texts for 10 cases, as the day's decisions would have written them."""
    template_load_defaults(actor="tests")
    template = MessageTemplate.objects.get(
        code="sms_reminder_day1", language="zh-hans", status="active"
    )
    now = timezone.now()
    rows = []
    for c in range(CASES):
        case = make_case(name=f"测试{c}号")
        variables = case_message_variables(case, language="zh-hans", channel="sms")
        subject, body = template_render(template, variables)
        for m in range(MESSAGES // CASES):
            n = c * (MESSAGES // CASES) + m
            rows.append(
                OutboxMessage(
                    idempotency_key=f"fault-{n:05d}",
                    case=case,
                    channel="sms",
                    party="borrower",
                    to=f"+86138{n:08d}",
                    template=template,
                    language="zh-hans",
                    subject=subject,
                    body=body,
                    payload={"variables": variables},
                    next_attempt_at=now,
                )
            )
    OutboxMessage.objects.bulk_create(rows, batch_size=1000)


def _claimed() -> int:
    """Attempts claimed so far, by every dispatcher."""
    return int(OutboxMessage.objects.aggregate(n=Sum("attempts"))["n"] or 0)


def _done() -> int:
    return OutboxMessage.objects.filter(status=OutboxStatus.SENT).count()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_dispatcher_killed_repeatedly_delivers_ten_thousand_texts_exactly_once(
    output_dir: Path,
) -> None:
    _write_outbox()
    secret = secrets.token_hex(32)
    state = ProviderState(secret=secret, fail_rate=FAIL_RATE)
    pause = random.Random(20260115)
    started = time.monotonic()
    progress: list[int] = []

    with running_provider(state) as endpoint:
        kills = 0
        while kills < KILLS:
            claimed = _claimed()
            process = _dispatcher(endpoint, secret)
            # Kill a dispatcher at work, not one still importing Django on a loaded machine:
            # wait for its first claims, then let it run a random while.
            deadline = time.monotonic() + 120
            while _claimed() == claimed and time.monotonic() < deadline:
                if process.poll() is not None:
                    break
                time.sleep(0.05)
            time.sleep(pause.uniform(0.3, 1.2))
            if process.poll() is not None:
                _, err = process.communicate()
                pytest.fail(f"the dispatcher finished before kill {kills + 1}: {err.decode()}")
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=30)
            assert process.returncode == -signal.SIGKILL
            kills += 1
            progress.append(_done())
        last = _dispatcher(endpoint, secret)
        out, err = last.communicate(timeout=240)
    elapsed = time.monotonic() - started

    assert last.returncode == 0, err.decode()
    keys = {f"fault-{n:05d}" for n in range(MESSAGES)}
    # Every text delivered by the gateway exactly once …
    assert set(state.delivered) == keys
    assert set(state.delivered.values()) == {1}
    # … though many reached it more than once (lost answers, dispatchers killed mid-send).
    resent = {key: n for key, n in state.received.items() if n > 1}
    duplicates = sum(n - 1 for n in resent.values())
    assert state.failed_after > 0
    assert duplicates >= state.failed_after
    # Every row ended sent, with the gateway's id for its key, and exactly one "sent"
    # interaction: a killed attempt records nothing, a taken-over one records once.
    statuses = dict(OutboxMessage.objects.values_list("status").annotate(n=Count("id")).order_by())
    assert statuses == {OutboxStatus.SENT: MESSAGES}
    ids = dict(OutboxMessage.objects.values_list("idempotency_key", "provider_message_id"))
    assert ids == state.message_ids
    sent = Interaction.objects.filter(channel="sms", outcome="sent")
    assert sent.count() == MESSAGES
    assert sent.values("outbox_messages").distinct().count() == MESSAGES
    # The kills hit dispatchers at work: attempts were claimed and never recorded.
    attempts = sum(OutboxMessage.objects.values_list("attempts", flat=True))
    recorded = Interaction.objects.filter(channel="sms").count()
    lost_to_kills = attempts - recorded
    assert lost_to_kills > 0
    # The kills hit dispatchers that were making progress (the first may hit one still
    # starting up on a loaded machine).
    assert progress[-1] > 0

    report = {
        "database": connection.vendor,
        "messages": MESSAGES,
        "kills": kills,
        "sent_before_each_kill": progress,
        "requests": state.requests,
        "failed_before_taking": state.failed_before,
        "failed_after_taking": state.failed_after,
        "keys_received_more_than_once": len(resent),
        "duplicate_requests": duplicates,
        "delivered": sum(state.delivered.values()),
        "attempts": attempts,
        "attempts_lost_to_kills": lost_to_kills,
        "seconds": round(elapsed, 1),
        "last_run": out.decode().strip(),
    }
    (output_dir / f"channels-fault-{connection.vendor}.json").write_text(
        json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8"
    )
    print(json.dumps(report, ensure_ascii=False))
