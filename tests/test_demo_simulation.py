"""Acceptance of the strategy issue: ``autocollect demo`` simulates 90 days of the default
strategy and leaves texts, e-mails, voice files, letters and agent queues to open and inspect,
and a contact history in which the gate, replayed after the fact, finds no violation."""

from __future__ import annotations

import email
import io
import json
import subprocess
import wave
from datetime import date
from email import policy
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from autocollect.cases.models import Interaction
from autocollect.channels.models import OutboxMessage
from autocollect.channels.templating import opt_out_line
from autocollect.compliance.replay import replay_history
from autocollect.strategy.models import ActionStatus, PlannedAction

AS_OF = date(2026, 6, 30)
SINKS = {
    "sms": "autocollect.channels.sink.build_sms_sink",
    "email": "autocollect.channels.sink.build_email_sink",
}


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    """The local settings' channels: texts and e-mails to files, speech and letters produced."""
    root = tmp_path / "channels"
    channels = dict(settings.AUTOCOLLECT.get("CHANNELS") or {})
    channels.update(ADAPTERS=SINKS, MEDIA_DIR=str(root))
    settings.AUTOCOLLECT = {**settings.AUTOCOLLECT, "CHANNELS": channels}
    return root


@pytest.mark.slow
@pytest.mark.django_db
def test_the_demo_simulates_ninety_days_that_can_be_inspected(media: Path) -> None:
    out = io.StringIO()
    call_command(
        "demo", "--loans", "400", "--days", "90", "--no-serve", "--as-of", AS_OF.isoformat(),
        stdout=out,
    )  # fmt: skip

    assert "Simulated 90 days" in out.getvalue()
    sent = OutboxMessage.objects.filter(status__in=["sent", "delivered"])

    texts = sorted((media / "sms").glob("*.json"))
    assert texts
    assert len(texts) == sent.filter(channel="sms").count()
    first = json.loads(texts[0].read_text("utf-8"))
    assert first["to"].startswith("+86")
    assert "400-000-0000" in first["content"]

    mails = sorted((media / "email").glob("*.eml"))
    assert mails
    assert len(mails) == sent.filter(channel="email").count()
    parsed = email.message_from_bytes(mails[0].read_bytes(), policy=policy.default)
    assert parsed["Message-ID"]
    assert parsed["To"]
    body = parsed.get_body().get_content()  # type: ignore[union-attr]
    assert opt_out_line("email", "zh-hans") in body

    voices = sorted((media / "voice").glob("*.wav"))
    assert voices
    assert len(voices) == sent.filter(channel="robot_call").count()
    with wave.open(str(voices[0])) as audio:
        assert audio.getnframes() / audio.getframerate() > 1.0

    letters = sorted((media / "letters").glob("*.pdf"))
    assert letters
    assert len(letters) == sent.filter(channel="letter").count()
    assert letters[0].read_bytes().startswith(b"%PDF")
    text = subprocess.run(
        ["pdftotext", str(letters[0]), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "催收通知函" in text

    # Collectors called over the 90 days, and today's queues wait for them.
    assert Interaction.objects.filter(agent__isnull=False, channel="call").exists()
    today = PlannedAction.objects.filter(as_of=AS_OF, status=ActionStatus.QUEUED)
    assert today.filter(agent__isnull=False).exists()

    replayed = replay_history()
    assert replayed.contacts == Interaction.objects.count() > 100
    assert replayed.violations == []
