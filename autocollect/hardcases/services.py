"""Writes for the hard cases: skip tracing and vehicle risk (docs/hard-cases.md). One
transaction per use case, every write audited; a refused action raises ``ApplicationError``
and changes nothing.

Skip trace states::

    open ──▶ found ──▶ closed            found ──▶ open (the new contact was wrong)
      │        ▲
      ├──▶ legal_proposed ──▶ referred   (after HARDCASES["LEGAL_AFTER_DAYS"] without success)
      │        └──▶ found, closed
      └──▶ closed
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from autocollect.accounts.access import AnyUser, permission_refusal
from autocollect.accounts.models import User
from autocollect.accounts.roles import Perm
from autocollect.audit.services import audit_record
from autocollect.cases.models import CaseStatus, CollectionCase, FlagKind
from autocollect.cases.selectors import case_refusal
from autocollect.cases.services import case_flag_clear, case_flag_set
from autocollect.cases.workflow import state_move
from autocollect.compliance.models import HoldReason
from autocollect.compliance.services import hold_ensure
from autocollect.core.crypto import contact_index
from autocollect.core.errors import ApplicationError, FieldValidationError, refuse
from autocollect.documents import storage
from autocollect.engine import depreciation
from autocollect.hardcases.models import (
    BrandClass,
    ExposureAssessment,
    GpsStatus,
    InvestigationAgency,
    SkipTask,
    SkipTrace,
    TaskKind,
    TaskOutcome,
    TraceStatus,
    TraceTrigger,
    VehicleRiskKind,
    VehicleRiskReport,
)
from autocollect.hardcases.selectors import WORKABLE_TRACE, agency_open_tasks, lost_contact_case_ids
from autocollect.legal.models import LegalCost, LegalReferral, ReferralReason
from autocollect.legal.permissions import REFERRERS
from autocollect.legal.selectors import loan_balance_fen
from autocollect.legal.services.referrals import ThirdParty, referral_create
from autocollect.portfolio.models import (
    ContactKind,
    ContactOwner,
    ContactPoint,
    ContactStatus,
    MortgageStatus,
    Vehicle,
)

SYSTEM_ACTOR = "system:skip-trace"
DEFAULTS: dict[str, int] = {
    # "Every known number fails": at least this many voice attempts on each of the borrower's
    # numbers within the window, none of them answered (a wrong number fails at once).
    "LOST_CONTACT_ATTEMPTS": 3,
    "LOST_CONTACT_DAYS": 14,
    # An open skip trace without success for this long is proposed for the legal route.
    "LEGAL_AFTER_DAYS": 60,
}

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

# Who may act, by kind of action (docs/hard-cases.md, "Who may act"). Each service that acts
# for a user checks these itself, and that the user sees the case (accounts.access); the pages
# (views.py) accept and show exactly the same, through ``may_act``, ``may_assess`` and
# ``may_refer`` below. Skip tracing and reporting a vehicle at risk: collectors, team leads,
# legal, risk.
ACTORS = (Perm.WORK_CASES, Perm.VIEW_TEAM, Perm.VIEW_LEGAL, Perm.MANAGE_STRATEGY)
# Exposure assessment: risk, team leads, legal. Referral to legal: ``REFERRERS`` (team leads,
# legal), the tuple legal.services.referral_create checks.
ASSESSORS = (Perm.MANAGE_STRATEGY, Perm.VIEW_TEAM, Perm.VIEW_LEGAL)
# Registering an investigation agency (no case): team leads, legal, administrators.
AGENCY_REGISTRARS = (Perm.VIEW_TEAM, Perm.VIEW_LEGAL, Perm.ADMIN)
# Reading the agency register and downloading the signed letters: the registrars, and
# compliance, which audits the authorisations. Collectors and risk see an agency's name and
# period where they give it work (the case page), not the letter.
AGENCY_VIEWERS = (*AGENCY_REGISTRARS, Perm.INVESTIGATE_MISCONDUCT)
# The day the stored letter became required (docs/hard-cases.md, "Agencies"; overridable).
LETTER_REQUIRED_FROM = date(2026, 12, 1)

# Sub-folder of the document store for the agencies' signed authorisation letters.
LETTER_FOLDER = "agency_letters"


def hardcases_config() -> dict[str, int]:
    configured = dict(getattr(settings, "AUTOCOLLECT", {}).get("HARDCASES") or {})
    return {key: int(configured.get(key, value)) for key, value in DEFAULTS.items()}


def _name(actor: User | str) -> str:
    return actor if isinstance(actor, str) else actor.get_username()


# Who may act, as the reason a user is refused ("" when they may): the services raise it
# (``refuse``), the pages show an action only when it is "" (``may_*``), so that they cannot
# disagree.


def act_refusal(user: AnyUser | None) -> str:
    """Acting on the hard cases at all (skip tracing, vehicle reports)."""
    return permission_refusal(user, *ACTORS)


def assess_refusal(user: AnyUser | None) -> str:
    return act_refusal(user) or permission_refusal(user, *ASSESSORS)


def refer_refusal(user: AnyUser | None) -> str:
    return act_refusal(user) or permission_refusal(user, *REFERRERS)


def may_act(user: AnyUser | None) -> bool:
    return not act_refusal(user)


def may_assess(user: AnyUser | None) -> bool:
    return not assess_refusal(user)


def may_refer(user: AnyUser | None) -> bool:
    return not refer_refusal(user)


def _require_case(actor: User | str, case_id: int, refusal: Callable[[User], str]) -> None:
    """A user acting on a case: ``refusal`` is "" for them and they see the case, else
    ``Refused`` before anything is written. A system actor (a string, such as
    ``SYSTEM_ACTOR`` given by the nightly jobs) acts on every case."""
    if isinstance(actor, str):
        return
    refuse(refusal(actor) or case_refusal(actor, case_id))


def _trace_move(trace: SkipTrace, to: str, *, actor: str, reason: str = "") -> None:
    """Lock, check the status did not change since ``trace`` was read and the move against
    ``TRACE_TRANSITIONS``, save with the move's timestamp, audit (``cases.workflow``)."""
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
        values={stamp: timezone.now()} if stamp else None,
    )


