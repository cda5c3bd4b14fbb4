"""The collector's pages: my queue, the case page (account 360) with the compliance indicator,
logging an outcome, revealing a masked field, and the team lead's page.

Views are thin: they parse, call one selector or service (``workbench/selectors/``,
``workbench/services.py``, ``cases/reveal.py``) and render. Access: a case the user may not
see answers 404 (``cases.selectors.get_visible_case``); pages need a permission code
(``require_permission``); a refusal (``core.errors.Refused``) is the styled 403 page, except a
refused reveal, shown in the field's place. The time every rule is judged at comes from
``clock.request_now``.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import escape
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django_htmx.middleware import HtmxDetails

from autocollect.accounts.access import has_permission, require_permission
from autocollect.accounts.models import User
from autocollect.cases.models import Alert, CollectionCase
from autocollect.cases.reveal import reveal
from autocollect.cases.selectors import get_visible_case, visible_cases
from autocollect.compliance.content import Finding
from autocollect.compliance.models import ContactHold
from autocollect.core.errors import ApplicationError, Refused
from autocollect.evidence.permissions import may_export_evidence
from autocollect.portfolio import selectors as portfolio_selectors
from autocollect.portfolio.models import ContactPoint
from autocollect.scripts.selectors import scripts_for_case
from autocollect.workbench import services as desk
from autocollect.workbench.clock import request_now, request_today
from autocollect.workbench.display import (
    FLAG_LABELS,
    REPAYMENT_METHOD_LABELS,
    LoanRow,
    PaymentRow,
    ScheduleRow,
    ScheduleTotals,
    Yuan,
    percent,
    vehicle_of,
)
from autocollect.workbench.forms import (
    AlertResolveForm,
    OutcomeForm,
    PauseReleaseForm,
    ReassignForm,
    RevealForm,
)
from autocollect.workbench.selectors.case_page import (
    active_flags,
    active_holds,
    contact_masked,
    contact_views,
    delinquency_of,
    interaction_rows,
    local_text,
    national_id_masked,
    open_follow_up,
    promise_rows,
)
from autocollect.workbench.selectors.queue import agent_queue, queue_filter
from autocollect.workbench.selectors.team import team_agents, team_page

QUEUE_KINDS = ("planned", "follow_up", "promise")


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


# --- my queue -------------------------------------------------------------------------------


@require_permission("work_cases")
@require_GET
def queue(request: HtmxHttpRequest) -> HttpResponse:
    today = request_today(request)
    work = agent_queue(_user(request), today=today)
    filters = {
        "kind": request.GET.get("kind", "") if request.GET.get("kind") in QUEUE_KINDS else "",
        "bucket": request.GET.get("bucket", "").strip(),
        "search": request.GET.get("q", "").strip(),
        "flag": request.GET.get("flag", "").strip(),
    }
    items = queue_filter(work.items, **filters)
    context = {
        "queue": work,
        "items": items,
        # Rows link to ``case_prefix`` + id + "/" (reversed once, not once per row).
        "case_prefix": reverse("workbench:case_detail", args=[1]).removesuffix("1/"),
        "filters": filters,
        "flag_choices": FLAG_LABELS,
        "today": today,
    }
    # The filter form (htmx) replaces only the results.
    template = "workbench/_queue_results.html" if request.htmx else "workbench/queue.html"
    return render(request, template, context)


# --- the case page --------------------------------------------------------------------------


def _contacts_of(case: CollectionCase) -> list[ContactPoint]:
    return list(
        ContactPoint.objects.filter(borrower_id=case.loan.borrower_id).order_by(
            "owner", "kind", "id"
        )
    )


def _contact_choices(contacts: list[ContactPoint]) -> list[tuple[int, str]]:
    return [
        (
            c.pk,
            f"{contact_masked(c)} · {c.get_kind_display()} · {c.get_owner_display()}",
        )
        for c in contacts
    ]


def highlight(text: str, findings: tuple[Finding, ...]) -> SafeString:
    """``text`` escaped, with each finding wrapped in ``<mark>`` (its reason as the title)."""
    parts: list[str] = []
    position = 0
    for finding in sorted(findings, key=lambda f: f.start):
        if finding.start < position:
            continue
        parts.append(escape(text[position : finding.start]))
        parts.append(
            f'<mark class="finding" title="{escape(finding.reason)}">'
            f"{escape(text[finding.start : finding.end])}</mark>"
        )
        position = finding.end
    parts.append(escape(text[position:]))
    return mark_safe("".join(parts))  # noqa: S308 - every piece is escaped above


def _case_context(
    request: HttpRequest, case: CollectionCase, *, form: OutcomeForm | None = None
) -> dict[str, Any]:
    user = _user(request)
    at = request_now(request)
    zone = ZoneInfo(case.loan.timezone)
    today = at.astimezone(zone).date()
    loan = portfolio_selectors.loan_get(contract_no=case.loan.contract_no)
    # The page reads the case's loan, borrower and product many times (the gate, the scripts):
    # the loan just read carries them, so none of them is read again.
    case.loan = loan
    if case.assigned_agent_id == user.pk:
        case.assigned_agent = user
    borrower = loan.borrower
    contacts = _contacts_of(case)
    installments = list(loan.installments.all())
    vehicle = vehicle_of(loan)
    can_log = has_permission(user, "work_cases")
    if form is None and can_log:
        initial: dict[str, Any] = {"right_party": False, "started_at": at}
        if request.GET.get("contact", "").isdigit():
            initial["contact"] = int(request.GET["contact"])
        if request.GET.get("channel"):
            initial["channel"] = request.GET["channel"]
        form = OutcomeForm(initial=initial, contacts=_contact_choices(contacts), now=at)
    can_reassign = has_permission(user, "view_team")
    # Team leads and legal refer cases to legal (docs/legal.md); evidence packages are for
    # legal, compliance and admin (docs/evidence.md).
    can_refer = can_reassign or has_permission(user, "view_legal")
    agents = team_agents(user) if can_reassign else []
    return {
        "case": case,
        "can_refer": can_refer,
        "can_export_evidence": may_export_evidence(user),
        "loan": loan,
        "row": LoanRow.of(loan),
        "borrower": borrower,
        "national_id": national_id_masked(borrower),
        "contacts": contact_views(case, contacts, user=user, at=at),
        "delinquency": delinquency_of(case),
        "annual_rate": percent(loan.annual_rate),
        "repayment_method": REPAYMENT_METHOD_LABELS.get(
            loan.repayment_method, loan.repayment_method
        ),
        "schedule": [
            ScheduleRow.of(i, today=today, tolerance_fen=loan.product.tolerance_fen)
            for i in installments
        ],
        "totals": ScheduleTotals.of(installments),
        "payments": [PaymentRow.of(p) for p in loan.payments.all()],
        "vehicle": vehicle,
        "vehicle_price": Yuan(vehicle.price_fen) if vehicle else None,
        "flags": active_flags(case),
        "holds": active_holds(case),
        "interactions": interaction_rows(case),
        "promises": promise_rows(case),
        "follow_up": open_follow_up(case),
        "scripts": scripts_for_case(
            case, language=get_language() or "zh-hans", agent=user, as_of=today
        ),
        "form": form,
        "can_log": can_log,
        "can_reassign": can_reassign,
        "reassign_form": (
            ReassignForm(
                agents=[(a.pk, a.get_username()) for a in agents],
                initial={"agent": case.assigned_agent_id},
            )
            if can_reassign
            else None
        ),
        "local_now": local_text(at, zone),
        "zone": case.loan.timezone,
        "today": today,
    }


@login_required
@require_GET
def case_detail(request: HttpRequest, case_id: int) -> HttpResponse:
    # Any role that sees the case may read it (visible_cases decides); logging needs
    # work_cases and the page shows the form only then.
    case = get_visible_case(request.user, case_id)
    return render(request, "workbench/case_detail.html", _case_context(request, case))


@require_permission("work_cases")
@require_POST
def case_log(request: HttpRequest, case_id: int) -> HttpResponse:
    case = get_visible_case(request.user, case_id)
    contacts = _contacts_of(case)
    form = OutcomeForm(
        request.POST,
        contacts=_contact_choices(contacts),
        today=request_today(request),
        now=request_now(request),
    )
    context_extra: dict[str, Any] = {}
    if form.is_valid():
        data = form.cleaned_data
        contact = next(c for c in contacts if c.pk == data["contact"])
        try:
            desk.outcome_log(
                case=case,
                agent=_user(request),
                contact=contact,
                channel=data["channel"],
                outcome=data["outcome"],
                code=data["code"],
                right_party=data["right_party"],
                notes=data["notes"],
                promise_amount_fen=form.promise_amount_fen(),
                promise_due_on=data["promise_due_on"],
                next_follow_up_on=data["next_follow_up_on"],
                flags=data["flags"],
                # The gate judges the call when it started, not when it is logged.
                at=form.call_started_at(),
            )
        except desk.NotesRejectedError as exc:
            context_extra["notes_highlight"] = highlight(data["notes"], exc.findings)
            context_extra["notes_findings"] = exc.findings
            form.add_error("notes", exc.message)  # drops notes from cleaned_data
        except desk.ContactBlockedError as exc:
            context_extra["blocked_message"] = exc.message
        except desk.OutcomeError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("联系结果已记录"))
            return redirect(reverse("workbench:case_detail", args=[case.pk]) + "#history")
    context = _case_context(request, case, form=form)
    context.update(context_extra)
    return render(request, "workbench/case_detail.html", context, status=422)


@login_required
@require_POST
def case_reveal(request: HttpRequest, case_id: int) -> HttpResponse:
    """HTMX: replace a masked value with the clear one, or with the refusal. Any user who sees
    the case may ask; ``cases.reveal.reveal`` decides (and audits either answer)."""
    case = get_visible_case(request.user, case_id)
    form = RevealForm(request.POST)
    if not form.is_valid():
        raise Http404("unknown field")
    target = form.cleaned_data["field"]
    borrower = case.loan.borrower
    obj: Any
    if target == "national_id":
        obj, field, masked = borrower, "national_id", national_id_masked(borrower)
    else:
        contact = ContactPoint.objects.filter(
            pk=int(target.split(":", 1)[1]), borrower_id=borrower.pk
        ).first()
        if contact is None:
            raise Http404("contact not found")
        obj, field, masked = contact, "value", contact_masked(contact)
    context: dict[str, Any] = {"case": case, "target": target, "masked": masked}
    try:
        context["value"] = reveal(
            user=_user(request), obj=obj, field=field, reason=form.cleaned_data["reason"]
        )
    except Refused:  # shown in the field's place (htmx), audited as a denied reveal
        context["refused"] = _("无权查看完整信息：您的角色没有查看敏感信息的权限。")
    except ApplicationError:
        context["needs_reason"] = True
    return render(request, "workbench/_reveal.html", context)


def _safe_next(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


@require_permission("view_team")
@require_POST
def case_reassign(request: HttpRequest, case_id: int) -> HttpResponse:
    user = _user(request)
    case = get_visible_case(user, case_id)
    agents = team_agents(user)
    form = ReassignForm(request.POST, agents=[(a.pk, a.get_username()) for a in agents])
    back = _safe_next(request, reverse("workbench:case_detail", args=[case.pk]))
    if not form.is_valid():
        messages.error(request, _("请选择团队中的催收员"))
        return HttpResponseRedirect(back)
    agent = next(a for a in agents if a.pk == form.cleaned_data["agent"])
    try:
        desk.case_reassign(case=case, agent=agent, actor=user, reason=form.cleaned_data["reason"])
    except ApplicationError as exc:  # a refusal (Refused) is the 403 page
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("案件 %(contract)s 已分配给 %(agent)s")
            % {"contract": case.loan.contract_no, "agent": agent.get_username()},
        )
    return HttpResponseRedirect(back)


# --- the team lead's page -------------------------------------------------------------------


@require_permission("view_team")
@require_GET
def team(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    today = request_today(request)
    page = team_page(user, today=today)
    agents = [(a.agent.pk, a.agent.get_username()) for a in page.agents]
    return render(
        request,
        "workbench/team.html",
        {"page": page, "agent_choices": agents, "today": today},
    )


@require_permission("view_team")
@require_POST
def alert_resolve(request: HttpRequest, alert_id: int) -> HttpResponse:
    user = _user(request)
    alert = (
        Alert.objects.filter(pk=alert_id, case__in=visible_cases(user))
        .select_related("case")
        .first()
    )
    if alert is None:
        raise Http404("alert not found")
    form = AlertResolveForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请填写处理说明"))
        return redirect("workbench:team")
    try:
        desk.alert_resolve(
            alert=alert,
            actor=user,
            note=form.cleaned_data["note"],
            pause=form.cleaned_data["pause"],
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("提醒已处理"))
    return redirect("workbench:team")


@require_permission("view_team")
@require_POST
def pause_release(request: HttpRequest, hold_id: int) -> HttpResponse:
    user = _user(request)
    hold = (
        ContactHold.objects.filter(pk=hold_id, case__in=visible_cases(user))
        .select_related("case")
        .first()
    )
    if hold is None:
        raise Http404("hold not found")
    form = PauseReleaseForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("解除暂停需要填写原因"))
        return redirect("workbench:team")
    try:
        desk.pause_release(hold=hold, actor=user, note=form.cleaned_data["note"])
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已解除暂停"))
    return redirect("workbench:team")
