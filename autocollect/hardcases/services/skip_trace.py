"""Skip tracing (失联修复), the trace itself: open it with its standard tasks, reopen, close,
refer to legal (docs/hard-cases.md, "Lost contact"). One transaction per use case, every write
audited; a refusal raises ``Refused`` and invalid input ``ApplicationError``, and neither
changes anything.

Skip trace states::

    open ──▶ found ──▶ closed            found ──▶ open (the new contact was wrong)
      │        ▲
      ├──▶ legal_proposed ──▶ referred   (after HARDCASES["LEGAL_AFTER_DAYS"] without success)
      │        └──▶ found, closed
      └──▶ closed
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from autocollect.accounts.models import User
from autocollect.audit.services import audit_record
from autocollect.cases.models import CaseStatus, CollectionCase, FlagKind
from autocollect.cases.services import case_flag_clear, case_flag_set
from autocollect.cases.workflow import state_move
from autocollect.core import clock
from autocollect.core.errors import ApplicationError
from autocollect.hardcases.models import SkipTask, SkipTrace, TaskKind, TraceStatus, TraceTrigger
from autocollect.hardcases.permissions import act_refusal, refer_refusal
from autocollect.hardcases.services.actors import actor_name, require_case
from autocollect.legal.models import LegalReferral, ReferralReason
from autocollect.legal.services.referrals import referral_create
from autocollect.portfolio.models import ContactOwner, ContactPoint, ContactStatus

TRACE_TRANSITIONS: dict[str, frozenset[str]] = {
    TraceStatus.OPEN: frozenset(
        {TraceStatus.FOUND, TraceStatus.LEGAL_PROPOSED, TraceStatus.CLOSED}
    ),
    TraceStatus.FOUND: frozenset({TraceStatus.OPEN, TraceStatus.CLOSED}),
    TraceStatus.LEGAL_PROPOSED: frozenset(
        {TraceStatus.FOUND, TraceStatus.REFERRED, TraceStatus.CLOSED}
    ),
    TraceStatus.REFERRED: frozenset(),
    TraceStatus.CLOSED: frozenset(),
}
ACTIVE_TRACE = [TraceStatus.OPEN, TraceStatus.FOUND, TraceStatus.LEGAL_PROPOSED]


def skip_trace_move(trace: SkipTrace, to: str, *, actor: str, reason: str = "") -> None:
    """Move a trace, inside the calling service's transaction (here, ``skip_tasks`` and
    ``nightly``): lock, check the status did not change since ``trace`` was read and the move
    against ``TRACE_TRANSITIONS``, save with the move's timestamp, audit (``cases.workflow``)."""
    stamps: dict[str, str] = {
        TraceStatus.FOUND: "found_at",
        TraceStatus.LEGAL_PROPOSED: "legal_proposed_at",
        TraceStatus.CLOSED: "closed_at",
    }
    stamp = stamps.get(to)
    state_move(
        trace,
        to=to,
        field="status",
        transitions=TRACE_TRANSITIONS,
        labels=TraceStatus,
        changed=_("失联修复状态已变化，请刷新后重试"),
        refused=_("不允许的失联修复状态变更：%(from)s → %(to)s"),
        actor=actor,
        action="skiptrace.status",
        reason=reason,
        values={stamp: clock.now()} if stamp else None,
    )


