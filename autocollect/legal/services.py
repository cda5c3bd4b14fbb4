"""Writes for legal: referral, the stage machine, mediation, judicial confirmation, litigation,
enforcement, costs and deadlines. Every write is one transaction and one or more audit events;
a refused move raises ``ApplicationError`` and changes nothing.

Stages and moves (docs/legal.md)::

    referral ──▶ mediation ──▶ judicial_confirmation ──▶ enforcement ──▶ closed
       │            │                 │                      ▲
       │            └──────┬──────────┘ (mediation failed /  │
       └───────────────────▼            confirmation refused)│
                       litigation ───────────────────────────┘
    every stage ──▶ closed (paid, settled, withdrawn, unrecoverable)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from autocollect.accounts.models import User
from autocollect.audit.services import audit_record
from autocollect.cases.models import CollectionCase
from autocollect.cases.workflow import state_lock, state_move
from autocollect.compliance.models import ContactHold, HoldReason
from autocollect.compliance.services import hold_ensure, hold_release
from autocollect.core.errors import ApplicationError, refuse
from autocollect.legal.models import (
    ENFORCEMENT_YEARS,
    JC_ACCEPTANCE_DAYS,
    JC_APPLICATION_DAYS,
    JC_RULING_DAYS,
    CloseOutcome,
    CostKind,
    DeadlineKind,
    DeadlineResolution,
    Defendant,
    DefendantKind,
    Hearing,
    LegalCost,
    LegalDeadline,
    LegalReferral,
    MediationResult,
    MediationSession,
    ReferralReason,
    Stage,
)
from autocollect.legal.permissions import (
    enforcement_apply_refusal,
    litigation_file_refusal,
    referral_create_refusal,
    referral_work_refusal,
    referrer_refusal,
)
from autocollect.legal.selectors import deadlines_due_soon, loan_balance_fen

TRANSITIONS: dict[str, frozenset[str]] = {
    Stage.REFERRAL: frozenset({Stage.MEDIATION, Stage.LITIGATION, Stage.CLOSED}),
    Stage.MEDIATION: frozenset({Stage.JUDICIAL_CONFIRMATION, Stage.LITIGATION, Stage.CLOSED}),
    Stage.JUDICIAL_CONFIRMATION: frozenset({Stage.ENFORCEMENT, Stage.LITIGATION, Stage.CLOSED}),
    Stage.LITIGATION: frozenset({Stage.ENFORCEMENT, Stage.CLOSED}),
    Stage.ENFORCEMENT: frozenset({Stage.CLOSED}),
    Stage.CLOSED: frozenset(),
}

DEFAULT_SOON_DAYS = 7
SYSTEM_ACTOR = "system:legal-deadlines"
# The msgid (tests compare with it); each use translates it when raised.
STAGE_CHANGED = gettext_noop("法务阶段已变化，请刷新后重试")


def _require_legal(actor: User) -> None:
    refuse(referral_work_refusal(actor))


def add_years(day: date, years: int) -> date:
    """The same calendar day ``years`` later; 29 February becomes 28 February."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def allowed_stages(referral: LegalReferral) -> frozenset[str]:
    return TRANSITIONS[referral.stage]


def _move(referral: LegalReferral, to: str, *, actor: User, reason: str = "") -> None:
    """Lock, check the stage did not change since ``referral`` was read and the move against
    the table, save the whole row (the caller set its own fields on it), audit the stage
    (``cases.workflow.state_move``); the caller audits the details."""
    state_move(
        referral,
        to=to,
        field="stage",
        transitions=TRANSITIONS,
        labels=Stage,
        changed=_(STAGE_CHANGED),
        refused=_("不允许的阶段变更：%(from)s → %(to)s"),
        actor=actor.get_username(),
        action="legal.stage",
        reason=reason,
        values={"stage_changed_at": timezone.now()},
        fields=None,
    )


def _deadline_add(
    referral: LegalReferral, kind: str, due_on: date, note: str = ""
) -> LegalDeadline:
    return LegalDeadline.objects.create(
        referral=referral, kind=kind, due_on=due_on, note=note, created_at=timezone.now()
    )


