"""Pages of the hard cases: a case's skip traces and vehicle risk reports with their actions,
the list of traces, and the register of investigation agencies with their signed
authorisation letters (docs/hard-cases.md). Thin: parse, call one service, redirect.

Compliance (合规质检) reads any case (docs/roles.md), so it reads these pages too, but acts on
none of them: reading needs one of ``VIEWERS``, acting one of ``ACTORS``, and the case page
shows a form only to a user who may submit it. Who may act is the rule of ``permissions``
(``ACTORS``, ``may_act``, ``may_assess``, ``may_refer``), which the services check again
themselves, so the page and the services cannot drift apart."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    QueryDict,
)
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from autocollect.accounts.access import require_permission
from autocollect.accounts.models import User
from autocollect.cases.models import CollectionCase
from autocollect.cases.selectors import get_visible_case, visible_cases
from autocollect.core import clock
from autocollect.core.errors import ApplicationError, refuse
from autocollect.documents import conf as documents_conf
from autocollect.documents.storage import document_download
from autocollect.hardcases import selectors
from autocollect.hardcases.models import (
    BrandClass,
    GpsStatus,
    InvestigationAgency,
    SkipTask,
    SkipTrace,
    TaskKind,
    TaskOutcome,
    TraceStatus,
    TraceTrigger,
    VehicleRiskKind,
    VehicleRiskReport,
)
from autocollect.hardcases.permissions import (
    ACTORS,
    AGENCY_REGISTRARS,
    AGENCY_VIEWERS,
    VIEWERS,
    agencies_refusal,
    agency_register_refusal,
    may_act,
    may_assess,
    may_refer,
    may_see_agencies,
)
from autocollect.hardcases.services import agencies, exposure, skip_tasks, skip_trace, vehicle_risk
from autocollect.legal import forms
from autocollect.portfolio.models import ContactKind, MortgageStatus


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


@require_permission(*VIEWERS)
@require_GET
def case_panel(request: HttpRequest, case_id: int) -> HttpResponse:
    user = _user(request)
    case = get_visible_case(user, case_id)
    traces = SkipTrace.objects.filter(case=case).prefetch_related("tasks").order_by("-opened_at")
    reports = (
        VehicleRiskReport.objects.filter(case=case)
        .select_related("vehicle", "hold")
        .prefetch_related("assessments")
        .order_by("-reported_at")
    )
    acts = may_act(user)
    context: dict[str, Any] = {
        "case": case,
        "traces": traces,
        "reports": reports,
        "active_trace": next((t for t in traces if t.status in skip_trace.ACTIVE_TRACE), None),
        "workable": selectors.WORKABLE_TRACE,
        "agencies": InvestigationAgency.objects.filter(revoked_at__isnull=True).order_by("name"),
        "task_kinds": TaskKind.choices,
        "task_outcomes": [c for c in TaskOutcome.choices if c[0] != TaskOutcome.PENDING],
        "contact_kinds": ContactKind.choices,
        "risk_kinds": VehicleRiskKind.choices,
        "gps_statuses": GpsStatus.choices,
        "brand_classes": BrandClass.choices,
        "mortgage_statuses": MortgageStatus.choices,
        "may_act": acts,
        "may_refer": may_refer(user),
        "may_assess": may_assess(user),
    }
    return render(request, "hardcases/case.html", context)


def _trace(case: CollectionCase, data: QueryDict) -> SkipTrace:
    trace = SkipTrace.objects.filter(case=case, pk=forms.whole(data, "trace") or 0).first()
    if trace is None:
        raise ApplicationError(_("失联修复记录不存在"), extra={"field": "trace"})
    return trace


def _report(case: CollectionCase, data: QueryDict) -> VehicleRiskReport:
    report = VehicleRiskReport.objects.filter(
        case=case, pk=forms.whole(data, "report") or 0
    ).first()
    if report is None:
        raise ApplicationError(_("车辆风险报告不存在"), extra={"field": "report"})
    return report


def _task_record(case: CollectionCase, user: User, data: QueryDict) -> None:
    task = SkipTask.objects.filter(trace__case=case, pk=forms.whole(data, "task") or 0).first()
    if task is None:
        raise ApplicationError(_("任务不存在"), extra={"field": "task"})
    outcome = forms.text(data, "outcome", required=True)
    found = None
    if outcome == TaskOutcome.FOUND:
        found = skip_tasks.FoundContact(
            kind=forms.text(data, "contact_kind", required=True),
            value=forms.text(data, "contact_value", required=True),
        )
    skip_tasks.skip_task_record(
        task=task, actor=user, outcome=outcome, note=forms.text(data, "note"), found=found
    )


def _task_add(case: CollectionCase, user: User, data: QueryDict) -> None:
    agency_id = forms.whole(data, "agency")
    agency = InvestigationAgency.objects.filter(pk=agency_id).first() if agency_id else None
    skip_tasks.skip_task_add(
        trace=_trace(case, data),
        actor=user,
        kind=forms.text(data, "kind", required=True),
        agency=agency,
        note=forms.text(data, "note"),
    )


def _act(op: str, case: CollectionCase, user: User, data: QueryDict) -> None:
    actions: dict[str, Callable[[], object]] = {
        "trace_open": lambda: skip_trace.skip_trace_open(
            case=case, actor=user, trigger=TraceTrigger.FLAG, note=forms.text(data, "note")
        ),
        "task_add": lambda: _task_add(case, user, data),
        "task_record": lambda: _task_record(case, user, data),
        "trace_close": lambda: skip_trace.skip_trace_close(
            trace=_trace(case, data),
            actor=user,
            note=forms.text(data, "note", required=True),
            reached=data.get("reached") == "on",
        ),
        "trace_reopen": lambda: skip_trace.skip_trace_reopen(
            trace=_trace(case, data), actor=user, note=forms.text(data, "note", required=True)
        ),
        "trace_refer": lambda: skip_trace.skip_trace_refer(
            trace=_trace(case, data), actor=user, note=forms.text(data, "note")
        ),
        "vehicle_report": lambda: vehicle_risk.vehicle_risk_report(
            case=case,
            actor=user,
            kind=forms.text(data, "kind", required=True),
            source=forms.text(data, "source", required=True),
            third_party_name=forms.text(data, "third_party_name"),
            details=forms.text(data, "details"),
        ),
        "assess": lambda: exposure.exposure_assess(
            report=_report(case, data),
            actor=user,
            gps_status=forms.text(data, "gps_status", required=True),
            mileage_km=forms.whole(data, "mileage_km"),
            brand_class=forms.text(data, "brand_class") or None,
            mortgage_status=forms.text(data, "mortgage_status") or None,
            extra_costs_fen=forms.fen(data, "extra_costs_yuan", required=False) or 0,
            note=forms.text(data, "note"),
        ),
        "vehicle_refer": lambda: vehicle_risk.vehicle_risk_refer(
            report=_report(case, data), actor=user, note=forms.text(data, "note")
        ),
    }
    if op not in actions:
        raise ApplicationError(_("未知的操作：%(op)s") % {"op": op})
    actions[op]()


@require_permission(*ACTORS)
@require_POST
def case_act(request: HttpRequest, case_id: int) -> HttpResponse:
    user = _user(request)
    case = get_visible_case(user, case_id)
    op = str(request.POST.get("op", ""))
    try:
        _act(op, case, user, request.POST)
    except ApplicationError as exc:  # a refusal (Refused) is the 403 page
        messages.error(request, exc.message)
    else:
        if op == "vehicle_report":
            messages.success(request, _("已记录车辆风险，该案件所有催收联系已立即暂停。"))
        else:
            messages.success(request, _("已保存。"))
    return redirect("hardcases:case", case_id=case.pk)


@require_permission(*VIEWERS)
@require_GET
def trace_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    if status not in TraceStatus.values:
        status = ""
    return render(
        request,
        "hardcases/traces.html",
        {
            "traces": selectors.traces_for(_user(request), status=status)[:200],
            "statuses": TraceStatus.choices,
            "status": status,
            "may_see_agencies": may_see_agencies(request.user),
        },
    )


@require_permission(*AGENCY_VIEWERS)
@require_GET
def agency_list(request: HttpRequest) -> HttpResponse:
    """The investigation agencies with their authorisation periods and signed letters; the
    registration form for those who may register (``permissions.AGENCY_REGISTRARS``)."""
    user = _user(request)
    today = clock.localdate()
    rows = list(InvestigationAgency.objects.order_by("name", "pk"))
    revoked = [a.pk for a in rows if a.revoked_at is not None]
    revocations = selectors.agency_revocations(revoked)
    entries = [
        {
            "agency": agency,
            "authorised_today": agencies.agency_authorised(agency, today),
            "letter_missing": agencies.agency_letter_missing(agency),
            "revocation": revocations.get(agency.pk),
        }
        for agency in rows
    ]
    # The work a revoked agency still holds, to give to another agency: the tasks on cases
    # the user sees, with a link to the case; the others only counted (the register has no
    # case, the cases keep their own visibility).
    open_tasks = list(selectors.agency_open_tasks(revoked))
    seen = set(
        visible_cases(user)
        .filter(pk__in={t.trace.case_id for t in open_tasks})
        .values_list("pk", flat=True)
    )
    return render(
        request,
        "hardcases/agencies.html",
        {
            "agencies": entries,
            "to_reassign": [t for t in open_tasks if t.trace.case_id in seen],
            "to_reassign_elsewhere": sum(1 for t in open_tasks if t.trace.case_id not in seen),
            "may_register": not agency_register_refusal(user),
            "max_mb": documents_conf.max_bytes() // (1024 * 1024),
        },
    )


@require_permission(*AGENCY_REGISTRARS)
@require_POST
def agency_register(request: HttpRequest) -> HttpResponse:
    data = request.POST
    try:
        agency = agencies.agency_register(
            actor=_user(request),
            name=forms.text(data, "name", required=True),
            licence_no=forms.text(data, "licence_no", required=True),
            authorisation_ref=forms.text(data, "authorisation_ref", required=True),
            authorised_from=forms.day(data, "authorised_from"),
            authorised_until=forms.day(data, "authorised_until"),
            letter=request.FILES.get("letter"),
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已登记 %(agency)s 及其委托授权书。") % {"agency": agency.name})
    return redirect("hardcases:agencies")


@require_permission(*AGENCY_REGISTRARS)
@require_POST
def agency_revoke(request: HttpRequest, agency_id: int) -> HttpResponse:
    agency = InvestigationAgency.objects.filter(pk=agency_id).first()
    if agency is None:
        raise Http404
    try:
        agencies.agency_revoke(
            agency=agency, actor=_user(request), reason=forms.text(request.POST, "reason")
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("已撤销 %(agency)s 的委托授权；其未完成的任务需改派。") % {"agency": agency.name},
        )
    return redirect("hardcases:agencies")


@require_GET
def agency_letter(request: HttpRequest, agency_id: int) -> HttpResponseBase:
    """The signed letter, as stored, as an attachment; the read is audited."""
    # The checks of ``require_permission``, written out: that decorator types its views as
    # returning HttpResponse, and the download is a streamed FileResponse.
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    refuse(agencies_refusal(request.user))
    agency = InvestigationAgency.objects.filter(pk=agency_id).first()
    if agency is None or not agency.has_letter:
        raise Http404
    try:
        # The shared download of stored documents (documents.storage): the SHA-256 check,
        # the audit event, the attachment headers.
        return document_download(
            agency,
            stored_path=agency.stored_path,
            sha256=agency.sha256,
            name=agency.letter_name,
            content_type=agency.letter_content_type,
            actor=_user(request).get_username(),
            action="skiptrace.agency_letter_read",
            refusal=_("授权书文件缺失或已被改动，与登记时的 SHA-256 不符"),
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("hardcases:agencies")
