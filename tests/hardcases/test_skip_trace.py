"""Skip tracing: detection from the interaction history, the task list, agency authorisation,
found contacts, the legal proposal after the configured time, and the forbidden moves."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from autocollect.accounts.models import User
from autocollect.audit.models import AuditEvent
from autocollect.cases.models import CaseFlag, CollectionCase, Interaction
from autocollect.compliance.services import contact_check
from autocollect.core.errors import ApplicationError, Refused
from autocollect.hardcases.models import (
    SkipTask,
    SkipTrace,
    TaskKind,
    TaskOutcome,
    TraceStatus,
)
from autocollect.hardcases.selectors import lost_contact_case_ids
from autocollect.hardcases.services.agencies import agency_register
from autocollect.hardcases.services.nightly import skip_trace_nightly, skip_trace_propose_legal
from autocollect.hardcases.services.skip_tasks import FoundContact, skip_task_add, skip_task_record
from autocollect.hardcases.services.skip_trace import (
    TRACE_TRANSITIONS,
    skip_trace_close,
    skip_trace_move,
    skip_trace_open,
    skip_trace_refer,
)
from autocollect.legal.models import LegalReferral
from autocollect.portfolio.models import ContactPoint, ContactStatus
from tests.factories import make_contact
from tests.hardcases.helpers import letter_upload

pytestmark = pytest.mark.django_db
SECOND = "+8613900139000"
FIRST = "+8613800138000"


def calls(case: CollectionCase, number: str, outcomes: list[str], *, end: datetime) -> None:
    for i, outcome in enumerate(outcomes):
        Interaction.objects.create(
            case=case,
            at=end - timedelta(hours=i + 1),
            channel="call",
            party="borrower",
            number=number,
            outcome=outcome,
        )


def detect(at: datetime) -> list[int]:
    return lost_contact_case_ids(at=at, attempts=3, days=14)


def test_every_number_failing_is_lost_contact_and_one_working_number_is_not(
    case: CollectionCase,
) -> None:
    now = timezone.now()
    make_contact(case.loan.borrower, value=SECOND)
    calls(case, FIRST, ["no_answer"] * 3, end=now)
    assert detect(now) == []  # the second number was never tried

    calls(case, SECOND, ["no_answer", "no_answer"], end=now)
    assert detect(now) == []  # two attempts are not enough
    calls(case, SECOND, ["no_answer"], end=now - timedelta(days=1))
    assert detect(now) == [case.pk]

    # The same attempts seen from three weeks later are outside the 14-day window.
    assert detect(now + timedelta(days=21)) == []


def test_a_wrong_number_fails_at_once_and_an_answer_means_reachable(
    case: CollectionCase,
) -> None:
    now = timezone.now()
    calls(case, FIRST, ["wrong_number"], end=now - timedelta(days=40))
    assert detect(now) == [case.pk]
    make_contact(case.loan.borrower, value=SECOND)
    calls(case, SECOND, ["no_answer", "no_answer", "answered"], end=now)
    assert detect(now) == []


def test_a_borrower_without_any_usable_number_has_lost_contact(case: CollectionCase) -> None:
    ContactPoint.objects.filter(borrower=case.loan.borrower).update(status=ContactStatus.INVALID)
    assert detect(timezone.now()) == [case.pk]


def test_the_nightly_job_opens_a_trace_with_its_tasks_and_flags_the_case(
    case: CollectionCase, settings: Any
) -> None:
    settings.AUTOCOLLECT = {**settings.AUTOCOLLECT, "HARDCASES": {"LOST_CONTACT_ATTEMPTS": 2}}
    make_contact(case.loan.borrower, value="+8613700137000", owner="emergency", owner_name="李母")
    now = timezone.now()
    calls(case, FIRST, ["no_answer", "no_answer"], end=now)

    result = skip_trace_nightly(at=now)

    trace = SkipTrace.objects.get(case=case)
    assert result.opened == [trace.pk]
    assert trace.status == TraceStatus.OPEN
    assert trace.trigger == "all_numbers_failed"
    kinds = list(trace.tasks.values_list("kind", flat=True))
    assert kinds == [
        TaskKind.RECHECK_NUMBERS,
        TaskKind.EMERGENCY_CONTACT,
        TaskKind.EMPLOYER,
        TaskKind.PUBLIC_SOURCES,
    ]
    assert CaseFlag.objects.filter(case=case, kind="lost_contact", cleared_at__isnull=True).exists()
    # Run again: nothing new (the case is being traced).
    assert skip_trace_nightly(at=now).opened == []
    # With the flag set, the gate lets the collector call the emergency contact (only to
    # re-establish contact, cn.third_party).
    decision = contact_check(
        case=case, channel="sms", party="third_party", number="+8613700137000",
        requested_by="t", record=False, at=timezone.now(),
    )  # fmt: skip
    assert "cn.third_party.unreachable_only" not in decision.rules


def test_an_agency_task_needs_a_valid_written_authorisation(
    case: CollectionCase, people: dict[str, User]
) -> None:
    trace = skip_trace_open(case=case, actor=people["collector"], trigger="flag")
    agency = agency_register(
        actor=people["lead"],
        name="某某商务调查有限公司",
        licence_no="91440300MA5XXXXXXX",
        authorisation_ref="SQ-2026-001",
        authorised_from=date(2026, 1, 1),
        authorised_until=date(2026, 6, 30),
        letter=letter_upload(),
    )
    tasks = SkipTask.objects.count()
    with pytest.raises(ApplicationError, match="委托授权不在有效期内"):
        skip_task_add(
            trace=trace, actor=people["lead"], kind="agency", agency=agency, on=date(2026, 7, 1)
        )
    with pytest.raises(ApplicationError):
        skip_task_add(trace=trace, actor=people["lead"], kind="agency", on=date(2026, 3, 1))
    assert SkipTask.objects.count() == tasks

    task = skip_task_add(
        trace=trace, actor=people["lead"], kind="agency", agency=agency, on=date(2026, 6, 30)
    )
    assert task.agency == agency
    with pytest.raises(PermissionDenied):
        agency_register(
            actor=people["collector"], name="x", licence_no="y", authorisation_ref="z",
            authorised_from=date(2026, 1, 1), authorised_until=date(2026, 2, 1),
            letter=letter_upload(),
        )  # fmt: skip


def test_a_found_contact_goes_back_to_the_case_unverified(
    case: CollectionCase, people: dict[str, User]
) -> None:
    trace = skip_trace_open(case=case, actor=people["collector"], trigger="flag")
    employer = trace.tasks.get(kind=TaskKind.EMPLOYER)
    public = trace.tasks.get(kind=TaskKind.PUBLIC_SOURCES)
    skip_task_record(task=public, actor=people["collector"], outcome="no_result")

    skip_task_record(
        task=employer,
        actor=people["collector"],
        outcome="found",
        note="单位前台提供新手机号",
        found=FoundContact(kind="mobile", value="+8613600136000"),
    )

    trace.refresh_from_db()
    employer.refresh_from_db()
    assert trace.status == TraceStatus.FOUND
    assert trace.found_at is not None
    point = employer.found_contact
    assert point is not None
    assert point.status == ContactStatus.UNVERIFIED
    assert point.borrower_id == case.loan.borrower_id
    assert point.value == "+8613600136000"
    # An outcome is recorded once; a found trace takes no further outcomes.
    with pytest.raises(ApplicationError):
        skip_task_record(task=employer, actor=people["collector"], outcome="no_result")
    recheck = trace.tasks.get(kind=TaskKind.RECHECK_NUMBERS)
    with pytest.raises(ApplicationError):
        skip_task_record(task=recheck, actor=people["collector"], outcome="no_result")
    assert SkipTask.objects.get(pk=recheck.pk).outcome == TaskOutcome.PENDING

    skip_trace_close(trace=trace, actor=people["collector"], note="已联系到本人", reached=True)
    assert not CaseFlag.objects.filter(
        case=case, kind="lost_contact", cleared_at__isnull=True
    ).exists()


def test_found_needs_a_contact_and_a_known_invalid_number_is_not_new(
    case: CollectionCase, people: dict[str, User]
) -> None:
    trace = skip_trace_open(case=case, actor=people["collector"], trigger="flag")
    task = trace.tasks.get(kind=TaskKind.PUBLIC_SOURCES)
    with pytest.raises(ApplicationError):
        skip_task_record(task=task, actor=people["collector"], outcome="found")
    make_contact(case.loan.borrower, value="+8613500135000", status=ContactStatus.INVALID)
    with pytest.raises(ApplicationError):
        skip_task_record(
            task=task, actor=people["collector"], outcome="found",
            found=FoundContact(kind="mobile", value="+8613500135000"),
        )  # fmt: skip
    task.refresh_from_db()
    assert task.outcome == TaskOutcome.PENDING


def test_after_the_configured_time_the_trace_is_proposed_and_then_referred(
    case: CollectionCase, people: dict[str, User], settings: Any
) -> None:
    settings.AUTOCOLLECT = {**settings.AUTOCOLLECT, "HARDCASES": {"LEGAL_AFTER_DAYS": 30}}
    trace = skip_trace_open(case=case, actor=people["collector"], trigger="flag")
    # Referring before the proposal is refused.
    with pytest.raises(ApplicationError):
        skip_trace_refer(trace=trace, actor=people["lead"])
    assert not LegalReferral.objects.exists()

    now = timezone.now()
    assert skip_trace_propose_legal(at=now + timedelta(days=29)) == []
    proposed = skip_trace_propose_legal(at=now + timedelta(days=31))
    assert [t.pk for t in proposed] == [trace.pk]
    trace.refresh_from_db()
    assert trace.status == TraceStatus.LEGAL_PROPOSED

    referral = skip_trace_refer(trace=trace, actor=people["lead"])
    trace.refresh_from_db()
    assert trace.status == TraceStatus.REFERRED
    assert referral.reason == "lost_contact"
    assert referral.default_judgment
    case.refresh_from_db()
    assert case.legal_referred_at is not None
    assert (
        AuditEvent.objects.filter(action="skiptrace.status", object_id=str(trace.pk)).count() == 2
    )


FORBIDDEN = [
    (a, b)
    for a in TraceStatus.values
    for b in TraceStatus.values
    if a != b and b not in TRACE_TRANSITIONS[a]
]


@pytest.mark.parametrize(("start", "to"), FORBIDDEN)
def test_every_trace_move_outside_the_table_is_refused(
    case: CollectionCase, people: dict[str, User], start: str, to: str
) -> None:
    trace = skip_trace_open(case=case, actor=people["collector"], trigger="flag")
    SkipTrace.objects.filter(pk=trace.pk).update(status=start)
    trace.refresh_from_db()
    events = AuditEvent.objects.count()
    with pytest.raises(Refused):
        skip_trace_move(trace, to, actor="t")
    trace.refresh_from_db()
    assert trace.status == start
    assert AuditEvent.objects.count() == events


def test_a_second_active_trace_is_refused(case: CollectionCase, people: dict[str, User]) -> None:
    skip_trace_open(case=case, actor=people["collector"], trigger="flag")
    with pytest.raises(ApplicationError):
        skip_trace_open(case=case, actor=people["collector"], trigger="flag")
    assert SkipTrace.objects.count() == 1
