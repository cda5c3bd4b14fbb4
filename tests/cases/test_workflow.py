"""``cases.workflow.state_move``: the one state-machine step of the case workflows. Shown on
skip-trace rows with a table of the test's own, so that nothing here depends on a workflow's
real table: an allowed move is saved and audited once; a move outside the table and a move on
an object read before someone else moved it are refused, leaving the row and the audit log as
they were."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from autocollect.audit.models import AuditEvent
from autocollect.audit.services import audit_verify
from autocollect.cases.workflow import state_move
from autocollect.core.errors import Refused
from autocollect.hardcases.models import SkipTrace, TraceStatus
from tests.legal.helpers import make_case

pytestmark = pytest.mark.django_db

T = TraceStatus
# open → found → closed, and nothing else.
TABLE = {T.OPEN: {T.FOUND}, T.FOUND: {T.CLOSED}, T.CLOSED: set()}
CHANGED = "状态已变化，请刷新后重试"
REFUSED = "当前为“%(from)s”，不能变为“%(to)s”"


@pytest.fixture
def trace() -> SkipTrace:
    case = make_case(first_due_on=timezone.localdate() - timedelta(days=75))
    return SkipTrace.objects.create(
        case=case, trigger="flag", opened_at=timezone.now(), opened_by="tester", note="原说明"
    )


def move(trace: SkipTrace, to: str, **kwargs: object) -> SkipTrace:
    options: dict[str, object] = {
        "field": "status",
        "transitions": TABLE,
        "labels": TraceStatus,
        "changed": CHANGED,
        "refused": REFUSED,
        "actor": "tester",
        "action": "test.move",
        **kwargs,
    }
    return state_move(trace, to=to, **options)  # type: ignore[arg-type]


def events() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action="test.move").order_by("id"))


def test_an_allowed_move_is_saved_with_its_values_and_audited_once(trace: SkipTrace) -> None:
    found_at = timezone.now()

    moved = move(
        trace,
        T.FOUND,
        reason="找到联系方式",
        extra={"contact": 7},
        values={"found_at": found_at},
    )

    assert moved is trace
    trace.refresh_from_db()
    assert trace.status == T.FOUND
    assert trace.found_at == found_at
    [event] = events()
    assert event.actor == "tester"
    assert event.object_id == str(trace.pk)
    assert event.object_type == "hardcases.skiptrace"
    assert event.before == {"status": "open"}
    assert event.after == {"status": "found", "contact": 7}
    assert event.reason == "找到联系方式"
    assert audit_verify().ok


def test_the_audit_snapshot_is_taken_before_and_after_the_move(trace: SkipTrace) -> None:
    move(trace, T.FOUND, snapshot=lambda row: {"s": row.status, "case": row.case_id})

    [event] = events()
    assert event.before == {"s": "open", "case": trace.case_id}
    assert event.after == {"s": "found", "case": trace.case_id}


def test_a_move_outside_the_table_is_refused_not_saved_and_not_audited(
    trace: SkipTrace,
) -> None:
    with pytest.raises(Refused) as refused:
        move(trace, T.CLOSED, values={"closed_at": timezone.now()})

    assert refused.value.message == f"当前为“{T.OPEN.label}”，不能变为“{T.CLOSED.label}”"
    # Nothing changed, not even on the object in hand.
    assert trace.status == T.OPEN
    assert trace.closed_at is None
    trace.refresh_from_db()
    assert trace.status == T.OPEN
    assert trace.closed_at is None
    assert events() == []


def test_an_object_read_before_someone_else_moved_it_is_refused(trace: SkipTrace) -> None:
    stale = SkipTrace.objects.get(pk=trace.pk)
    move(trace, T.FOUND)  # someone else, meanwhile
    assert len(events()) == 1

    # found → closed would be allowed now, but the caller decided on "open".
    with pytest.raises(Refused) as refused:
        move(stale, T.CLOSED)

    assert refused.value.message == CHANGED
    trace.refresh_from_db()
    assert trace.status == T.FOUND
    assert trace.closed_at is None
    assert len(events()) == 1


def test_only_the_state_and_the_named_fields_are_saved_unless_fields_is_none(
    trace: SkipTrace,
) -> None:
    trace.note = "调用方改了说明"
    move(trace, T.FOUND)
    trace.refresh_from_db()
    assert trace.status == T.FOUND
    assert trace.note == "原说明"

    trace.note = "调用方改了说明"
    move(trace, T.CLOSED, fields=("note",))
    trace.refresh_from_db()
    assert trace.note == "调用方改了说明"


def test_fields_none_saves_the_whole_row(trace: SkipTrace) -> None:
    trace.note = "整行保存"
    move(trace, T.FOUND, fields=None)
    trace.refresh_from_db()
    assert (trace.status, trace.note) == (T.FOUND, "整行保存")
