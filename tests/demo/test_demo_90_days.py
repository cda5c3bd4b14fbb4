"""Acceptance of the strategy issue: ``autocollect demo`` simulates 90 days of the default
strategy and leaves texts, e-mails, voice files, letters and agent queues to open and inspect,
and a contact history in which the gate, replayed after the fact, finds no violation.

And of the later workflows: the 90 days also leave legal referrals that legal has moved on,
repayment arrangements approved, signed and judged by the cycle, and hardship claims with
verified documents and decisions, each step done by a demo user through its service and
audited (docs/demo-data.md, "Casework").

The book is the high-risk one: 400 loans of the normal book have six delinquent loans and two
in M4+, too few for legal to get anything in 90 days; the high-risk book has about 35."""

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

from autocollect.accounts.models import User
from autocollect.arrangements.models import Arrangement, ArrangementInstallment
from autocollect.audit.models import AuditEvent
from autocollect.audit.services import audit_verify
from autocollect.cases.models import CaseOutcome, Interaction, Promise
from autocollect.cases.selectors import visible_cases
from autocollect.channels.models import OutboxMessage
from autocollect.channels.templating import opt_out_line
from autocollect.compliance.models import ContactHold
from autocollect.compliance.replay import replay_history
from autocollect.hardship.models import ClaimDocument, HardshipClaim
from autocollect.legal.models import LegalDeadline, LegalReferral, MediationSession
from autocollect.portfolio.models import Loan
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


@pytest.fixture
def documents(settings: Any, tmp_path: Path) -> Path:
    """Signed confirmations and hardship documents go here, not to the project's var/."""
    folder = tmp_path / "documents"
    settings.AUTOCOLLECT = {**settings.AUTOCOLLECT, "DOCUMENTS": {"DIR": str(folder)}}
    return folder


def audited(action: str, obj: Any, actor: str | None = None) -> bool:
    events = AuditEvent.objects.filter(
        action=action, object_type=obj._meta.label_lower, object_id=str(obj.pk)
    )
    return events.filter(actor=actor).exists() if actor else events.exists()


@pytest.mark.slow
@pytest.mark.django_db
def test_the_demo_simulates_ninety_days_that_can_be_inspected(media: Path, documents: Path) -> None:
    out = io.StringIO()
    call_command(
        "demo", "--loans", "400", "--days", "90", "--no-serve", "--as-of", AS_OF.isoformat(),
        "--risk", "high", stdout=out,
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
    assert_calls_logged_as_on_the_case_page()

    # The later workflows, each step by a demo user through its service: the summary line
    # counts every step, and no service refused one.
    casework = next(line for line in out.getvalue().splitlines() if line.startswith("Casework:"))
    assert "legal.refer" in casework
    assert "refused" not in casework
    assert_legal_workflow()
    assert_arrangements(documents)
    assert_hardship_claims()
    assert audit_verify().ok

    # Legal holds, pauses and the casework's moments included, no contact broke a rule.
    replayed = replay_history()
    assert replayed.contacts == Interaction.objects.count() > 100
    assert replayed.violations == []

    # --reset clears all of it (the outbox's many-to-many table included) and rebuilds.
    call_command(
        "demo", "--loans", "20", "--days", "1", "--no-serve", "--reset",
        "--as-of", AS_OF.isoformat(), stdout=io.StringIO(),
    )  # fmt: skip
    assert Loan.objects.count() == 20
    assert not LegalReferral.objects.exists()
    assert not Arrangement.objects.exists()
    assert not HardshipClaim.objects.exists()


def assert_calls_logged_as_on_the_case_page() -> None:
    """Every call the collectors made was logged through ``workbench.services.outcome_log``: a
    result code for each, and each promise to pay with its outcome and the audit events a
    promise logged on the case page gets."""
    calls = Interaction.objects.filter(agent__isnull=False, channel="call")
    assert calls.exists()
    assert not calls.filter(result__isnull=True).exists()
    codes = set(CaseOutcome.objects.values_list("code", flat=True))
    assert {"promise_to_pay", "callback", "refused_to_pay", "not_reached"} <= codes
    promises = Promise.objects.all()
    assert promises.exists()
    for promise in promises:
        outcome = CaseOutcome.objects.select_related("interaction", "agent").get(promise=promise)
        assert outcome.code == "promise_to_pay"
        assert outcome.right_party
        assert outcome.interaction.outcome == "answered"
        assert outcome.interaction.notes == "模拟外呼"
        assert outcome.agent is not None
        assert promise.created_by == outcome.agent.username
        assert promise.amount_fen > 0
        assert (promise.due_on - promise.promised_on).days == 3
        assert audited("promise.create", promise, promise.created_by)
        assert audited("case.outcome", outcome, promise.created_by)


def assert_legal_workflow() -> None:
    """lead1 referred cases (legal1 sees them, collection contact is held), and legal1 moved
    some on: mediation with sessions, a judicial confirmation applied for, deadlines open."""
    legal1 = User.objects.get(username="legal1")
    referrals = LegalReferral.objects.select_related("case", "referred_by")
    assert referrals.exists()
    for referral in referrals:
        assert referral.referred_by.username == "lead1"
        assert audited("legal.refer", referral, "lead1")
        assert ContactHold.objects.filter(case=referral.case, reason="legal").exists()
    assert set(referrals.values_list("case_id", flat=True)) <= set(
        visible_cases(legal1).values_list("pk", flat=True)
    )
    moved = [r for r in referrals if r.stage != "referral"]
    assert moved
    assert all(audited("legal.stage", r, "legal1") for r in moved)
    assert MediationSession.objects.filter(recorded_by="legal1").exists()
    assert referrals.filter(jc_applied_on__isnull=False).exists()
    assert LegalDeadline.objects.filter(done_at__isnull=True).exists()


def assert_arrangements(documents: Path) -> None:
    """Collectors proposed, lead1 or risk1 (never the proposer) approved, the signed
    confirmation is stored, and the daily cycle judged the new schedules."""
    arrangements = Arrangement.objects.select_related("proposed_by", "decided_by")
    assert arrangements.exists()
    for arrangement in arrangements:
        assert arrangement.proposed_by.role == "collector"
        assert audited("arrangement.propose", arrangement, arrangement.proposed_by.username)
    signed = [a for a in arrangements if a.activated_at is not None]
    assert signed
    for arrangement in signed:
        assert arrangement.decided_by is not None
        assert arrangement.decided_by.username in ("lead1", "risk1")
        assert audited("arrangement.approve", arrangement, arrangement.decided_by.username)
        assert audited("arrangement.activate", arrangement)
        stored = documents / arrangement.documents.get().stored_path
        assert stored.read_bytes().startswith(b"%PDF-")
    assert ArrangementInstallment.objects.exclude(state="pending").exists()
    assert AuditEvent.objects.filter(action="arrangement.evaluate", actor="system").exists()


def assert_hardship_claims() -> None:
    """Collectors filed claims on calls; each document was verified by someone other than its
    uploader; lead1 decided."""
    claims = HardshipClaim.objects.select_related("filed_by")
    assert claims.exists()
    for claim in claims:
        assert audited("hardship.file", claim, claim.filed_by.username)
    verified = ClaimDocument.objects.filter(verified_at__isnull=False)
    assert verified.exists()
    assert all(d.verified_by_id != d.uploaded_by_id for d in verified)
    assert all(audited("hardship.document_verify", d) for d in verified)
    decided = claims.filter(decided_by__username="lead1")
    assert decided.exists()
    assert all(audited(f"hardship.{c.state}", c, "lead1") for c in decided)