def _deadlines_finish(
    referral: LegalReferral, kinds: list[str] | None, resolution: str, actor: str
) -> None:
    open_ = LegalDeadline.objects.filter(referral=referral, done_at__isnull=True)
    if kinds is not None:
        open_ = open_.filter(kind__in=kinds)
    for deadline in open_:
        deadline.done_at = timezone.now()
        deadline.resolution = resolution
        deadline.save(update_fields=["done_at", "resolution"])
        audit_record(
            actor=actor,
            action="legal.deadline_done",
            obj=deadline,
            after={"kind": deadline.kind, "due_on": deadline.due_on, "resolution": resolution},
        )


def _locked(referral: LegalReferral) -> LegalReferral:
    return LegalReferral.objects.select_for_update().get(pk=referral.pk)


def _locked_to_move(referral: LegalReferral) -> LegalReferral:
    """The row locked for a stage move, refused when its stage is no longer the one the
    caller read: of two legal users acting on one referral at once, the second is told to
    reload instead of moving a referral that has just moved."""
    return state_lock(referral, field="stage", changed=_(STAGE_CHANGED))


# --- referral -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ThirdParty:
    name: str
    basis: str


@transaction.atomic
def referral_create(
    *,
    case: CollectionCase,
    actor: User,
    reason: str,
    note: str = "",
    third_parties: tuple[ThirdParty, ...] = (),
    default_judgment: bool = False,
    vehicle_value_fen: int | None = None,
    costs_fen: int = 0,
    as_of: date | None = None,
) -> LegalReferral:
    """Refer an open case to legal: amounts and exposure fixed now, the borrower (and any third
    party) as defendants, ``case.legal_referred_at`` set (legal users see the case from now)
    and a ``legal`` contact hold placed, so collection contact stops (cn.hold.legal)."""
    refuse(referrer_refusal(actor))
    if reason not in ReferralReason.values:
        raise ApplicationError(
            _("未知的转法务原因：%(value)s") % {"value": reason}, extra={"field": "reason"}
        )
    case = (
        CollectionCase.objects.select_for_update().select_related("loan__borrower").get(pk=case.pk)
    )
    refuse(referral_create_refusal(case))
    if costs_fen < 0 or (vehicle_value_fen is not None and vehicle_value_fen < 0):
        raise ApplicationError(_("金额不能为负数"), extra={"field": "amounts"})
    day = as_of or timezone.localdate()
    outstanding = loan_balance_fen(case.loan, as_of=day)
    exposure = outstanding + costs_fen - (vehicle_value_fen or 0)
    now = timezone.now()
    hold = hold_ensure(
        case=case,
        reason=HoldReason.LEGAL,
        actor=actor.get_username(),
        # Stored in Chinese, as records are; the team page shows it in the reader's language.
        note=gettext_noop("转法务"),
    )
    referral = LegalReferral.objects.create(
        case=case,
        referred_by=actor,
        referred_at=now,
        reason=reason,
        reason_note=note.strip(),
        outstanding_fen=outstanding,
        costs_fen=costs_fen,
        vehicle_value_fen=vehicle_value_fen,
        exposure_fen=exposure,
        default_judgment=default_judgment,
        stage=Stage.REFERRAL,
        stage_changed_at=now,
        hold=hold,
    )
    borrower = case.loan.borrower
    Defendant.objects.create(
        referral=referral,
        kind=DefendantKind.BORROWER,
        name=borrower.name,
        borrower=borrower,
        basis="借款合同违约",
    )
    for party in third_parties:
        if not party.name.strip():
            raise ApplicationError(_("请填写第三人姓名"), extra={"field": "third_party"})
        Defendant.objects.create(
            referral=referral,
            kind=DefendantKind.THIRD_PARTY,
            name=party.name.strip(),
            basis=party.basis.strip(),
        )
    if case.legal_referred_at is None:
        case.legal_referred_at = now
        case.save(update_fields=["legal_referred_at"])
    audit_record(
        actor=actor.get_username(),
        action="legal.refer",
        obj=referral,
        after={
            "case": case.pk,
            "reason": reason,
            "outstanding_fen": outstanding,
            "costs_fen": costs_fen,
            "vehicle_value_fen": vehicle_value_fen,
            "exposure_fen": exposure,
            "default_judgment": default_judgment,
            "third_parties": [p.name for p in third_parties],
            "as_of": day,
        },
        reason=note,
    )
    return referral


# --- mediation ------------------------------------------------------------------------------


