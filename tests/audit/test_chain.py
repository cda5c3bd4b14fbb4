"""The hash-chained audit log: appends verify; any edit or deletion in the database is named."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from autocollect.audit.models import AuditEvent
from autocollect.audit.services import audit_record, audit_verify, event_hash
from autocollect.core.crypto import parse_key

pytestmark = pytest.mark.django_db


def _chain(n: int = 4) -> list[AuditEvent]:
    return [
        audit_record(
            actor="lead.li",
            action="loan.pause",
            object_type="portfolio.loan",
            object_id=str(i),
            after={"reason": "dispute", "amount_fen": 1000 * i, "note": "客户有异议"},
            reason="争议调查",
        )
        for i in range(n)
    ]


def _sql(statement: str, *params: str | int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def test_an_untouched_chain_verifies() -> None:
    events = _chain()
    report = audit_verify()
    assert (report.ok, report.events) == (True, 4)
    assert events[1].prev_hash == events[0].hash
    out = io.StringIO()
    call_command("audit", "verify", stdout=out)
    assert "intact: 4 events" in out.getvalue()


def test_editing_a_row_in_the_database_is_named() -> None:
    events = _chain()
    _sql("UPDATE audit_auditevent SET reason = %s WHERE id = %s", "无", events[2].pk)
    report = audit_verify()
    assert not report.ok
    assert report.first_broken_id == events[2].pk
    assert "does not match its hash" in report.problem
    with pytest.raises(CommandError, match=f"audit chain broken at event {events[2].pk}"):
        call_command("audit", "verify", stdout=io.StringIO())


def test_deleting_a_row_breaks_the_next_link() -> None:
    events = _chain()
    _sql("DELETE FROM audit_auditevent WHERE id = %s", events[1].pk)
    report = audit_verify()
    assert not report.ok
    assert report.first_broken_id == events[2].pk
    assert "altered or removed" in report.problem


def test_deleting_the_newest_rows_is_caught_by_the_chain_head() -> None:
    events = _chain()
    _sql("DELETE FROM audit_auditevent WHERE id = %s", events[-1].pk)
    report = audit_verify()
    assert not report.ok
    assert report.first_broken_id is None
    assert "chain head expects 4 events" in report.problem


def test_rewriting_a_row_with_a_fresh_hash_still_breaks_the_next_link(settings: Any) -> None:
    # Even with the chain key (tests/audit/test_tamper.py: without it, the row itself fails).
    events = _chain()
    forged = AuditEvent.objects.get(pk=events[1].pk)
    forged.reason = "已撤销"
    forged.hash = event_hash(
        key=parse_key(settings.AUTOCOLLECT_AUDIT_KEYS[0]),
        prev_hash=forged.prev_hash, at=forged.at, actor=forged.actor, action=forged.action,
        object_type=forged.object_type, object_id=forged.object_id, before=forged.before,
        after=forged.after, reason=forged.reason,
    )  # fmt: skip
    forged.save()
    report = audit_verify()
    assert not report.ok
    assert report.first_broken_id == events[2].pk
