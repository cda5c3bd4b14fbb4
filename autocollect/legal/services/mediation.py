"""Pre-litigation mediation (诉前调解) and judicial confirmation (司法确认) of its agreement:
an agreement opens the 30-day window to apply, the court's acceptance and ruling each have
their deadline, and a confirmed agreement opens the two years to apply for enforcement
(docs/legal.md, "Stages" and "Deadlines")."""

from __future__ import annotations

from datetime import date, timedelta

from django.db import transaction
from django.utils.translation import gettext as _

from autocollect.accounts.models import User
from autocollect.audit.services import audit_record
from autocollect.core import clock
from autocollect.core.errors import ApplicationError, refuse
from autocollect.legal.models import (
    ENFORCEMENT_YEARS,
    JC_ACCEPTANCE_DAYS,
    JC_APPLICATION_DAYS,
    JC_RULING_DAYS,
    DeadlineKind,
    DeadlineResolution,
    LegalReferral,
    MediationResult,
    MediationSession,
    Stage,
)
from autocollect.legal.permissions import referral_work_refusal
from autocollect.legal.services.deadlines import add_years, deadline_add, deadlines_finish
from autocollect.legal.services.stages import (
    referral_locked,
    referral_locked_to_move,
    stage_move,
)


@transaction.atomic
def mediation_start(
    *, referral: LegalReferral, actor: User, mediator: str, organisation: str = ""
) -> LegalReferral:
    refuse(referral_work_refusal(actor))
    referral = referral_locked_to_move(referral)
    if not mediator.strip():
        raise ApplicationError(_("请填写调解员"), extra={"field": "mediator"})
    referral.mediator = mediator.strip()
    referral.mediation_org = organisation.strip()
    stage_move(referral, Stage.MEDIATION, actor=actor, reason=f"调解员 {referral.mediator}")
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
    refuse(referral_work_refusal(actor))
    referral = referral_locked(referral)
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
        recorded_at=clock.now(),
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
        deadline = deadline_add(
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
    refuse(referral_work_refusal(actor))
    referral = referral_locked_to_move(referral)
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
    stage_move(referral, Stage.JUDICIAL_CONFIRMATION, actor=actor, reason=f"申请日 {applied_on}")
    deadlines_finish(
        referral, [DeadlineKind.JC_APPLICATION], DeadlineResolution.MET, actor.get_username()
    )
    deadline_add(
        referral,
        DeadlineKind.JC_ACCEPTANCE,
        applied_on + timedelta(days=JC_ACCEPTANCE_DAYS),
        note="法院应在收到申请后3日内决定是否受理；逾期请跟进法院",
    )
    return referral


@transaction.atomic
def jc_accept(*, referral: LegalReferral, actor: User, accepted_on: date) -> LegalReferral:
    refuse(referral_work_refusal(actor))
    referral = referral_locked(referral)
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
    deadlines_finish(
        referral, [DeadlineKind.JC_ACCEPTANCE], DeadlineResolution.MET, actor.get_username()
    )
    deadline_add(
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
    refuse(referral_work_refusal(actor))
    referral = referral_locked(referral)
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
    deadlines_finish(
        referral, [DeadlineKind.JC_RULING], DeadlineResolution.MET, actor.get_username()
    )
    if confirmed:
        deadline_add(
            referral,
            DeadlineKind.ENFORCEMENT_APPLICATION,
            add_years(ruling_on, ENFORCEMENT_YEARS),
            note="债务人不履行的，申请强制执行的期间为二年",
        )
    return referral