@transaction.atomic
def mediation_start(
    *, referral: LegalReferral, actor: User, mediator: str, organisation: str = ""
) -> LegalReferral:
    _require_legal(actor)
    referral = _locked_to_move(referral)
    if not mediator.strip():
        raise ApplicationError(_("请填写调解员"), extra={"field": "mediator"})
    referral.mediator = mediator.strip()
    referral.mediation_org = organisation.strip()
    _move(referral, Stage.MEDIATION, actor=actor, reason=f"调解员 {referral.mediator}")
    return referral


@transaction.atomic
def mediation_session_record(
    *,
    referral: LegalReferral,
    actor: User,
    held_on: date,
    result: str,
    notes: str = "",
    agreement_fen: int | None = None,
) -> MediationSession:
    """A mediation session. An agreement fixes its date and amount and opens the 30-day
    judicial confirmation window (a ``jc_application`` deadline)."""
    _require_legal(actor)
    referral = _locked(referral)
    if referral.stage != Stage.MEDIATION:
        raise ApplicationError(_("只有调解阶段可以记录调解"))
    if result not in MediationResult.values:
        raise ApplicationError(
            _("未知的调解结果：%(value)s") % {"value": result}, extra={"field": "result"}
        )
    if referral.mediation_agreement_on is not None:
        raise ApplicationError(_("已达成调解协议，不再记录调解"))
    if result == MediationResult.AGREEMENT and (agreement_fen is None or agreement_fen <= 0):
        raise ApplicationError(_("达成调解协议须填写协议金额"), extra={"field": "agreement_fen"})
    session = MediationSession.objects.create(
        referral=referral,
        held_on=held_on,
        mediator=referral.mediator,
        result=result,
        notes=notes.strip(),
        recorded_by=actor.get_username(),
        recorded_at=timezone.now(),
    )
    audit_record(
        actor=actor.get_username(),
        action="legal.mediation_session",
        obj=session,
        after={"referral": referral.pk, "held_on": held_on, "result": result},
    )
    if result == MediationResult.AGREEMENT:
        referral.mediation_agreement_on = held_on
        referral.mediation_agreement_fen = agreement_fen
        referral.save(update_fields=["mediation_agreement_on", "mediation_agreement_fen"])
        deadline = _deadline_add(
            referral,
            DeadlineKind.JC_APPLICATION,
            held_on + timedelta(days=JC_APPLICATION_DAYS),
            note="调解协议生效之日起30日内共同申请司法确认",
        )
        audit_record(
            actor=actor.get_username(),
            action="legal.mediation_agreement",
            obj=referral,
            after={
                "agreement_on": held_on,
                "agreement_fen": agreement_fen,
                "jc_application_due_on": deadline.due_on,
            },
        )
    return session


# --- judicial confirmation -----------------------------------------------------------------


@transaction.atomic
def jc_apply(
    *, referral: LegalReferral, actor: User, court: str, applied_on: date
) -> LegalReferral:
    """Apply for judicial confirmation of the mediation agreement. Refused without an
    agreement, and after the 30-day window: the route is then closed and the case goes to
    litigation instead."""
    _require_legal(actor)
    referral = _locked_to_move(referral)
    if referral.stage != Stage.MEDIATION or referral.mediation_agreement_on is None:
        raise ApplicationError(_("申请司法确认需要先达成调解协议"))
    last_day = referral.mediation_agreement_on + timedelta(days=JC_APPLICATION_DAYS)
    if applied_on < referral.mediation_agreement_on:
        raise ApplicationError(_("申请日不能早于调解协议日期"))
    if applied_on > last_day:
        raise ApplicationError(
            _("已超过司法确认申请期限（%(last_day)s），请转入诉讼")
            % {"last_day": last_day.isoformat()},
            extra={"last_day": last_day.isoformat()},
        )
    if not court.strip():
        raise ApplicationError(_("请填写法院"), extra={"field": "court"})
    referral.jc_court = court.strip()
    referral.jc_applied_on = applied_on
    _move(referral, Stage.JUDICIAL_CONFIRMATION, actor=actor, reason=f"申请日 {applied_on}")
    _deadlines_finish(
        referral, [DeadlineKind.JC_APPLICATION], DeadlineResolution.MET, actor.get_username()
    )
    _deadline_add(
        referral,
        DeadlineKind.JC_ACCEPTANCE,
        applied_on + timedelta(days=JC_ACCEPTANCE_DAYS),
        note="法院应在收到申请后3日内决定是否受理；逾期请跟进法院",
    )
    return referral


