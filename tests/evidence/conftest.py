"""Fixtures for evidence packages: a case with a history worth preserving, users by role."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from autocollect.accounts.models import User
from autocollect.accounts.roles import Role
from autocollect.audit.services import audit_record
from autocollect.cases.models import (
    CaseFlag,
    CaseOutcome,
    CollectionCase,
    FlagKind,
    Interaction,
    InteractionOutcome,
    InteractionParty,
    OutcomeCode,
    Promise,
)
from autocollect.channels.models import MessageTemplate, OutboxMessage, OutboxStatus
from autocollect.channels.selectors import business_today
from autocollect.compliance.models import ContactHold, HoldReason
from autocollect.portfolio.models import ContactKind, ContactOwner
from tests.channels.conftest import channel_settings
from tests.factories import (
    make_borrower,
    make_contact,
    make_loan,
    make_payment,
    make_product,
    make_user,
    make_vehicle,
)

NATIONAL_ID = "110105199003070017"
MOBILE = "+8613812345678"
LETTER_BYTES = b"%PDF-1.4\n% a collection notice stand-in\n%%EOF\n"
WAV_BYTES = b"RIFF\x24\x00\x00\x00WAVEfmt " + bytes(40)


@dataclass
class History:
    case: CollectionCase
    media: Path
    agent: User


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    root = tmp_path / "media"
    channel_settings(settings, MEDIA_DIR=str(root))
    return root


@pytest.fixture
def agent(db: None) -> User:
    return make_user("collector.li", Role.COLLECTOR)


@pytest.fixture
def legal(db: None) -> User:
    return make_user("legal.wang", Role.LEGAL)


@pytest.fixture
def compliance(db: None) -> User:
    return make_user("compliance.chen", Role.COMPLIANCE)


@pytest.fixture
def history(db: None, media: Path, agent: User) -> History:
    """A loan whose first three installments fell due and are partly unpaid, with a vehicle, a
    guarantor, a partial payment, two calls (one with a promise), a letter and a robot call
    on file, a hold and a flag, and some audit events about the case."""
    first_due = business_today() - timedelta(days=75)
    borrower = make_borrower(name="张伟", national_id=NATIONAL_ID)
    make_contact(borrower, value=MOBILE)
    make_contact(
        borrower,
        kind=ContactKind.MOBILE,
        value="+8613900001111",
        owner=ContactOwner.GUARANTOR,
        owner_name="李娜",
        relationship="配偶",
    )
    loan = make_loan(
        product=make_product(),
        borrower=borrower,
        contract_no="HT-EVID-0001",
        principal_fen=12_000_000,
        term=24,
        first_due_on=first_due,
    )
    make_vehicle(loan, plate="粤B12345", brand="比亚迪", model="秦PLUS")
    make_payment(loan, amount_fen=300_000, paid_on=first_due + timedelta(days=10))
    case = CollectionCase.objects.create(
        loan=loan,
        opened_on=first_due + timedelta(days=4),
        opened_dpd=4,
        opened_bucket="M1",
        assigned_agent=agent,
    )
    now = timezone.now()
    call = Interaction.objects.create(
        case=case,
        at=now - timedelta(days=20),
        channel="call",
        party=InteractionParty.BORROWER,
        number=MOBILE,
        outcome=InteractionOutcome.ANSWERED,
        agent=agent,
        notes="借款人称月底还款",
    )
    promise = Promise.objects.create(
        case=case,
        loan=loan,
        promised_on=business_today() - timedelta(days=20),
        due_on=business_today() - timedelta(days=10),
        amount_fen=500_000,
        created_by=agent.username,
    )
    CaseOutcome.objects.create(
        interaction=call,
        case=case,
        code=OutcomeCode.PROMISE_TO_PAY,
        right_party=True,
        promise=promise,
        agent=agent,
    )
    Interaction.objects.create(
        case=case,
        at=now - timedelta(days=5),
        channel="call",
        party=InteractionParty.BORROWER,
        number=MOBILE,
        outcome=InteractionOutcome.NO_ANSWER,
        agent=agent,
    )
    template = MessageTemplate.objects.create(
        code="formal_letter_day15", channel="letter", language="zh-hans", body="催收通知函正文"
    )
    robot = MessageTemplate.objects.create(
        code="robot_reminder", channel="robot_call", language="zh-hans", body="还款提醒"
    )
    (media / "letters").mkdir(parents=True)
    (media / "letters" / "letter-1.pdf").write_bytes(LETTER_BYTES)
    (media / "voice").mkdir(parents=True)
    (media / "voice" / "voice-1.wav").write_bytes(WAV_BYTES)
    for key, tmpl, to, artifact in [
        ("letter-1", template, "广东省深圳市南山区科技园路1号", "letters/letter-1.pdf"),
        ("voice-1", robot, MOBILE, "voice/voice-1.wav"),
    ]:
        OutboxMessage.objects.create(
            idempotency_key=key,
            case=case,
            channel=tmpl.channel,
            to=to,
            template=tmpl,
            language="zh-hans",
            subject="催收通知函" if tmpl.channel == "letter" else "",
            body=tmpl.body,
            status=OutboxStatus.SENT,
            next_attempt_at=now,
            sent_at=now - timedelta(days=15),
            artifact=artifact,
        )
    ContactHold.objects.create(
        case=case,
        reason=HoldReason.DISPUTE,
        placed_at=now - timedelta(days=3),
        placed_by="lead.zhao",
        note="借款人对罚息有异议",
    )
    CaseFlag.objects.create(
        case=case, kind=FlagKind.BROKEN_PROMISE, set_at=now - timedelta(days=9), set_by="cycle"
    )
    audit_record(actor=agent.username, action="case.outcome", obj=case, after={"code": "ptp"})
    return History(case=case, media=media, agent=agent)


def refer_to_legal(case: CollectionCase) -> None:
    case.legal_referred_at = datetime(2026, 1, 5, 2, 0, tzinfo=UTC)
    case.save(update_fields=["legal_referred_at"])
