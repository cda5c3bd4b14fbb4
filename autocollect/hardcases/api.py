"""Read API for the hard cases of one case: the active skip trace with its tasks, the vehicle
risk reports and the last exposure assessment (docs/api.md, docs/hard-cases.md).

Mounted at ``/api/hardcases``. Who reads follows the page ``/hardcases/case/<id>/``
(``permissions.VIEWERS``: collector, team lead, legal, risk, compliance and admin), for the
cases they see (docs/roles.md); a case the caller may not see is a 404 exactly like a missing
one. Traces and reports change through the page and services only.
"""

# Ninja resolves annotations at import time: no ``from __future__ import annotations``.
from typing import Any

from django.db.models import Prefetch
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router
from ninja.errors import HttpError

from autocollect.accounts.api_auth import require_api_permission
from autocollect.cases.selectors import visible_cases
from autocollect.hardcases.models import SkipTask, SkipTrace, VehicleRiskReport
from autocollect.hardcases.permissions import VIEWERS
from autocollect.hardcases.schemas import HardCaseOut
from autocollect.hardcases.services.skip_trace import ACTIVE_TRACE
from autocollect.ui.api_common import NOT_FOUND, ObjectId

router = Router(tags=["hardcases"])


@router.get(
    "/cases/{case_id}",
    response={200: HardCaseOut, **NOT_FOUND},
    summary="失联修复与车辆风险（进行中的修复任务、车辆风险报告、风险敞口评估）",
)
def get_hard_case(request: HttpRequest, case_id: ObjectId) -> dict[str, Any]:
    require_api_permission(request, *VIEWERS)
    case = visible_cases(request.user).select_related("loan").filter(pk=case_id).first()
    if case is None:
        raise HttpError(404, _("案件 %(id)s 不存在") % {"id": case_id})
    tasks = SkipTask.objects.select_related("agency", "contact", "found_contact").order_by("id")
    trace = (
        SkipTrace.objects.filter(case=case, status__in=ACTIVE_TRACE)
        .prefetch_related(Prefetch("tasks", tasks))
        .first()
    )
    reports = list(
        VehicleRiskReport.objects.filter(case=case)
        .select_related("vehicle", "hold")
        .prefetch_related("assessments")
        .order_by("-reported_at", "-id")
    )
    assessments = [a for report in reports for a in report.assessments.all()]
    return {
        "case_id": case.pk,
        "contract_no": case.loan.contract_no,
        "skip_trace": trace,
        "vehicle_risk_reports": reports,
        "last_exposure_assessment": max(
            assessments, key=lambda a: (a.assessed_at, a.pk), default=None
        ),
    }
