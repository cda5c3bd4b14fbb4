"""The exposure assessment of a vehicle at risk: outstanding balance + costs − the car's
current value by the depreciation model (docs/hard-cases.md, "Exposure assessment")."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from autocollect.accounts.models import User
from autocollect.audit.services import audit_record
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