@transaction.atomic
def jc_accept(*, referral: LegalReferral, actor: User, accepted_on: date) -> LegalReferral:
    _require_legal(actor)
    referral = _locked(referral)
    if referral.stage != Stage.JUDICIAL_CONFIRMATION or referral.jc_accepted_on is not None:
        raise ApplicationError(_("司法确认尚未申请或已受理"))
    assert referral.jc_applied_on is not None
    if accepted_on < referral.jc_applied_on:
        raise ApplicationError(_("受理日不能早于申请日"))
    before = referral.jc_accepted_on
    referral.jc_accepted_on = accepted_on
    referral.save(update_fields=["jc_accepted_on"])
    audit_record(
        actor=actor.get_username(),
        action="legal.jc_accept",
        obj=referral,
        before={"jc_accepted_on": before},
        after={"jc_accepted_on": accepted_on},
    )
    _deadlines_finish(
        referral, [DeadlineKind.JC_ACCEPTANCE], DeadlineResolution.MET, actor.get_username()
    )
    _deadline_add(
        referral,
        DeadlineKind.JC_RULING,
        accepted_on + timedelta(days=JC_RULING_DAYS),
        note="法院应在受理后15日内作出裁定（可延长10日）",
    )
    return referral


@transaction.atomic
def jc_rule(
    *, referral: LegalReferral, actor: User, ruling_on: date, confirmed: bool
) -> LegalReferral:
    """The court's ruling. Confirmed: the agreement is enforceable, and the two-year window to
    apply for enforcement opens. Refused: the parties may litigate (stage litigation)."""
    _require_legal(actor)
    referral = _locked(referral)
    if referral.stage != Stage.JUDICIAL_CONFIRMATION or referral.jc_accepted_on is None:
        raise ApplicationError(_("法院尚未受理，不能记录裁定"))
    if referral.jc_ruling_on is not None:
        raise ApplicationError(_("裁定已记录"))
    if ruling_on < referral.jc_accepted_on:
        raise ApplicationError(_("裁定日不能早于受理日"))
    referral.jc_ruling_on = ruling_on
    referral.jc_confirmed = confirmed
    referral.save(update_fields=["jc_ruling_on", "jc_confirmed"])
    audit_record(
        actor=actor.get_username(),
        action="legal.jc_rule",
        obj=referral,
        after={"jc_ruling_on": ruling_on, "jc_confirmed": confirmed},
    )
    _deadlines_finish(
        referral, [DeadlineKind.JC_RULING], DeadlineResolution.MET, actor.get_username()
    )
    if confirmed:
        _deadline_add(
            referral,
            DeadlineKind.ENFORCEMENT_APPLICATION,
            add_years(ruling_on, ENFORCEMENT_YEARS),
            note="债务人不履行的，申请强制执行的期间为二年",
        )
    return referral


# --- litigation -----------------------------------------------------------------------------


@transaction.atomic
def litigation_file(
    *, referral: LegalReferral, actor: User, court: str, case_no: str, filed_on: date
) -> LegalReferral:
    """File suit. From referral (no mediation, e.g. a borrower who cannot be found: default
    judgment), from mediation that produced no agreement, or after the court refused to
    confirm the agreement. Not while a confirmation is pending or after it was confirmed."""
    _require_legal(actor)
    referral = _locked_to_move(referral)
    refuse(litigation_file_refusal(referral, filed_on=filed_on))
    if not court.strip() or not case_no.strip():
        raise ApplicationError(_("请填写法院和案号"), extra={"field": "court, case_no"})
    referral.court = court.strip()
    referral.court_case_no = case_no.strip()
    referral.filed_on = filed_on
    _move(
        referral, Stage.LITIGATION, actor=actor, reason=f"{referral.court} {referral.court_case_no}"
    )
    _deadlines_finish(
        referral,
        [DeadlineKind.JC_APPLICATION, DeadlineKind.JC_ACCEPTANCE, DeadlineKind.JC_RULING],
        DeadlineResolution.SUPERSEDED,
        actor.get_username(),
    )
    return referral


