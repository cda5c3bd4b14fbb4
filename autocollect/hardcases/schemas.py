"""Shapes of the hard-cases read API (``api.py``).

Contacts appear masked only (``138****8000``), never in clear; money is integer fen in
``*_fen`` fields with a two-decimal ``*_yuan`` string beside it, as in the portfolio API.
"""

from __future__ import annotations

from datetime import date, datetime

from ninja import Field, Schema

from autocollect.core.masking import mask_contact
from autocollect.hardcases.models import (
    BrandClass,
    ExposureAssessment,
    GpsStatus,
    SkipTask,
    TaskKind,
    TaskOutcome,
    TraceStatus,
    TraceTrigger,
    VehicleRiskKind,
    VehicleRiskReport,
)
from autocollect.portfolio.models import ContactKind, ContactOwner, ContactPoint, MortgageStatus
from autocollect.ui.api_common import yuan


class ContactRefOut(Schema):
    kind: ContactKind
    owner: ContactOwner
    value_masked: str

    @staticmethod
    def resolve_value_masked(obj: ContactPoint) -> str:
        return obj.masked or mask_contact(obj.kind, obj.value)


class SkipTaskOut(Schema):
    id: int
    kind: TaskKind
    agency: str | None = Field(None, description="外部调查机构名称")
    contact: ContactRefOut | None = Field(None, description="任务针对的已知联系方式（脱敏）")
    created_at: datetime
    outcome: TaskOutcome
    outcome_at: datetime | None
    outcome_by: str
    found_contact: ContactRefOut | None = Field(None, description="找到的新联系方式（脱敏）")
    note: str

    @staticmethod
    def resolve_agency(obj: SkipTask) -> str | None:
        return obj.agency.name if obj.agency else None


class SkipTraceOut(Schema):
    id: int
    status: TraceStatus
    trigger: TraceTrigger
    opened_at: datetime
    opened_by: str
    found_at: datetime | None
    legal_proposed_at: datetime | None
    note: str
    tasks: list[SkipTaskOut]


class AssessmentOut(Schema):
    report_id: int
    assessed_at: datetime
    assessed_by: str
    as_of: date
    outstanding_fen: int
    outstanding_yuan: str
    costs_fen: int
    costs_yuan: str
    vehicle_value_fen: int
    vehicle_value_yuan: str
    exposure_fen: int = Field(..., description="欠款 + 费用 − 车辆估值（分）；为负时车辆足以覆盖")
    exposure_yuan: str
    model_version: str
    brand_class: BrandClass
    age_months: int
    mileage_km: int | None
    retention_bp: int
    mileage_bp: int
    mortgage_status: MortgageStatus
    gps_status: GpsStatus
    note: str

    @staticmethod
    def resolve_outstanding_yuan(obj: ExposureAssessment) -> str:
        return yuan(obj.outstanding_fen)

    @staticmethod
    def resolve_costs_yuan(obj: ExposureAssessment) -> str:
        return yuan(obj.costs_fen)

    @staticmethod
    def resolve_vehicle_value_yuan(obj: ExposureAssessment) -> str:
        return yuan(obj.vehicle_value_fen)

    @staticmethod
    def resolve_exposure_yuan(obj: ExposureAssessment) -> str:
        return yuan(obj.exposure_fen)


class VehicleRefOut(Schema):
    id: int
    brand: str
    model: str
    plate: str


class VehicleRiskReportOut(Schema):
    id: int
    kind: VehicleRiskKind
    reported_at: datetime
    reported_by: str
    source: str
    third_party_name: str
    details: str
    vehicle: VehicleRefOut
    hold_active: bool = Field(..., description="车辆处置暂停（催收联系全部暂停）仍有效")
    referral_id: int | None = Field(None, description="据此转交的法务案件")
    last_assessment: AssessmentOut | None

    @staticmethod
    def resolve_hold_active(obj: VehicleRiskReport) -> bool:
        return obj.hold.released_at is None

    @staticmethod
    def resolve_last_assessment(obj: VehicleRiskReport) -> ExposureAssessment | None:
        # ``assessments`` is ordered newest first (model Meta).
        return next(iter(obj.assessments.all()), None)


class HardCaseOut(Schema):
    """``skip_trace``: the case's active trace (open, found or proposed for legal), ``null``
    when there is none; ``last_exposure_assessment``: the newest over all reports."""

    case_id: int
    contract_no: str
    skip_trace: SkipTraceOut | None
    vehicle_risk_reports: list[VehicleRiskReportOut]
    last_exposure_assessment: AssessmentOut | None
