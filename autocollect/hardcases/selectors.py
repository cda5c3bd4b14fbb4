"""Reads for the hard cases: which cases have lost contact, trace and report lists."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from django.db.models import QuerySet

from autocollect.accounts.models import User
from autocollect.audit.models import AuditEvent
from autocollect.cases.models import (
    CaseFlag,
    CaseStatus,
    CollectionCase,
    FlagKind,
    Interaction,
    InteractionOutcome,
)
from autocollect.cases.selectors import visible_cases
from autocollect.hardcases.models import (
    InvestigationAgency,
    SkipTask,
    SkipTrace,
    TaskOutcome,
    TraceStatus,
    VehicleRiskReport,
)
from autocollect.portfolio.models import ContactKind, ContactOwner, ContactPoint, ContactStatus

VOICE_CHANNELS = ("call", "robot_call")
# Outcomes in which a person picked up: the number works, whoever answered.
REACHED = (InteractionOutcome.ANSWERED, InteractionOutcome.REFUSED)
# Tasks are worked while the borrower is still not reached.
WORKABLE_TRACE = [TraceStatus.OPEN, TraceStatus.LEGAL_PROPOSED]


def lost_contact_case_ids(*, at: datetime, attempts: int, days: int) -> list[int]:
    """Open cases whose borrower's every known phone number has failed by ``at``.

    A number fails when a call to it ever ended as a wrong number, or when it had at least
    ``attempts`` voice attempts (calls or robot calls) in the ``days`` before ``at`` and none
    was picked up. A borrower with no usable number at all has lost contact too. Not counted:
    cases already flagged lost contact or being traced, and cases referred to legal. Numbers
    are compared by blind index (docs/privacy.md); a handful of queries for the whole book."""
    since = at - timedelta(days=days)
    flagged = CaseFlag.objects.filter(kind=FlagKind.LOST_CONTACT, cleared_at__isnull=True).values(
        "case_id"
    )
    traced = SkipTrace.objects.filter(
        status__in=[TraceStatus.OPEN, TraceStatus.FOUND, TraceStatus.LEGAL_PROPOSED]
    ).values("case_id")
    cases = dict(
        CollectionCase.objects.filter(status=CaseStatus.OPEN, legal_referred_at__isnull=True)
        .exclude(pk__in=flagged)
        .exclude(pk__in=traced)
        .values_list("pk", "loan__borrower_id")
    )
    if not cases:
        return []
    borrowers = set(cases.values())
    numbers: dict[int, set[str]] = defaultdict(set)
    for borrower_id, index in (
        ContactPoint.objects.filter(
            borrower_id__in=borrowers,
            owner=ContactOwner.BORROWER,
            kind__in=[ContactKind.MOBILE, ContactKind.LANDLINE],
        )
        .exclude(status=ContactStatus.INVALID)
        .values_list("borrower_id", "value_index")
    ):
        numbers[borrower_id].add(index)
    tried: dict[tuple[int, str], int] = defaultdict(int)
    reached: set[tuple[int, str]] = set()
    wrong: set[tuple[int, str]] = set()
    calls = Interaction.objects.filter(
        case__loan__borrower_id__in=borrowers, channel__in=VOICE_CHANNELS, at__lte=at
    )
    for borrower_id, index, outcome, when in calls.values_list(
        "case__loan__borrower_id", "number_index", "outcome", "at"
    ):
        key = (borrower_id, index)
        if outcome == InteractionOutcome.WRONG_NUMBER:
            wrong.add(key)
        if when < since:
            continue
        tried[key] += 1
        if outcome in REACHED:
            reached.add(key)
    reached_borrowers = {borrower_id for borrower_id, _ in reached}
    lost = []
    for case_id, borrower_id in cases.items():
        if borrower_id in reached_borrowers:
            continue
        if all(
            (borrower_id, n) in wrong or tried[(borrower_id, n)] >= attempts
            for n in numbers[borrower_id]
        ):
            lost.append(case_id)
    return sorted(lost)


def traces_for(user: User, *, status: str = "") -> QuerySet[SkipTrace]:
    traces = SkipTrace.objects.filter(case__in=visible_cases(user)).select_related(
        "case__loan__borrower"
    )
    if status:
        traces = traces.filter(status=status)
    return traces.order_by("-opened_at", "-id")


def reports_for(user: User) -> QuerySet[VehicleRiskReport]:
    return (
        VehicleRiskReport.objects.filter(case__in=visible_cases(user))
        .select_related("case__loan__borrower", "vehicle")
        .order_by("-reported_at", "-id")
    )


def agency_open_tasks(agency_ids: list[int]) -> QuerySet[SkipTask]:
    """The tasks given to these agencies that are still waiting for an outcome on a trace that
    is still worked: after a revocation, the work to give to another agency."""
    return (
        SkipTask.objects.filter(
            agency_id__in=agency_ids,
            outcome=TaskOutcome.PENDING,
            trace__status__in=WORKABLE_TRACE,
        )
        .select_related("trace", "agency")
        .order_by("agency_id", "trace__case_id", "id")
    )


def agency_revocations(agency_ids: list[int]) -> dict[int, AuditEvent]:
    """The ``skiptrace.agency_revoke`` event of each revoked agency (who, when, why): the
    reason lives in the audit log, the row keeps ``revoked_at``."""
    events = AuditEvent.objects.filter(
        action="skiptrace.agency_revoke",
        object_type=InvestigationAgency._meta.label_lower,
        object_id__in=[str(pk) for pk in agency_ids],
    ).order_by("id")
    return {int(event.object_id): event for event in events}
