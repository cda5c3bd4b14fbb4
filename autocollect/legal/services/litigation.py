"""Litigation (诉讼) and enforcement (执行): filing suit, hearings, the judgment (which opens
the two years to apply for enforcement), applying for enforcement and recording what it
recovers (docs/legal.md, "Stages")."""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils.translation import gettext as _

from autocollect.accounts.models import User
from autocollect.audit.services import audit_record
from autocollect.core import clock
from autocollect.core.errors import ApplicationError, refuse
from autocollect.legal.models import (
    ENFORCEMENT_YEARS,
    DeadlineKind,
    DeadlineResolution,
    Hearing,
    LegalReferral,
    Stage,
)
from autocollect.legal.permissions import (
    enforcement_apply_refusal,
    litigation_file_refusal,
    referral_work_refusal,
)
from autocollect.legal.services.deadlines import add_years, deadline_add, deadlines_finish
from autocollect.legal.services.stages import (
    referral_locked,
    referral_locked_to_move,
    stage_move,
)


@transaction.atomic
def litigation_file(
    *, referral: LegalReferral, actor: User, court: str, case_no: str, filed_on: date
) -> LegalReferral:
    """File suit. From referral (no mediation, e.g. a borrower who cannot be found: default
    judgment), from mediation that produced no agreement, or after the court refused to
    confirm the agreement. Not while a confirmation is pending or after it was confirmed."""
    refuse(referral_work_refusal(actor))
    referral = referral_locked_to_move(referral)
    refuse(litigation_file_refusal(referral, filed_on=filed_on))
    if not court.strip() or not case_no.strip():
        raise ApplicationError(_("请填写法院和案号"), extra={"field": "court, case_no"})
    referral.court = court.strip()
    referral.court_case_no = case_no.strip()
    referral.filed_on = filed_on
    stage_move(
        referral, Stage.LITIGATION, actor=actor, reason=f"{referral.court} {referral.court_case_no}"
    )
    deadlines_finish(
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
    refuse(referral_work_refusal(actor))
    referral = referral_locked(referral)
    if referral.stage != Stage.LITIGATION:
        raise ApplicationError(_("只有诉讼阶段可以安排开庭"))
    hearing = Hearing.objects.create(
        referral=referral,
        scheduled_on=scheduled_on,
        court=court.strip() or referral.court,
        notes=notes.strip(),
        recorded_by=actor.get_username(),
        recorded_at=clock.now(),
    )
    deadline_add(referral, DeadlineKind.HEARING, scheduled_on, note=f"开庭 {hearing.court}")
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
    refuse(referral_work_refusal(actor))
    referral = referral_locked(referral)
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
    deadlines_finish(referral, [DeadlineKind.HEARING], DeadlineResolution.MET, actor.get_username())
    deadline_add(
        referral,
        DeadlineKind.ENFORCEMENT_APPLICATION,
        add_years(effective_on, ENFORCEMENT_YEARS),
        note="判决生效后债务人不履行的，申请强制执行的期间为二年",
    )
    return referral


# --- enforcement ---------------------------------------------------------------------------


@transaction.atomic
def enforcement_apply(
    *, referral: LegalReferral, actor: User, applied_on: date, case_no: str = ""
) -> LegalReferral:
    """Apply for enforcement (执行) of a confirmed mediation agreement or an effective
    judgment; nothing else is enforceable."""
    refuse(referral_work_refusal(actor))
    referral = referral_locked_to_move(referral)
    refuse(enforcement_apply_refusal(referral))
    referral.enforcement_applied_on = applied_on
    referral.enforcement_case_no = case_no.strip()
    stage_move(referral, Stage.ENFORCEMENT, actor=actor, reason=f"申请执行 {applied_on}")
    deadlines_finish(
        referral,
        [DeadlineKind.ENFORCEMENT_APPLICATION],
        DeadlineResolution.MET,
        actor.get_username(),
    )
    return referral


@transaction.atomic
def recovery_record(*, referral: LegalReferral, actor: User, amount_fen: int) -> LegalReferral:
    refuse(referral_work_refusal(actor))
    referral = referral_locked(referral)
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