@transaction.atomic
def hearing_add(
    *, referral: LegalReferral, actor: User, scheduled_on: date, court: str = "", notes: str = ""
) -> Hearing:
    _require_legal(actor)
    referral = _locked(referral)
    if referral.stage != Stage.LITIGATION:
        raise ApplicationError(_("只有诉讼阶段可以安排开庭"))
    hearing = Hearing.objects.create(
        referral=referral,
        scheduled_on=scheduled_on,
        court=court.strip() or referral.court,
        notes=notes.strip(),
        recorded_by=actor.get_username(),
        recorded_at=timezone.now(),
    )
    _deadline_add(referral, DeadlineKind.HEARING, scheduled_on, note=f"开庭 {hearing.court}")
    audit_record(
        actor=actor.get_username(),
        action="legal.hearing_add",
        obj=hearing,
        after={"referral": referral.pk, "scheduled_on": scheduled_on, "court": hearing.court},
    )
    return hearing


@transaction.atomic
def judgment_record(
    *,
    referral: LegalReferral,
    actor: User,
    judgment_on: date,
    effective_on: date,
    amount_fen: int,
    summary: str = "",
) -> LegalReferral:
    _require_legal(actor)
    referral = _locked(referral)
    if referral.stage != Stage.LITIGATION:
        raise ApplicationError(_("只有诉讼阶段可以记录判决"))
    if referral.judgment_on is not None:
        raise ApplicationError(_("判决已记录"))
    if amount_fen < 0:
        raise ApplicationError(_("金额不能为负数"), extra={"field": "amount_fen"})
    if effective_on < judgment_on:
        raise ApplicationError(_("生效日不能早于判决日"))
    referral.judgment_on = judgment_on
    referral.judgment_effective_on = effective_on
    referral.judgment_fen = amount_fen
    referral.judgment_summary = summary.strip()
    referral.save(
        update_fields=["judgment_on", "judgment_effective_on", "judgment_fen", "judgment_summary"]
    )
    audit_record(
        actor=actor.get_username(),
        action="legal.judgment",
        obj=referral,
        after={"judgment_on": judgment_on, "effective_on": effective_on, "amount_fen": amount_fen},
    )
    _deadlines_finish(
        referral, [DeadlineKind.HEARING], DeadlineResolution.MET, actor.get_username()
    )
    _deadline_add(
        referral,
        DeadlineKind.ENFORCEMENT_APPLICATION,
        add_years(effective_on, ENFORCEMENT_YEARS),
        note="判决生效后债务人不履行的，申请强制执行的期间为二年",
    )
    return referral


# --- enforcement and closure ---------------------------------------------------------------


@transaction.atomic
def enforcement_apply(
    *, referral: LegalReferral, actor: User, applied_on: date, case_no: str = ""
) -> LegalReferral:
    """Apply for enforcement (执行) of a confirmed mediation agreement or an effective
    judgment; nothing else is enforceable."""
    _require_legal(actor)
    referral = _locked_to_move(referral)
    refuse(enforcement_apply_refusal(referral))
    referral.enforcement_applied_on = applied_on
    referral.enforcement_case_no = case_no.strip()
    _move(referral, Stage.ENFORCEMENT, actor=actor, reason=f"申请执行 {applied_on}")
    _deadlines_finish(
        referral,
        [DeadlineKind.ENFORCEMENT_APPLICATION],
        DeadlineResolution.MET,
        actor.get_username(),
    )
    return referral


@transaction.atomic
def recovery_record(*, referral: LegalReferral, actor: User, amount_fen: int) -> LegalReferral:
    _require_legal(actor)
    referral = _locked(referral)
    if referral.stage != Stage.ENFORCEMENT:
        raise ApplicationError(_("只有执行阶段可以登记执行回款"))
    if amount_fen <= 0:
        raise ApplicationError(_("金额须大于零"), extra={"field": "amount_fen"})
    before = referral.recovered_fen
    referral.recovered_fen += amount_fen
    referral.save(update_fields=["recovered_fen"])
    audit_record(
        actor=actor.get_username(),
        action="legal.recovery",
        obj=referral,
        before={"recovered_fen": before},
        after={"recovered_fen": referral.recovered_fen},
    )
    return referral


