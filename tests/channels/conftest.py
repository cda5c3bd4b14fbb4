"""Fixtures for the channels: settings pointing at local servers, a case, the shipped templates."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction

from autocollect.cases.models import CollectionCase
from autocollect.channels.models import MessageTemplate, OutboxMessage, TemplateStatus
from autocollect.channels.selectors import business_today, case_message_variables
from autocollect.channels.services import outbox_enqueue, template_load_defaults
from tests.channels.provider import ProviderState, running_provider
from tests.factories import make_borrower, make_loan, make_product


def channel_settings(settings: Any, **sections: Any) -> None:
    """Merge ``sections`` into ``settings.AUTOCOLLECT["CHANNELS"]`` for one test."""
    autocollect = dict(settings.AUTOCOLLECT)
    channels = dict(autocollect.get("CHANNELS") or {})
    for name, values in sections.items():
        if isinstance(values, dict):
            channels[name] = {**(channels.get(name) or {}), **values}
        else:
            channels[name] = values
    autocollect["CHANNELS"] = channels
    settings.AUTOCOLLECT = autocollect


@pytest.fixture(autouse=True)
def transport_only(settings: Any) -> None:
    """These tests are about carrying messages (providers, retries, crashes, receipts), sent at
    whatever hour CI runs and many to one borrower: the contact gate at send time is off here
    and tested on its own, on a controlled clock, in ``test_gate_at_send``."""
    channel_settings(settings, OUTBOX={"GATE_AT_SEND": False})


@pytest.fixture
def sms_secret() -> str:
    return secrets.token_hex(32)


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    root = tmp_path / "media"
    channel_settings(settings, MEDIA_DIR=str(root))
    return root


@pytest.fixture
def fast_retries(settings: Any) -> None:
    channel_settings(
        settings,
        OUTBOX={
            "MAX_ATTEMPTS": 5,
            "RETRY_BASE_SECONDS": 0.05,
            "RETRY_MAX_SECONDS": 0.2,
            "LEASE_SECONDS": 5,
        },
    )


@pytest.fixture
def provider(settings: Any, sms_secret: str, fast_retries: None) -> Iterator[ProviderState]:
    state = ProviderState(secret=sms_secret)
    with running_provider(state) as endpoint:
        channel_settings(
            settings,
            SMS={"ENDPOINT": endpoint, "APP_KEY": "test-app", "SECRET": sms_secret, "TIMEOUT": 0.5},
        )
        yield state


def make_case(*, name: str = "张伟", contract_no: str | None = None) -> CollectionCase:
    """An open case on a loan whose first three monthly installments are due and unpaid (the
    first fell due 75 days ago)."""
    first_due = business_today() - timedelta(days=75)
    # A product of its own: transactional tests flush the default one the migrations create.
    loan = make_loan(
        product=make_product(),
        borrower=make_borrower(name=name),
        contract_no=contract_no,
        principal_fen=12_000_000,
        term=24,
        first_due_on=first_due,
    )
    return CollectionCase.objects.create(
        loan=loan, opened_on=first_due + timedelta(days=4), opened_dpd=4, opened_bucket="M1"
    )


@pytest.fixture
def case(db: None) -> CollectionCase:
    return make_case()


@pytest.fixture
def templates(db: None) -> dict[tuple[str, str], MessageTemplate]:
    template_load_defaults(actor="tests")
    return {
        (t.code, t.language): t
        for t in MessageTemplate.objects.filter(status=TemplateStatus.ACTIVE)
    }


def enqueue(
    case: CollectionCase,
    template: MessageTemplate,
    *,
    to: str,
    key: str,
    variables: dict[str, str] | None = None,
) -> OutboxMessage:
    """What a decision does: enqueue inside its transaction (dispatch follows the commit)."""
    values = variables or case_message_variables(
        case, language=template.language, channel=template.channel
    )
    with transaction.atomic():
        return outbox_enqueue(
            case=case,
            channel=template.channel,
            to=to,
            template=template,
            variables=values,
            idempotency_key=key,
        )
