"""The hard-case services check who acts themselves, whoever calls them (a page, a script, the
demo): the permissions the page asks for (``permissions.ACTORS``, ``ASSESSORS``, ``REFERRERS``)
and that the user sees the case (docs/roles.md). Called directly here: a collector acting on
another collector's case, a team lead outside their teams and compliance (which reads every
case but acts on none) are refused with nothing written; the users who may act still do, and
the nightly detection, which acts as the system, still opens and proposes traces."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from autocollect.accounts.models import User
from autocollect.accounts.roles import Role
from autocollect.audit.models import AuditEvent
from autocollect.cases.models import CollectionCase, Interaction
from autocollect.hardcases import permissions, views
from autocollect.hardcases.models import (
    ExposureAssessment,
    SkipTask,
    SkipTrace,
    TraceStatus,
    VehicleRiskReport,
)
from autocollect.hardcases.services.exposure import exposure_assess
from autocollect.hardcases.services.nightly import SYSTEM_ACTOR, skip_trace_nightly
from autocollect.hardcases.services.skip_tasks import skip_task_add, skip_task_record
from autocollect.hardcases.services.skip_trace import (
    skip_trace_close,
    skip_trace_open,
    skip_trace_refer,
    skip_trace_reopen,
)
from autocollect.hardcases.services.vehicle_risk import vehicle_risk_refer, vehicle_risk_report
from autocollect.legal.models import LegalReferral
from tests.factories import make_user
from tests.hardcases.helpers import worked_by
from tests.legal.helpers import make_case

pytestmark = pytest.mark.django_db


@dataclass
class Scene:
    case: CollectionCase  # worked by collector1, in lead1's team
    fresh: CollectionCase  # likewise, with no trace yet
    trace: SkipTrace
    task: SkipTask
    report: VehicleRiskReport


Action = Callable[[Scene, User], object]

# Each action, the trace status it needs to succeed, and who may take it on the scene.
ACTIONS: dict[str, tuple[str, str, Action]] = {
    "skip_trace_open": (
        TraceStatus.OPEN,
        "collector",
        lambda s, u: skip_trace_open(case=s.fresh, actor=u, trigger="flag"),
    ),
    "skip_task_add": (
        TraceStatus.OPEN,
        "collector",
        lambda s, u: skip_task_add(trace=s.trace, actor=u, kind="public_sources"),
    ),
    "skip_task_record": (
        TraceStatus.OPEN,
        "collector",
        lambda s, u: skip_task_record(task=s.task, actor=u, outcome="no_result"),
    ),
    "skip_trace_close": (
        TraceStatus.OPEN,
        "collector",
        lambda s, u: skip_trace_close(trace=s.trace, actor=u, note="结束", reached=False),
    ),
    "skip_trace_reopen": (
        TraceStatus.FOUND,
        "collector",
        lambda s, u: skip_trace_reopen(trace=s.trace, actor=u, note="新号码不是本人"),
    ),
    "skip_trace_refer": (
        TraceStatus.LEGAL_PROPOSED,
        "lead",
        lambda s, u: skip_trace_refer(trace=s.trace, actor=u),
    ),
    "vehicle_risk_report": (
        TraceStatus.OPEN,
        "collector",
        lambda s, u: vehicle_risk_report(
            case=s.case, actor=u, kind="pledged", source="借款人亲属告知"
        ),
    ),
    "exposure_assess": (
        TraceStatus.OPEN,
        "lead",
        lambda s, u: exposure_assess(report=s.report, actor=u, gps_status="offline"),
    ),
    "vehicle_risk_refer": (
        TraceStatus.OPEN,
        "lead",
        lambda s, u: vehicle_risk_refer(report=s.report, actor=u),
    ),
}
# The actions of those who work cases, and those of team leads and legal only.
WORK = [name for name, (_, who, _) in ACTIONS.items() if who == "collector"]
LEAD = [name for name, (_, who, _) in ACTIONS.items() if who == "lead"]


def scene_for(action: str, people: dict[str, User]) -> Scene:
    status, _, _ = ACTIONS[action]
    today = timezone.localdate()
    case = worked_by(make_case(first_due_on=today - timedelta(days=75)), people)
    fresh = worked_by(make_case(first_due_on=today - timedelta(days=75)), people)
    trace = skip_trace_open(case=case, actor=people["collector"], trigger="flag")
    SkipTrace.objects.filter(pk=trace.pk).update(status=status)
    trace.refresh_from_db()
    report = vehicle_risk_report(
        case=case, actor=people["collector"], kind="sold", source="GPS轨迹异常"
    )
    exposure_assess(report=report, actor=people["risk"], gps_status="removed")
    task = trace.tasks.get(kind="employer")
    return Scene(case=case, fresh=fresh, trace=trace, task=task, report=report)


def written() -> tuple[object, ...]:
    """Everything an action could write."""
    return (
        AuditEvent.objects.count(),
        SkipTrace.objects.count(),
        list(SkipTrace.objects.order_by("pk").values_list("status", flat=True)),
        SkipTask.objects.count(),
        list(SkipTask.objects.order_by("pk").values_list("outcome", flat=True)),
        VehicleRiskReport.objects.count(),
        ExposureAssessment.objects.count(),
        LegalReferral.objects.count(),
    )


def assert_refused(action: str, scene: Scene, user: User) -> None:
    before = written()
    with pytest.raises(PermissionDenied):
        ACTIONS[action][2](scene, user)
    assert written() == before


@pytest.mark.parametrize("action", list(ACTIONS))
def test_the_user_who_may_act_still_acts(action: str, people: dict[str, User]) -> None:
    scene = scene_for(action, people)
    before = AuditEvent.objects.count()

    ACTIONS[action][2](scene, people[ACTIONS[action][1]])

    assert AuditEvent.objects.count() > before


@pytest.mark.parametrize("action", WORK)
def test_a_collector_may_not_act_on_another_collectors_case(
    action: str, people: dict[str, User]
) -> None:
    scene = scene_for(action, people)
    other = make_user("collector2", Role.COLLECTOR)
    assert_refused(action, scene, other)


@pytest.mark.parametrize("action", LEAD)
def test_a_team_lead_may_not_assess_or_refer_outside_their_teams(
    action: str, people: dict[str, User]
) -> None:
    scene = scene_for(action, people)
    other = make_user("lead2", Role.TEAM_LEAD)
    assert_refused(action, scene, other)


@pytest.mark.parametrize("action", ["skip_trace_refer", "vehicle_risk_refer", "exposure_assess"])
def test_legal_may_not_act_on_a_case_not_referred_to_legal(
    action: str, people: dict[str, User]
) -> None:
    scene = scene_for(action, people)
    assert_refused(action, scene, people["legal"])


@pytest.mark.parametrize("action", list(ACTIONS))
def test_compliance_reads_every_case_but_may_not_act(action: str, people: dict[str, User]) -> None:
    scene = scene_for(action, people)
    compliance = make_user("qa1", Role.COMPLIANCE)
    assert_refused(action, scene, compliance)


def test_the_nightly_detection_still_opens_and_proposes_traces_as_the_system(
    people: dict[str, User],
) -> None:
    # Nobody is assigned the case: no user sees it but those who see the whole book.
    case = make_case(first_due_on=timezone.localdate() - timedelta(days=75))
    now = timezone.now()
    for hours in (1, 2, 3):
        Interaction.objects.create(
            case=case,
            at=now - timedelta(hours=hours),
            channel="call",
            party="borrower",
            number="+8613800138000",
            outcome="no_answer",
        )

    opened = skip_trace_nightly(at=now)
    later = skip_trace_nightly(at=now + timedelta(days=61))

    trace = SkipTrace.objects.get(case=case)
    assert opened.opened == [trace.pk]
    assert later.proposed == [trace.pk]
    assert trace.status == TraceStatus.LEGAL_PROPOSED
    actors = set(
        AuditEvent.objects.filter(action__startswith="skiptrace.").values_list("actor", flat=True)
    )
    assert actors == {SYSTEM_ACTOR}


def test_the_page_accepts_exactly_whom_the_services_accept() -> None:
    assert views.ACTORS is permissions.ACTORS
    assert views.may_act is permissions.may_act
