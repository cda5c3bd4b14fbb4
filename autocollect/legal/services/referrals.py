"""Referring a case to legal and closing the referral: the referral places the ``legal``
contact hold, closing it releases that hold (docs/legal.md, "Referral")."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from autocollect.accounts.models import User
from autocollect.audit.services import audit_record
from autocollect.cases.models import CollectionCase
from autocollect.compliance.models import ContactHold, HoldReason
from autocollect.compliance.services import hold_ensure, hold_release
from autocollect.core.errors import ApplicationError, refuse
from autocollect.legal.models import (
    CloseOutcome,
    DeadlineResolution,
    Defendant,
    DefendantKind,
    LegalReferral,
    ReferralReason,
    Stage,
)
from autocollect.legal.permissions import (
    referral_create_refusal,
    referral_work_refusal,
    referrer_refusal,
)
from autocollect.legal.selectors import loan_balance_fen
from autocollect.legal.services.deadlines import deadlines_finish
from autocollect.legal.services.stages import referral_locked_to_move, stage_move


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


@transaction.atomic
def referral_close(
    *, referral: LegalReferral, actor: User, outcome: str, note: str
) -> LegalReferral:
    """Close from any open stage, with an outcome and a reason. Open deadlines no longer apply;
    the legal contact hold placed by the referral is released (other holds, e.g. a
    vehicle-disposed hold, stay until released on their own)."""
    refuse(referral_work_refusal(actor))
    referral = referral_locked_to_move(referral)
    if outcome not in CloseOutcome.values:
        raise ApplicationError(
            _("未知的结案结果：%(value)s") % {"value": outcome}, extra={"field": "outcome"}
        )
    if not note.strip():
        raise ApplicationError(_("结案需要说明"))
    referral.closed_at = timezone.now()
    referral.close_outcome = outcome
    referral.close_note = note.strip()
    stage_move(referral, Stage.CLOSED, actor=actor, reason=note.strip())
    deadlines_finish(referral, None, DeadlineResolution.SUPERSEDED, actor.get_username())
    if referral.hold_id is not None:
        hold = ContactHold.objects.get(pk=referral.hold_id)
        if hold.released_at is None:
            hold_release(hold=hold, actor=actor.get_username(), note=f"法务结案：{note.strip()}")
    return referral
