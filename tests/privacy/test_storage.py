"""What reaches the database and the log: sealed values from the importer, the gate and the
outbox; redacted log lines whatever logged them."""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.db import connection, transaction

from autocollect.cases.models import CollectionCase, Interaction
from autocollect.channels.models import MessageTemplate, OutboxMessage
from autocollect.channels.selectors import case_message_variables
from autocollect.channels.services import outbox_enqueue, template_load_defaults
from autocollect.compliance.models import ContactDecision
from autocollect.compliance.services import contact_record
from autocollect.core import crypto
from autocollect.portfolio.importers import import_loans
from autocollect.portfolio.models import Borrower, ContactPoint
from autocollect.privacy.redaction import redact
from tests.factories import make_loan, make_user
from tests.portfolio.import_fixtures import loan_row, national_id, write_csv

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
MOBILE = "+8613812345678"


def _column(table: str, column: str) -> list[str]:
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {qn(column)} FROM {qn(table)} ORDER BY id")
        return [row[0] for row in cursor.fetchall()]


def test_the_importer_writes_sealed_indexed_and_masked_values(tmp_path: Path) -> None:
    row = loan_row(3, email="Wang.Fang@Example.CN")
    import_loans(write_csv(tmp_path / "loans.csv", [row]))
    [token] = _column("portfolio_borrower", "national_id")
    assert crypto.decrypt(token) == national_id(3)
    borrower = Borrower.objects.get(national_id_index=crypto.national_id_index(national_id(3)))
    assert borrower.national_id_masked == national_id(3)[:6] + "********" + national_id(3)[-4:]
    stored = sorted(
        zip(
            [crypto.decrypt(t) for t in _column("portfolio_contactpoint", "value")],
            _column("portfolio_contactpoint", "value_index"),
            _column("portfolio_contactpoint", "masked"),
            strict=True,
        )
    )
    assert stored == sorted(
        (value, crypto.contact_index(value), masked)
        for value, masked in [
            ("+8613800000003", "138****0003"),
            ("wang.fang@example.cn", "w***@example.cn"),
            ("+8613900000003", "139****0003"),
            ("广东省深圳市南山区科技路3号", "广东省深圳市****"),
        ]
    )
    # A second loan of the same person with the same contacts: found by the blind indexes,
    # neither the borrower nor a contact is doubled.
    same_person = {
        k: row[k] for k in ("national_id", "borrower_name", "mobile", "email", "address")
    }
    extra = {k: row[k] for k in row if k.startswith("emergency_contact")}
    import_loans(write_csv(tmp_path / "again.csv", [loan_row(4, **same_person, **extra)]))
    assert Borrower.objects.count() == 1
    assert ContactPoint.objects.count() == 4


def test_gate_decisions_interactions_and_messages_are_stored_sealed() -> None:
    case = CollectionCase.objects.create(
        loan=make_loan(), opened_on=datetime(2026, 3, 1).date(), opened_dpd=4, opened_bucket="M1"
    )
    agent = make_user("zhang")
    contact_record(
        case=case,
        channel="call",
        party="borrower",
        number=MOBILE,
        outcome="answered",
        at=datetime(2026, 3, 2, 10, tzinfo=SHANGHAI),
        actor="zhang",
        agent=agent,
    )
    template_load_defaults(actor="tests")
    template = MessageTemplate.objects.get(
        code="sms_reminder_day1", language="zh-hans", status="active"
    )
    with transaction.atomic():
        outbox_enqueue(
            case=case,
            channel="sms",
            to=MOBILE,
            template=template,
            variables=case_message_variables(case, language="zh-hans", channel="sms"),
            idempotency_key="privacy-1",
        )
    for table, column in (
        ("compliance_contactdecision", "number"),
        ("cases_interaction", "number"),
        ("channels_outboxmessage", "to"),
    ):
        tokens = _column(table, column)
        assert tokens, table
        assert {crypto.decrypt(t) for t in tokens} == {MOBILE}, table
    assert ContactDecision.objects.get().number == MOBILE
    assert Interaction.objects.get().number_masked == "138****5678"
    assert OutboxMessage.objects.get().to == MOBILE


def test_log_lines_never_carry_a_clear_id_or_number(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("autocollect.tests.privacy")
    with caplog.at_level(logging.INFO):
        logger.info("sending to %s for %s", "+8613812345678", "11010519491231002x")
        try:
            raise ValueError("gateway refused 13812345678 (zhang.wei@example.com)")
        except ValueError:
            logger.exception("send failed")
    text = caplog.text
    for clear in ("13812345678", "11010519491231002", "zhang.wei@example.com"):
        assert clear not in text
    assert "138****5678" in text
    assert "110105********002x" in text
    assert "z***@example.com" in text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("GET /api/portfolio/borrowers?national_id=11010519491231002X", "110105********002X"),
        ("to +8613812345678.", "to 138****5678."),
        ("call 13812345678 now", "call 138****5678 now"),
        ("+12125550100", "+1 212***0100"),
        # Contract numbers, amounts and ids stay as they are.
        ("HT-2024-000123 12345678901234 id 42", "HT-2024-000123 12345678901234 id 42"),
    ],
)
def test_redaction_masks_ids_and_numbers_only(text: str, expected: str) -> None:
    assert expected in redact(text)