# --- skip tracing ---------------------------------------------------------------------------


@transaction.atomic
def skip_trace_open(
    *, case: CollectionCase, actor: User | str, trigger: str, note: str = ""
) -> SkipTrace:
    """Start skip tracing: the case is flagged lost contact (the gate then allows contacting
    the borrower's contacts, only to re-establish contact, cn.third_party) and gets the
    standard task list: recheck the numbers, each emergency contact, the employer's
    switchboard, lawful public sources. An agency task is added on its own (it needs an
    authorised agency)."""
    _require_case(actor, case.pk, act_refusal)
    who = _name(actor)
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
    now = timezone.now()
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


def letter_required_from() -> date:
    """The first day of an authorisation period that needs the stored letter: a row registered
    before the letter was required (no ``stored_path``) keeps a period that began earlier, to
    its end; a period beginning on or after this day needs the letter (docs/hard-cases.md,
    "Agencies"). ``AUTOCOLLECT["HARDCASES"]["AGENCY_LETTER_REQUIRED_FROM"]``, ISO date."""
    configured = (getattr(settings, "AUTOCOLLECT", {}).get("HARDCASES") or {}).get(
        "AGENCY_LETTER_REQUIRED_FROM"
    )
    return date.fromisoformat(str(configured)) if configured else LETTER_REQUIRED_FROM


def agency_letter_missing(agency: InvestigationAgency) -> bool:
    """Whether the agency's period needs the stored letter and it is not there."""
    return not agency.has_letter and agency.authorised_from >= letter_required_from()


def agency_authorised(agency: InvestigationAgency, on: date) -> bool:
    return (
        agency.revoked_at is None
        and bool(agency.authorisation_ref.strip())
        and agency.authorised_from <= on <= agency.authorised_until
        and not agency_letter_missing(agency)
    )


def agencies_refusal(user: AnyUser | None) -> str:
    """Reading the agency register and downloading the letters."""
    return permission_refusal(user, *AGENCY_VIEWERS)


def agency_register_refusal(user: AnyUser | None) -> str:
    """Registering (and revoking) an investigation agency."""
    return permission_refusal(user, *AGENCY_REGISTRARS)


def may_see_agencies(user: AnyUser | None) -> bool:
    return not agencies_refusal(user)