@transaction.atomic
def referral_close(
    *, referral: LegalReferral, actor: User, outcome: str, note: str
) -> LegalReferral:
    """Close from any open stage, with an outcome and a reason. Open deadlines no longer apply;
    the legal contact hold placed by the referral is released (other holds, e.g. a
    vehicle-disposed hold, stay until released on their own)."""
    _require_legal(actor)
    referral = _locked_to_move(referral)
    if outcome not in CloseOutcome.values:
        raise ApplicationError(
            _("未知的结案结果：%(value)s") % {"value": outcome}, extra={"field": "outcome"}
        )
    if not note.strip():
        raise ApplicationError(_("结案需要说明"))
    referral.closed_at = timezone.now()
    referral.close_outcome = outcome
    referral.close_note = note.strip()
    _move(referral, Stage.CLOSED, actor=actor, reason=note.strip())
    _deadlines_finish(referral, None, DeadlineResolution.SUPERSEDED, actor.get_username())
    if referral.hold_id is not None:
        hold = ContactHold.objects.get(pk=referral.hold_id)
        if hold.released_at is None:
            hold_release(hold=hold, actor=actor.get_username(), note=f"法务结案：{note.strip()}")
    return referral


@transaction.atomic
def cost_record(
    *,
    referral: LegalReferral,
    actor: User,
    kind: str,
    amount_fen: int,
    incurred_on: date,
    note: str = "",
) -> LegalCost:
    _require_legal(actor)
    if kind not in CostKind.values:
        raise ApplicationError(
            _("未知的费用类型：%(value)s") % {"value": kind}, extra={"field": "kind"}
        )
    if amount_fen <= 0:
        raise ApplicationError(_("金额须大于零"), extra={"field": "amount_fen"})
    cost = LegalCost.objects.create(
        referral=referral,
        kind=kind,
        amount_fen=amount_fen,
        incurred_on=incurred_on,
        note=note.strip(),
        recorded_by=actor.get_username(),
        recorded_at=timezone.now(),
    )
    audit_record(
        actor=actor.get_username(),
        action="legal.cost",
        obj=cost,
        after={"referral": referral.pk, "kind": kind, "amount_fen": amount_fen},
    )
    return cost


@transaction.atomic
def deadline_complete(*, deadline: LegalDeadline, actor: User, note: str = "") -> LegalDeadline:
    _require_legal(actor)
    deadline = LegalDeadline.objects.select_for_update().get(pk=deadline.pk)
    if deadline.done_at is not None:
        raise ApplicationError(_("期限已完成"))
    deadline.done_at = timezone.now()
    deadline.resolution = DeadlineResolution.MET
    if note.strip():
        deadline.note = f"{deadline.note}\n{note.strip()}".strip()
    deadline.save(update_fields=["done_at", "resolution", "note"])
    audit_record(
        actor=actor.get_username(),
        action="legal.deadline_done",
        obj=deadline,
        after={"kind": deadline.kind, "due_on": deadline.due_on, "resolution": "met"},
        reason=note,
    )
    return deadline


# --- the daily deadline check ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DeadlineReport:
    as_of: date
    overdue: list[LegalDeadline]
    due_soon: list[LegalDeadline]
    newly_alerted: list[int]


@transaction.atomic
def deadline_scan(*, as_of: date, soon_days: int = DEFAULT_SOON_DAYS) -> DeadlineReport:
    """Open deadlines past due on ``as_of`` and those due within ``soon_days``. Each overdue
    deadline is alerted once (``overdue_alerted_at`` set, one audit event), and listed every
    day until it is done: nothing passes unnoticed."""
    overdue, soon = deadlines_due_soon(as_of=as_of, days=soon_days)
    alerted: list[int] = []
    for deadline in overdue:
        if deadline.overdue_alerted_at is None:
            deadline.overdue_alerted_at = timezone.now()
            deadline.save(update_fields=["overdue_alerted_at"])
            audit_record(
                actor=SYSTEM_ACTOR,
                action="legal.deadline_overdue",
                obj=deadline,
                after={
                    "referral": deadline.referral_id,
                    "kind": deadline.kind,
                    "due_on": deadline.due_on,
                    "as_of": as_of,
                },
            )
            alerted.append(deadline.pk)
    return DeadlineReport(as_of=as_of, overdue=overdue, due_soon=soon, newly_alerted=alerted)
