"""The tasks of a skip trace (docs/hard-cases.md, "Lost contact"): add one (an agency task
needs an agency whose written authorisation covers the day), record its outcome once (a contact
found goes back to the case as an unverified contact point and moves the trace to ``found``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.utils.translation import gettext as _

from autocollect.accounts.models import User
from autocollect.audit.services import audit_record
from autocollect.core import clock
from autocollect.core.crypto import contact_index
from autocollect.core.errors import ApplicationError
from autocollect.hardcases.models import (
    InvestigationAgency,
    SkipTask,
    SkipTrace,
    TaskKind,
    TaskOutcome,
    TraceStatus,
)
from autocollect.hardcases.permissions import act_refusal
from autocollect.hardcases.selectors import WORKABLE_TRACE
from autocollect.hardcases.services.actors import actor_name, require_case
from autocollect.hardcases.services.agencies import agency_lock_for_task
from autocollect.hardcases.services.skip_trace import skip_trace_move
from autocollect.portfolio.models import ContactKind, ContactOwner, ContactPoint, ContactStatus


@transaction.atomic
def skip_task_add(
    *,
    trace: SkipTrace,
    actor: User | str,
    kind: str,
    agency: InvestigationAgency | None = None,
    contact: ContactPoint | None = None,
    note: str = "",
    on: date | None = None,
) -> SkipTask:
    """Add a task. An agency task needs an agency whose written authorisation covers ``on``
    (default today): a lapsed, future or revoked authorisation is refused."""
    require_case(actor, trace.case_id, act_refusal)
    who = actor_name(actor)
    trace = SkipTrace.objects.select_for_update().get(pk=trace.pk)
    if trace.status not in WORKABLE_TRACE:
        raise ApplicationError(_("失联修复已结束或已找到联系方式，不能再添加任务"))
    if kind not in TaskKind.values:
        raise ApplicationError(
            _("未知的任务类型：%(value)s") % {"value": kind}, extra={"field": "kind"}
        )
    day = on or clock.localdate()
    if kind == TaskKind.AGENCY:
        if agency is None:
            raise ApplicationError(_("委托外部调查机构需要选择机构"))
        agency = agency_lock_for_task(agency, on=day)
    elif agency is not None:
        raise ApplicationError(_("只有委托调查任务可以指定外部机构"))
    task = SkipTask.objects.create(
        trace=trace,
        kind=kind,
        agency=agency,
        contact=contact,
        created_at=clock.now(),
        created_by=who,
        note=note.strip(),
    )
    audit_record(
        actor=who,
        action="skiptrace.task_add",
        obj=task,
        after={"trace": trace.pk, "kind": kind, "agency": agency.pk if agency else None},
    )
    return task


@dataclass(frozen=True, slots=True)
class FoundContact:
    kind: str
    value: str
    owner: str = ContactOwner.BORROWER
    owner_name: str = ""
    relationship: str = ""


def _contact_point(borrower_id: int, found: FoundContact) -> ContactPoint:
    """The found contact as the borrower's contact point, status unverified (a collector
    confirms it by reaching the borrower). An existing one is reused, unless it is known to
    be invalid."""
    if found.kind not in ContactKind.values:
        raise ApplicationError(
            _("未知的联系方式类型：%(value)s") % {"value": found.kind}, extra={"field": "kind"}
        )
    if found.owner not in ContactOwner.values:
        raise ApplicationError(
            _("未知的联系人类型：%(value)s") % {"value": found.owner}, extra={"field": "owner"}
        )
    value = found.value.strip()
    if not value:
        raise ApplicationError(_("请填写找到的联系方式"), extra={"field": "value"})
    existing = ContactPoint.objects.filter(
        borrower_id=borrower_id,
        kind=found.kind,
        owner=found.owner,
        value_index=contact_index(value),
    ).first()
    if existing is not None:
        if existing.status == ContactStatus.INVALID:
            raise ApplicationError(_("该联系方式已被确认无效，不是新的联系方式"))
        return existing
    return ContactPoint.objects.create(
        borrower_id=borrower_id,
        kind=found.kind,
        value=value,
        owner=found.owner,
        owner_name=found.owner_name.strip(),
        relationship=found.relationship.strip(),
        status=ContactStatus.UNVERIFIED,
    )


@transaction.atomic
def skip_task_record(
    *,
    task: SkipTask,
    actor: User | str,
    outcome: str,
    note: str = "",
    found: FoundContact | None = None,
) -> SkipTask:
    """Record a task's outcome (once). ``found`` goes back to the case as an unverified
    contact point and moves the trace to ``found``."""
    who = actor_name(actor)
    task = SkipTask.objects.select_for_update().select_related("trace__case__loan").get(pk=task.pk)
    require_case(actor, task.trace.case_id, act_refusal)
    trace = SkipTrace.objects.select_for_update().get(pk=task.trace_id)
    if task.outcome != TaskOutcome.PENDING:
        raise ApplicationError(_("该任务已记录结果"))
    if trace.status not in WORKABLE_TRACE:
        raise ApplicationError(_("失联修复已结束或已找到联系方式"))
    if outcome not in TaskOutcome.values or outcome == TaskOutcome.PENDING:
        raise ApplicationError(
            _("未知的任务结果：%(value)s") % {"value": outcome}, extra={"field": "outcome"}
        )
    if (outcome == TaskOutcome.FOUND) != (found is not None):
        raise ApplicationError(_("找到新联系方式时必须填写联系方式（且仅此时）"))
    contact = _contact_point(task.trace.case.loan.borrower_id, found) if found else None
    task.outcome = outcome
    task.outcome_at = clock.now()
    task.outcome_by = who
    task.found_contact = contact
    task.note = f"{task.note}\n{note.strip()}".strip()
    task.save()
    audit_record(
        actor=who,
        action="skiptrace.task_outcome",
        obj=task,
        after={
            "trace": trace.pk,
            "kind": task.kind,
            "outcome": outcome,
            "contact_point": contact.pk if contact else None,
        },
        reason=note,
    )
    if contact is not None:
        skip_trace_move(trace, TraceStatus.FOUND, actor=who, reason=f"联系方式 #{contact.pk}")
    return task