@transaction.atomic
def agency_register(
    *,
    actor: User,
    name: str,
    licence_no: str,
    authorisation_ref: str,
    authorised_from: date,
    authorised_until: date,
    letter: UploadedFile | None,
) -> InvestigationAgency:
    """Record an agency and the lender's written authorisation (委托授权书) with its dates and
    the signed letter itself (PDF, PNG or JPEG), stored with its SHA-256, so that an auditor or
    a court sees the authorisation the system relied on. A refusal writes nothing: no row, no
    event, no file."""
    refuse(agency_register_refusal(actor))
    if not (name.strip() and licence_no.strip() and authorisation_ref.strip()):
        raise ApplicationError(
            _("请填写机构名称、许可证号和授权书编号"),
            extra={"field": "name, licence_no, authorisation_ref"},
        )
    if authorised_until < authorised_from:
        raise ApplicationError(_("授权截止日早于授权起始日"), extra={"field": "authorised_until"})
    if letter is None:
        raise FieldValidationError("letter", _("必须上传签署的委托授权书（PDF、PNG 或 JPEG）"))
    try:
        stored = storage.document_store(letter, folder=LETTER_FOLDER)
    except ApplicationError as exc:  # wrong kind, empty or too large: nothing was stored
        raise FieldValidationError("letter", exc.message) from exc
    agency = InvestigationAgency.objects.create(
        name=name.strip(),
        licence_no=licence_no.strip(),
        authorisation_ref=authorisation_ref.strip(),
        letter_name=stored.original_name,
        stored_path=stored.stored_path,
        sha256=stored.sha256,
        size_bytes=stored.size_bytes,
        letter_content_type=stored.content_type,
        authorised_from=authorised_from,
        authorised_until=authorised_until,
    )
    audit_record(
        actor=actor.get_username(),
        action="skiptrace.agency_register",
        obj=agency,
        after={
            "name": agency.name,
            "authorisation_ref": agency.authorisation_ref,
            "authorised_from": authorised_from,
            "authorised_until": authorised_until,
            "letter": stored.original_name,
            "stored_path": stored.stored_path,
            "sha256": stored.sha256,
            "size_bytes": stored.size_bytes,
        },
    )
    return agency


