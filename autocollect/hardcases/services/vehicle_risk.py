"""Vehicle risk (抵押车辆被处置): a report of the pledged car sold or pledged to someone else
stops all collection contact in the same transaction; the referral to legal against the
borrower and the third party (docs/hard-cases.md, "Vehicle risk")."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from autocollect.accounts.models import User
from autocollect.audit.services import audit_record
from autocollect.cases.models import CollectionCase, FlagKind
from autocollect.cases.services import case_flag_set
from autocollect.compliance.models import HoldReason
from autocollect.compliance.services import hold_ensure
from autocollect.core import clock
from autocollect.core.errors import ApplicationError
from autocollect.hardcases.models import VehicleRiskKind, VehicleRiskReport
from autocollect.hardcases.permissions import act_refusal, refer_refusal
from autocollect.hardcases.services.actors import require_case
from autocollect.legal.models import LegalReferral, ReferralReason
from autocollect.legal.services.referrals import ThirdParty, referral_create
from autocollect.portfolio.models import Vehicle


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
    require_case(actor, case.pk, act_refusal)
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
        reported_at=clock.now(),
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
def vehicle_risk_refer(*, report: VehicleRiskReport, actor: User, note: str = "") -> LegalReferral:
    """Refer to legal against the borrower and the third party who took the car, with the
    latest exposure assessment's amounts. Needs an assessment first."""
    require_case(actor, report.case_id, refer_refusal)
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
