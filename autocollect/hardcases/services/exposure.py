"""The exposure assessment of a vehicle at risk: outstanding balance + costs − the car's
current value by the depreciation model (docs/hard-cases.md, "Exposure assessment")."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from autocollect.accounts.models import User
from autocollect.audit.services import audit_record
from autocollect.core import clock
from autocollect.core.errors import ApplicationError
from autocollect.engine import depreciation
from autocollect.hardcases.models import (
    BrandClass,
    ExposureAssessment,
    GpsStatus,
    VehicleRiskReport,
)
from autocollect.hardcases.permissions import assess_refusal
from autocollect.hardcases.services.actors import require_case
from autocollect.legal.models import LegalCost
from autocollect.legal.selectors import loan_balance_fen
from autocollect.portfolio.models import MortgageStatus


@dataclass(frozen=True, slots=True)
class Exposure:
    """The figures of one assessment, in fen."""

    outstanding_fen: int
    costs_fen: int
    valuation: depreciation.Valuation

    @property
    def exposure_fen(self) -> int:
        return self.outstanding_fen + self.costs_fen - self.valuation.value_fen


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
    require_case(actor, report.case_id, assess_refusal)
    _inputs_check(
        gps_status=gps_status,
        brand_class=brand_class,
        mortgage_status=mortgage_status,
        extra_costs_fen=extra_costs_fen,
        mileage_km=mileage_km,
    )
    report = VehicleRiskReport.objects.select_related("case__loan", "vehicle").get(pk=report.pk)
    day = as_of or clock.localdate()
    figures = _exposure_figures(
        report, day=day, mileage_km=mileage_km, brand_class=brand_class, extra=extra_costs_fen
    )
    assessment = _assessment_create(
        report,
        figures,
        actor=actor,
        day=day,
        mileage_km=mileage_km,
        mortgage_status=mortgage_status or report.vehicle.mortgage_status,
        gps_status=gps_status,
        note=note,
    )
    audit_record(
        actor=actor.get_username(),
        action="vehicle_risk.assess",
        obj=assessment,
        after=_audit_after(assessment, brand_known=figures.valuation.brand_known),
    )
    return assessment


def _inputs_check(
    *,
    gps_status: str,
    brand_class: str | None,
    mortgage_status: str | None,
    extra_costs_fen: int,
    mileage_km: int | None,
) -> None:
    """The assessor's inputs, field by field, before anything is read or written."""
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


def _exposure_figures(
    report: VehicleRiskReport,
    *,
    day: date,
    mileage_km: int | None,
    brand_class: str | None,
    extra: int,
) -> Exposure:
    """The balance outstanding on ``day``, the costs (recorded legal costs + ``extra``) and the
    car's value by the depreciation model."""
    loan, vehicle = report.case.loan, report.vehicle
    outstanding = loan_balance_fen(loan, as_of=day)
    recorded_costs = sum(
        LegalCost.objects.filter(referral__case=report.case).values_list("amount_fen", flat=True)
    )
    # The car was bought with the loan: its price is the price on the disbursement date.
    valuation = depreciation.vehicle_value(
        price_fen=vehicle.price_fen,
        brand=vehicle.brand,
        purchased_on=loan.disbursed_on,
        as_of=day,
        mileage_km=mileage_km,
        cls=brand_class,
    )
    return Exposure(
        outstanding_fen=outstanding,
        costs_fen=recorded_costs + extra,
        valuation=valuation,
    )


def _assessment_create(
    report: VehicleRiskReport,
    figures: Exposure,
    *,
    actor: User,
    day: date,
    mileage_km: int | None,
    mortgage_status: str,
    gps_status: str,
    note: str,
) -> ExposureAssessment:
    """The assessment as stored: the figures, the model's version and factors, the inputs."""
    valuation = figures.valuation
    return ExposureAssessment.objects.create(
        report=report,
        assessed_at=clock.now(),
        assessed_by=actor.get_username(),
        as_of=day,
        outstanding_fen=figures.outstanding_fen,
        costs_fen=figures.costs_fen,
        vehicle_value_fen=valuation.value_fen,
        exposure_fen=figures.exposure_fen,
        model_version=valuation.model_version,
        brand_class=valuation.brand_class,
        age_months=valuation.age_months,
        mileage_km=mileage_km,
        retention_bp=valuation.retention_bp,
        mileage_bp=valuation.mileage_bp,
        mortgage_status=mortgage_status,
        gps_status=gps_status,
        note=note.strip(),
    )


def _audit_after(assessment: ExposureAssessment, *, brand_known: bool) -> dict[str, Any]:
    """The ``vehicle_risk.assess`` event's content: the assessment as stored, and whether the
    model knew the brand (not a column)."""
    return {
        "report": assessment.report_id,
        "as_of": assessment.as_of,
        "outstanding_fen": assessment.outstanding_fen,
        "costs_fen": assessment.costs_fen,
        "vehicle_value_fen": assessment.vehicle_value_fen,
        "exposure_fen": assessment.exposure_fen,
        "model": assessment.model_version,
        "brand_class": assessment.brand_class,
        "brand_known": brand_known,
        "age_months": assessment.age_months,
        "mileage_km": assessment.mileage_km,
        "mortgage_status": assessment.mortgage_status,
        "gps_status": assessment.gps_status,
    }