@transaction.atomic
def agency_revoke(*, agency: InvestigationAgency, actor: User, reason: str) -> InvestigationAgency:
    """Revoke the lender's authorisation of an agency (撤销委托授权), as of now: it takes no new
    work (``agency_authorised`` is false from now on). The tasks it still holds are not
    touched: they stay pending, listed on the agencies page for reassignment
    (``selectors.agency_open_tasks``), and are recorded or given to another agency as usual.
    Same permissions as registering; the reason is required and goes to the audit event. A
    renewed authorisation is a new registration with the new letter, never an undo."""
    refuse(agency_register_refusal(actor))
    if not reason.strip():
        raise FieldValidationError("reason", _("撤销委托授权须说明原因"))
    # The agency's row is locked, as ``skip_task_add`` locks it: a task given at the same time
    # is served either before the revocation or after it, refused.
    agency = InvestigationAgency.objects.select_for_update().get(pk=agency.pk)
    if agency.revoked_at is not None:
        raise ApplicationError(
            _("%(agency)s 的委托授权已于 %(day)s 撤销")
            % {"agency": agency.name, "day": f"{timezone.localtime(agency.revoked_at):%Y-%m-%d}"}
        )
    agency.revoked_at = timezone.now()
    agency.save(update_fields=["revoked_at"])
    audit_record(
        actor=actor.get_username(),
        action="skiptrace.agency_revoke",
        obj=agency,
        before={"revoked_at": None},
        after={
            "revoked_at": agency.revoked_at,
            "name": agency.name,
            "authorisation_ref": agency.authorisation_ref,
            "open_tasks": list(agency_open_tasks([agency.pk]).values_list("pk", flat=True)),
        },
        reason=reason.strip(),
    )
    return agency


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
    _require_case(actor, trace.case_id, act_refusal)
    who = _name(actor)
    trace = SkipTrace.objects.select_for_update().get(pk=trace.pk)
    if trace.status not in WORKABLE_TRACE:
        raise ApplicationError(_("失联修复已结束或已找到联系方式，不能再添加任务"))
    if kind not in TaskKind.values:
        raise ApplicationError(
            _("未知的任务类型：%(value)s") % {"value": kind}, extra={"field": "kind"}
        )
    day = on or timezone.localdate()
    if kind == TaskKind.AGENCY:
        if agency is None:
            raise ApplicationError(_("委托外部调查机构需要选择机构"))
        # Read (and lock) the agency as stored: a revocation made since the caller loaded it
        # counts, and one made at the same time waits for this task or comes after it.
        agency = InvestigationAgency.objects.select_for_update().get(pk=agency.pk)
        if agency.revoked_at is not None:
            raise ApplicationError(
                _("%(agency)s 的委托授权已于 %(day)s 撤销，不能再指派任务，请委托其他机构")
                % {
                    "agency": agency.name,
                    "day": f"{timezone.localtime(agency.revoked_at):%Y-%m-%d}",
                },
                extra={"agency": agency.pk, "on": day.isoformat()},
            )
        if agency_letter_missing(agency):
            raise ApplicationError(
                _("%(agency)s 缺少授权书：%(start)s 起的授权期需要上传签署的委托授权书")
                % {"agency": agency.name, "start": f"{agency.authorised_from:%Y-%m-%d}"},
                extra={"agency": agency.pk, "on": day.isoformat()},
            )
        if not agency_authorised(agency, day):
            raise ApplicationError(
                _("%(agency)s 的委托授权不在有效期内（%(start)s 至 %(end)s）")
                % {
                    "agency": agency.name,
                    "start": f"{agency.authorised_from:%Y-%m-%d}",
                    "end": f"{agency.authorised_until:%Y-%m-%d}",
                },
                extra={"agency": agency.pk, "on": day.isoformat()},
            )
    elif agency is not None:
        raise ApplicationError(_("只有委托调查任务可以指定外部机构"))
    task = SkipTask.objects.create(
        trace=trace,
        kind=kind,
        agency=agency,
        contact=contact,
        created_at=timezone.now(),
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
    who = _name(actor)
    task = SkipTask.objects.select_for_update().select_related("trace__case__loan").get(pk=task.pk)
    _require_case(actor, task.trace.case_id, act_refusal)
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
    task.outcome_at = timezone.now()
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
        _trace_move(trace, TraceStatus.FOUND, actor=who, reason=f"联系方式 #{contact.pk}")
    return task


@transaction.atomic
def skip_trace_reopen(*, trace: SkipTrace, actor: User | str, note: str) -> SkipTrace:
    """The contact found did not reach the borrower after all: back to open."""
    _require_case(actor, trace.case_id, act_refusal)
    trace = SkipTrace.objects.select_for_update().get(pk=trace.pk)
    if not note.strip():
        raise ApplicationError(_("需要说明原因"))
    _trace_move(trace, TraceStatus.OPEN, actor=_name(actor), reason=note)
    return trace


@transaction.atomic
def skip_trace_close(*, trace: SkipTrace, actor: User | str, note: str, reached: bool) -> SkipTrace:
    """End the trace. ``reached``: the borrower was reached, so the lost-contact flag is
    cleared (contacts of the borrower are no longer called, cn.third_party)."""
    _require_case(actor, trace.case_id, act_refusal)
    who = _name(actor)
    trace = SkipTrace.objects.select_for_update().get(pk=trace.pk)
    if not note.strip():
        raise ApplicationError(_("需要说明原因"))
    _trace_move(trace, TraceStatus.CLOSED, actor=who, reason=note)
    if reached:
        case_flag_clear(case_id=trace.case_id, kind=FlagKind.LOST_CONTACT, actor=who, reason=note)
    return trace


@transaction.atomic
def skip_trace_refer(*, trace: SkipTrace, actor: User, note: str = "") -> LegalReferral:
    """Refer a trace proposed for the legal route: the borrower cannot be found, so the
    referral expects service by publication and a default judgment (缺席判决)."""
    _require_case(actor, trace.case_id, refer_refusal)
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
    _trace_move(trace, TraceStatus.REFERRED, actor=actor.get_username(), reason=note)
    return referral


# --- the nightly jobs -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NightlyResult:
    opened: list[int]
    proposed: list[int]


def lost_contact_detect(*, at: datetime | None = None) -> list[SkipTrace]:
    """Open a skip trace on every open case whose known numbers have all failed (see
    ``selectors.lost_contact_case_ids``). One transaction per case."""
    config = hardcases_config()
    when = at or timezone.now()
    traces = []
    for case_id in lost_contact_case_ids(
        at=when, attempts=config["LOST_CONTACT_ATTEMPTS"], days=config["LOST_CONTACT_DAYS"]
    ):
        case = CollectionCase.objects.get(pk=case_id)
        traces.append(
            skip_trace_open(
                case=case,
                actor=SYSTEM_ACTOR,
                trigger=TraceTrigger.ALL_NUMBERS_FAILED,
                note=(
                    f"近{config['LOST_CONTACT_DAYS']}天内所有已知号码均未接通"
                    f"（每个号码至少{config['LOST_CONTACT_ATTEMPTS']}次）或为错号"
                ),
            )
        )
    return traces


@transaction.atomic
def skip_trace_propose_legal(*, at: datetime | None = None) -> list[SkipTrace]:
    """Traces open for ``LEGAL_AFTER_DAYS`` without success become ``legal_proposed``: a team
    lead or legal decides on the referral (``skip_trace_refer``)."""
    when = at or timezone.now()
    cutoff = when - timedelta(days=hardcases_config()["LEGAL_AFTER_DAYS"])
    proposed = []
    for trace in SkipTrace.objects.select_for_update().filter(
        status=TraceStatus.OPEN, opened_at__lte=cutoff
    ):
        _trace_move(
            trace,
            TraceStatus.LEGAL_PROPOSED,
            actor=SYSTEM_ACTOR,
            reason=f"失联修复超过{hardcases_config()['LEGAL_AFTER_DAYS']}天未果，建议转法务（含缺席判决）",
        )
        proposed.append(trace)
    return proposed


def skip_trace_nightly(*, at: datetime | None = None) -> NightlyResult:
    opened = lost_contact_detect(at=at)
    proposed = skip_trace_propose_legal(at=at)
    return NightlyResult(opened=[t.pk for t in opened], proposed=[t.pk for t in proposed])


# --- vehicle risk ---------------------------------------------------------------------------


@transaction.atomic
def vehicle_risk_report(
    *,
    case: CollectionCase,
    actor: User,
    kind: str,
    source: str,
    third_party_name: str = "",
    details: str = "",
) -> VehicleRiskReport:
    """The pledged car was sold or pledged to someone else: in this one transaction a
    ``vehicle_disposed`` hold stops all collection contact (立即暂停所有催收活动, the gate's
    cn.hold.vehicle_disposed), the case is flagged and the report kept."""
    _require_case(actor, case.pk, act_refusal)
    if kind not in VehicleRiskKind.values:
        raise ApplicationError(
            _("未知的车辆风险类型：%(value)s") % {"value": kind}, extra={"field": "kind"}
        )
    if not source.strip():
        raise ApplicationError(_("请填写信息来源（如何得知？）"), extra={"field": "source"})
    case = CollectionCase.objects.select_for_update().select_related("loan").get(pk=case.pk)
    vehicle = Vehicle.objects.filter(loan_id=case.loan_id).first()
    if vehicle is None:
        raise ApplicationError(_("该贷款没有抵押车辆"))
    who = actor.get_username()
    hold = hold_ensure(
        case=case,
        reason=HoldReason.VEHICLE_DISPOSED,
        actor=who,
        note=f"{VehicleRiskKind(kind).label}：{source.strip()}",
    )
    case_flag_set(
        case_id=case.pk,
        kind=FlagKind.VEHICLE_RISK,
        actor=who,
        note=str(VehicleRiskKind(kind).label),
    )
    report = VehicleRiskReport.objects.create(
        case=case,
        vehicle=vehicle,
        kind=kind,
        reported_at=timezone.now(),
        reported_by=who,
        source=source.strip(),
        third_party_name=third_party_name.strip(),
        details=details.strip(),
        hold=hold,
    )
    audit_record(
        actor=who,
        action="vehicle_risk.report",
        obj=report,
        after={
            "case": case.pk,
            "vehicle": vehicle.pk,
            "kind": kind,
            "hold": hold.pk,
            "third_party": report.third_party_name,
        },
        reason=source,
    )
    return report


@transaction.atomic
def exposure_assess(
    *,
    report: VehicleRiskReport,
    actor: User,
    gps_status: str,
    as_of: date | None = None,
    mileage_km: int | None = None,
    brand_class: str | None = None,
    mortgage_status: str | None = None,
    extra_costs_fen: int = 0,
    note: str = "",
) -> ExposureAssessment:
    """Exposure = outstanding balance + costs − the car's current value (depreciation model).
    Costs are the legal costs already recorded on the case plus ``extra_costs_fen`` (expected
    recovery costs: towing, storage, auction, court fees). Mortgage registration defaults to
    the vehicle's record; the GPS status is what the tracker platform shows now."""
    _require_case(actor, report.case_id, assess_refusal)
    if gps_status not in GpsStatus.values:
        raise ApplicationError(
            _("未知的GPS状态：%(value)s") % {"value": gps_status}, extra={"field": "gps_status"}
        )
    if brand_class is not None and brand_class not in BrandClass.values:
        raise ApplicationError(
            _("未知的品牌类别：%(value)s") % {"value": brand_class}, extra={"field": "brand_class"}
        )
    if mortgage_status is not None and mortgage_status not in MortgageStatus.values:
        raise ApplicationError(
            _("未知的抵押登记状态：%(value)s") % {"value": mortgage_status},
            extra={"field": "mortgage_status"},
        )
    if extra_costs_fen < 0:
        raise ApplicationError(_("预计处置费用不能为负数"), extra={"field": "extra_costs_fen"})
    if mileage_km is not None and mileage_km < 0:
        raise ApplicationError(_("行驶里程不能为负数"), extra={"field": "mileage_km"})
    report = VehicleRiskReport.objects.select_related("case__loan", "vehicle").get(pk=report.pk)
    loan, vehicle = report.case.loan, report.vehicle
    day = as_of or timezone.localdate()
    outstanding = loan_balance_fen(loan, as_of=day)
    recorded_costs = sum(
        LegalCost.objects.filter(referral__case=report.case).values_list("amount_fen", flat=True)
    )
    costs = recorded_costs + extra_costs_fen
    # The car was bought with the loan: its price is the price on the disbursement date.
    valuation = depreciation.vehicle_value(
        price_fen=vehicle.price_fen,
        brand=vehicle.brand,
        purchased_on=loan.disbursed_on,
        as_of=day,
        mileage_km=mileage_km,
        cls=brand_class,
    )
    exposure = outstanding + costs - valuation.value_fen
    assessment = ExposureAssessment.objects.create(
        report=report,
        assessed_at=timezone.now(),
        assessed_by=actor.get_username(),
        as_of=day,
        outstanding_fen=outstanding,
        costs_fen=costs,
        vehicle_value_fen=valuation.value_fen,
        exposure_fen=exposure,
        model_version=valuation.model_version,
        brand_class=valuation.brand_class,
        age_months=valuation.age_months,
        mileage_km=mileage_km,
        retention_bp=valuation.retention_bp,
        mileage_bp=valuation.mileage_bp,
        mortgage_status=mortgage_status or vehicle.mortgage_status,
        gps_status=gps_status,
        note=note.strip(),
    )
    after: dict[str, Any] = {
        "report": report.pk,
        "as_of": day,
        "outstanding_fen": outstanding,
        "costs_fen": costs,
        "vehicle_value_fen": valuation.value_fen,
        "exposure_fen": exposure,
        "model": valuation.model_version,
        "brand_class": valuation.brand_class,
        "brand_known": valuation.brand_known,
        "age_months": valuation.age_months,
        "mileage_km": mileage_km,
        "mortgage_status": assessment.mortgage_status,
        "gps_status": gps_status,
    }
    audit_record(
        actor=actor.get_username(), action="vehicle_risk.assess", obj=assessment, after=after
    )
    return assessment


@transaction.atomic
def vehicle_risk_refer(*, report: VehicleRiskReport, actor: User, note: str = "") -> LegalReferral:
    """Refer to legal against the borrower and the third party who took the car, with the
    latest exposure assessment's amounts. Needs an assessment first."""
    _require_case(actor, report.case_id, refer_refusal)
    report = VehicleRiskReport.objects.select_for_update().get(pk=report.pk)
    if report.referral_id is not None:
        raise ApplicationError(_("该车辆风险已转法务"))
    assessment = report.assessments.order_by("-assessed_at", "-id").first()
    if assessment is None:
        raise ApplicationError(_("转法务前需要先完成风险敞口评估"))
    third: tuple[ThirdParty, ...] = ()
    if report.third_party_name:
        basis = (
            "擅自受让已抵押车辆" if report.kind == VehicleRiskKind.SOLD else "擅自接受抵押车辆质押"
        )
        third = (ThirdParty(name=report.third_party_name, basis=basis),)
    referral = referral_create(
        case=report.case,
        actor=actor,
        reason=ReferralReason.VEHICLE_DISPOSED,
        note=note or f"车辆风险报告 #{report.pk}：{VehicleRiskKind(report.kind).label}",
        third_parties=third,
        vehicle_value_fen=assessment.vehicle_value_fen,
        costs_fen=assessment.costs_fen,
        as_of=assessment.as_of,
    )
    report.referral = referral
    report.save(update_fields=["referral"])
    audit_record(
        actor=actor.get_username(),
        action="vehicle_risk.refer",
        obj=report,
        after={"referral": referral.pk, "assessment": assessment.pk},
    )
    return referral
