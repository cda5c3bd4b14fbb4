"""Referring a case to legal and closing the referral: the referral places the ``legal``
contact hold, closing it releases that hold (docs/legal.md, "Referral")."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from autocollect.accounts.models import User
from autocollect.audit.services import audit_record
from autocollect.cases.models import CollectionCase
from autocollect.compliance.models import ContactHold, HoldReason
from autocollect.compliance.services import hold_ensure, hold_release
from autocollect.core import clock
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
from autocollect.portfolio.models import Borrower


@dataclass(frozen=True, slots=True)
class ThirdParty:
    name: str
    basis: str


@dataclass(frozen=True, slots=True)
class _Amounts:
    """What a referral fixes when it is made, integer fen."""

    as_of: date
    outstanding_fen: int
    costs_fen: int
    vehicle_value_fen: int | None

    @property
    def exposure_fen(self) -> int:
        return self.outstanding_fen + self.costs_fen - (self.vehicle_value_fen or 0)


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
    _reason_check(reason)
    case = (
        CollectionCase.objects.select_for_update().select_related("loan__borrower").get(pk=case.pk)
    )
    refuse(referral_create_refusal(case))
    amounts = _amounts(case, costs_fen=costs_fen, vehicle_value_fen=vehicle_value_fen, as_of=as_of)
    now = clock.now()
    referral = _referral_open(
        case,
        actor=actor,
        reason=reason,
        note=note,
        amounts=amounts,
        default_judgment=default_judgment,
        now=now,
    )
    _defendants_add(referral, borrower=case.loan.borrower, third_parties=third_parties)
    if case.legal_referred_at is None:
        case.legal_referred_at = now
        case.save(update_fields=["legal_referred_at"])
    _refer_audit(
        referral,
        actor=actor,
        amounts=amounts,
        default_judgment=default_judgment,
        third_parties=third_parties,
        note=note,
    )
    return referral


def _reason_check(reason: str) -> None:
    if reason not in ReferralReason.values:
        raise ApplicationError(
            _("未知的转法务原因：%(value)s") % {"value": reason}, extra={"field": "reason"}
        )


def _amounts(
    case: CollectionCase, *, costs_fen: int, vehicle_value_fen: int | None, as_of: date | None
) -> _Amounts:
    """The amounts given (never negative) and what the loan owes on ``as_of`` (today)."""
    if costs_fen < 0 or (vehicle_value_fen is not None and vehicle_value_fen < 0):
        raise ApplicationError(_("金额不能为负数"), extra={"field": "amounts"})
    day = as_of or clock.localdate()
    return _Amounts(
        as_of=day,
        outstanding_fen=loan_balance_fen(case.loan, as_of=day),
        costs_fen=costs_fen,
        vehicle_value_fen=vehicle_value_fen,
    )


def _referral_open(
    case: CollectionCase,
    *,
    actor: User,
    reason: str,
    note: str,
    amounts: _Amounts,
    default_judgment: bool,
    now: datetime,
) -> LegalReferral:
    """The legal contact hold (the case's active one, or a new one) and the referral row."""
    hold = hold_ensure(
        case=case,
        reason=HoldReason.LEGAL,
        actor=actor.get_username(),
        # Stored in Chinese, as records are; the team page shows it in the reader's language.
        note=gettext_noop("转法务"),
    )
    return LegalReferral.objects.create(
        case=case,
        referred_by=actor,
        referred_at=now,
        reason=reason,
        reason_note=note.strip(),
        outstanding_fen=amounts.outstanding_fen,
        costs_fen=amounts.costs_fen,
        vehicle_value_fen=amounts.vehicle_value_fen,
        exposure_fen=amounts.exposure_fen,
        default_judgment=default_judgment,
        stage=Stage.REFERRAL,
        stage_changed_at=now,
        hold=hold,
    )


def _defendants_add(
    referral: LegalReferral, *, borrower: Borrower, third_parties: tuple[ThirdParty, ...]
) -> None:
    """The borrower, then each third party (a name is required)."""
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


def _refer_audit(
    referral: LegalReferral,
    *,
    actor: User,
    amounts: _Amounts,
    default_judgment: bool,
    third_parties: tuple[ThirdParty, ...],
    note: str,
) -> None:
    audit_record(
        actor=actor.get_username(),
        action="legal.refer",
        obj=referral,
        after={
            "case": referral.case_id,
            "reason": referral.reason,
            "outstanding_fen": amounts.outstanding_fen,
            "costs_fen": amounts.costs_fen,
            "vehicle_value_fen": amounts.vehicle_value_fen,
            "exposure_fen": amounts.exposure_fen,
            "default_judgment": default_judgment,
            "third_parties": [p.name for p in third_parties],
            "as_of": amounts.as_of,
        },
        reason=note,
    )


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
    referral.closed_at = clock.now()
    referral.close_outcome = outcome
    referral.close_note = note.strip()
    stage_move(referral, Stage.CLOSED, actor=actor, reason=note.strip())
    deadlines_finish(referral, None, DeadlineResolution.SUPERSEDED, actor.get_username())
    if referral.hold_id is not None:
        hold = ContactHold.objects.get(pk=referral.hold_id)
        if hold.released_at is None:
            hold_release(hold=hold, actor=actor.get_username(), note=f"法务结案：{note.strip()}")
    return referral