@transaction.atomic
def skip_trace_open(
    *, case: CollectionCase, actor: User | str, trigger: str, note: str = ""
) -> SkipTrace:
    """Start skip tracing: the case is flagged lost contact (the gate then allows contacting
    the borrower's contacts, only to re-establish contact, cn.third_party) and gets the
    standard task list: recheck the numbers, each emergency contact, the employer's
    switchboard, lawful public sources. An agency task is added on its own (it needs an
    authorised agency)."""
    require_case(actor, case.pk, act_refusal)
    who = actor_name(actor)
    if trigger not in TraceTrigger.values:
        raise ApplicationError(
            _("未知的触发原因：%(value)s") % {"value": trigger}, extra={"field": "trigger"}
        )
    case = CollectionCase.objects.select_for_update().select_related("loan").get(pk=case.pk)
    if case.status != CaseStatus.OPEN:
        raise ApplicationError(_("只有处理中的案件可以发起失联修复"))
    if SkipTrace.objects.filter(case=case, status__in=ACTIVE_TRACE).exists():
        raise ApplicationError(_("该案件已有进行中的失联修复"))
    case_flag_set(
        case_id=case.pk,
        kind=FlagKind.LOST_CONTACT,
        actor=who,
        note=note or str(TraceTrigger(trigger).label),
    )
    now = clock.now()
    trace = SkipTrace.objects.create(
        case=case, trigger=trigger, opened_at=now, opened_by=who, note=note.strip()
    )
    tasks = [SkipTask(trace=trace, kind=TaskKind.RECHECK_NUMBERS)]
    emergency = ContactPoint.objects.filter(
        borrower_id=case.loan.borrower_id, owner=ContactOwner.EMERGENCY
    ).exclude(status=ContactStatus.INVALID)
    tasks += [SkipTask(trace=trace, kind=TaskKind.EMERGENCY_CONTACT, contact=c) for c in emergency]
    tasks += [
        SkipTask(trace=trace, kind=TaskKind.EMPLOYER),
        SkipTask(trace=trace, kind=TaskKind.PUBLIC_SOURCES),
    ]
    for task in tasks:
        task.created_at = now
        task.created_by = who
    SkipTask.objects.bulk_create(tasks)
    audit_record(
        actor=who,
        action="skiptrace.open",
        obj=trace,
        after={"case": case.pk, "trigger": trigger, "tasks": [t.kind for t in tasks]},
        reason=note,
    )
    return trace


@transaction.atomic
def skip_trace_reopen(*, trace: SkipTrace, actor: User | str, note: str) -> SkipTrace:
    """The contact found did not reach the borrower after all: back to open."""
    require_case(actor, trace.case_id, act_refusal)
    trace = SkipTrace.objects.select_for_update().get(pk=trace.pk)
    if not note.strip():
        raise ApplicationError(_("需要说明原因"))
    skip_trace_move(trace, TraceStatus.OPEN, actor=actor_name(actor), reason=note)
    return trace


@transaction.atomic
def skip_trace_close(*, trace: SkipTrace, actor: User | str, note: str, reached: bool) -> SkipTrace:
    """End the trace. ``reached``: the borrower was reached, so the lost-contact flag is
    cleared (contacts of the borrower are no longer called, cn.third_party)."""
    require_case(actor, trace.case_id, act_refusal)
    who = actor_name(actor)
    trace = SkipTrace.objects.select_for_update().get(pk=trace.pk)
    if not note.strip():
        raise ApplicationError(_("需要说明原因"))
    skip_trace_move(trace, TraceStatus.CLOSED, actor=who, reason=note)
    if reached:
        case_flag_clear(case_id=trace.case_id, kind=FlagKind.LOST_CONTACT, actor=who, reason=note)
    return trace


@transaction.atomic
def skip_trace_refer(*, trace: SkipTrace, actor: User, note: str = "") -> LegalReferral:
    """Refer a trace proposed for the legal route: the borrower cannot be found, so the
    referral expects service by publication and a default judgment (缺席判决)."""
    require_case(actor, trace.case_id, refer_refusal)
    trace = SkipTrace.objects.select_for_update().get(pk=trace.pk)
    if trace.status != TraceStatus.LEGAL_PROPOSED:
        raise ApplicationError(_("只有已建议转法务的失联修复可以转法务"))
    referral = referral_create(
        case=trace.case,
        actor=actor,
        reason=ReferralReason.LOST_CONTACT,
        note=note or f"失联修复 #{trace.pk} 未果",
        default_judgment=True,
    )
    skip_trace_move(trace, TraceStatus.REFERRED, actor=actor.get_username(), reason=note)
    return referral
