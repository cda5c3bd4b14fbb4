"""Shapes of the legal read API (``api.py``).

Money is integer fen in ``*_fen`` fields with a two-decimal ``*_yuan`` string beside it, as in
the portfolio API. Each procedure (mediation, judicial confirmation, litigation, enforcement)
is ``null`` until the referral reaches it.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from ninja import Field, Schema

from autocollect.core import clock
from autocollect.legal.models import (
    CloseOutcome,
    CostKind,
    DeadlineKind,
    DeadlineResolution,
    Defendant,
    DefendantKind,
    LegalCost,
    LegalDeadline,
    LegalReferral,
    MediationResult,
    ReferralReason,
    Stage,
)
from autocollect.ui.api_common import yuan


def _yuan_or_none(fen: int | None) -> str | None:
    return None if fen is None else yuan(fen)


class ReferralFilters(Schema):
    stage: Stage | None = None


class ReferralOut(Schema):
    id: int
    case_id: int
    contract_no: str
    stage: Stage
    stage_changed_at: datetime
    reason: ReferralReason
    referred_by: str
    referred_at: datetime
    default_judgment: bool = Field(..., description="预计公告送达、缺席判决")
    outstanding_fen: int = Field(..., description="转交时的欠款余额（分）")
    outstanding_yuan: str
    exposure_fen: int = Field(..., description="转交时的风险敞口（分）：欠款 + 费用 − 车辆估值")
    exposure_yuan: str
    recovered_fen: int = Field(..., description="执行回收金额合计（分）")
    recovered_yuan: str
    closed_at: datetime | None
    close_outcome: CloseOutcome | None

    @staticmethod
    def resolve_contract_no(obj: LegalReferral) -> str:
        return obj.case.loan.contract_no

    @staticmethod
    def resolve_referred_by(obj: LegalReferral) -> str:
        return obj.referred_by.get_username()

    @staticmethod
    def resolve_outstanding_yuan(obj: LegalReferral) -> str:
        return yuan(obj.outstanding_fen)

    @staticmethod
    def resolve_exposure_yuan(obj: LegalReferral) -> str:
        return yuan(obj.exposure_fen)

    @staticmethod
    def resolve_recovered_yuan(obj: LegalReferral) -> str:
        return yuan(obj.recovered_fen)

    @staticmethod
    def resolve_close_outcome(obj: LegalReferral) -> str | None:
        return obj.close_outcome or None


class DefendantOut(Schema):
    kind: DefendantKind
    name: str
    basis: str


class StageChangeOut(Schema):
    stage: Stage
    from_stage: Stage | None
    at: datetime
    actor: str
    reason: str


class MediationSessionOut(Schema):
    held_on: date
    mediator: str
    result: MediationResult
    notes: str


class MediationOut(Schema):
    mediator: str
    organisation: str
    agreement_on: date | None
    agreement_fen: int | None
    agreement_yuan: str | None
    sessions: list[MediationSessionOut]


class JudicialConfirmationOut(Schema):
    court: str
    applied_on: date
    accepted_on: date | None
    ruling_on: date | None
    confirmed: bool | None = Field(None, description="裁定确认有效（true）或驳回申请（false）")


class HearingOut(Schema):
    scheduled_on: date
    court: str
    held: bool
    notes: str


class LitigationOut(Schema):
    court: str
    case_no: str
    filed_on: date | None
    judgment_on: date | None
    judgment_effective_on: date | None
    judgment_fen: int | None
    judgment_yuan: str | None
    judgment_summary: str
    hearings: list[HearingOut]


class EnforcementOut(Schema):
    case_no: str
    applied_on: date


class DeadlineOut(Schema):
    kind: DeadlineKind
    due_on: date
    note: str
    done_at: datetime | None
    resolution: DeadlineResolution | None
    overdue: bool = Field(..., description="未完成且截止日期早于今天")

    @staticmethod
    def resolve_resolution(obj: LegalDeadline) -> str | None:
        return obj.resolution or None

    @staticmethod
    def resolve_overdue(obj: LegalDeadline) -> bool:
        return obj.done_at is None and obj.due_on < clock.localdate()


class CostOut(Schema):
    kind: CostKind
    amount_fen: int
    amount_yuan: str
    incurred_on: date
    note: str
    recorded_by: str

    @staticmethod
    def resolve_amount_yuan(obj: LegalCost) -> str:
        return yuan(obj.amount_fen)


class RecoveryOut(Schema):
    at: datetime
    amount_fen: int
    amount_yuan: str
    recorded_by: str


class ReferralDetailOut(ReferralOut):
    """``stage_history`` and ``recoveries`` come from the audit log (``legal.stage`` and
    ``legal.recovery`` events), set on the referral by the endpoint."""

    reason_note: str
    costs_at_referral_fen: int = Field(..., description="转交时已发生的费用（分）")
    costs_at_referral_yuan: str
    vehicle_value_fen: int | None = Field(None, description="转交时的车辆估值（分）")
    vehicle_value_yuan: str | None
    costs_recorded_fen: int = Field(..., description="转交后登记的法务费用合计（分）")
    costs_recorded_yuan: str
    close_note: str
    defendants: list[DefendantOut]
    stage_history: list[StageChangeOut]
    mediation: MediationOut | None
    judicial_confirmation: JudicialConfirmationOut | None
    litigation: LitigationOut | None
    enforcement: EnforcementOut | None
    deadlines: list[DeadlineOut]
    costs: list[CostOut]
    recoveries: list[RecoveryOut]

    @staticmethod
    def resolve_costs_at_referral_fen(obj: LegalReferral) -> int:
        return obj.costs_fen

    @staticmethod
    def resolve_costs_at_referral_yuan(obj: LegalReferral) -> str:
        return yuan(obj.costs_fen)

    @staticmethod
    def resolve_vehicle_value_yuan(obj: LegalReferral) -> str | None:
        return _yuan_or_none(obj.vehicle_value_fen)

    @staticmethod
    def resolve_costs_recorded_fen(obj: LegalReferral) -> int:
        return sum(cost.amount_fen for cost in obj.costs.all())

    @staticmethod
    def resolve_costs_recorded_yuan(obj: LegalReferral) -> str:
        return yuan(sum(cost.amount_fen for cost in obj.costs.all()))

    @staticmethod
    def resolve_defendants(obj: LegalReferral) -> list[Defendant]:
        return list(obj.defendants.all())

    @staticmethod
    def resolve_mediation(obj: LegalReferral) -> dict[str, Any] | None:
        if not obj.mediator:
            return None
        return {
            "mediator": obj.mediator,
            "organisation": obj.mediation_org,
            "agreement_on": obj.mediation_agreement_on,
            "agreement_fen": obj.mediation_agreement_fen,
            "agreement_yuan": _yuan_or_none(obj.mediation_agreement_fen),
            "sessions": list(obj.mediation_sessions.all()),
        }

    @staticmethod
    def resolve_judicial_confirmation(obj: LegalReferral) -> dict[str, Any] | None:
        if obj.jc_applied_on is None:
            return None
        return {
            "court": obj.jc_court,
            "applied_on": obj.jc_applied_on,
            "accepted_on": obj.jc_accepted_on,
            "ruling_on": obj.jc_ruling_on,
            "confirmed": obj.jc_confirmed,
        }

    @staticmethod
    def resolve_litigation(obj: LegalReferral) -> dict[str, Any] | None:
        if not obj.court_case_no and obj.filed_on is None:
            return None
        return {
            "court": obj.court,
            "case_no": obj.court_case_no,
            "filed_on": obj.filed_on,
            "judgment_on": obj.judgment_on,
            "judgment_effective_on": obj.judgment_effective_on,
            "judgment_fen": obj.judgment_fen,
            "judgment_yuan": _yuan_or_none(obj.judgment_fen),
            "judgment_summary": obj.judgment_summary,
            "hearings": list(obj.hearings.all()),
        }

    @staticmethod
    def resolve_enforcement(obj: LegalReferral) -> dict[str, Any] | None:
        if obj.enforcement_applied_on is None:
            return None
        return {"case_no": obj.enforcement_case_no, "applied_on": obj.enforcement_applied_on}

    @staticmethod
    def resolve_deadlines(obj: LegalReferral) -> list[LegalDeadline]:
        return list(obj.deadlines.all())

    @staticmethod
    def resolve_costs(obj: LegalReferral) -> list[LegalCost]:
        return list(obj.costs.all())
