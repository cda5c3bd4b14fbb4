"""Pages of repayment arrangements: the case's arrangements and the proposal form, one
arrangement with its schedule (approve, reject, withdraw, upload the signed confirmation), and
the approver's list of proposals awaiting them. Thin: parse, call one service, render.

A refusal (``core.errors.Refused``: who the user is, or the arrangement's state) is the styled
403 page; wrong input (``ApplicationError``) goes back to the form or to the page as a message.

A page shows a form only to a user who may submit it in the arrangement's (or case's) present
state, asking the predicate the service raises (``permissions.arrangement_*_refusal``), so that
the page and the service cannot disagree; where only the state refuses, the page shows that
reason in the form's place (``_state_reason``)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from autocollect.accounts.access import require_permission
from autocollect.accounts.models import User
from autocollect.accounts.roles import Perm
from autocollect.arrangements import permissions, selectors, services
from autocollect.arrangements.models import (
    Arrangement,
    ArrangementDocument,
    ArrangementKind,
)
from autocollect.cases.selectors import get_visible_case
from autocollect.core.bounds import INT32_MAX, date_problem
from autocollect.core.errors import ApplicationError
from autocollect.core.money import WholeField, YuanField
from autocollect.documents import storage
from autocollect.engine.arrangements import Components


class ProposeForm(forms.Form):
    """Amounts and counts by core.money's grammar (``1,50`` and ``١٠٠`` refused, the reason
    beside the field); dates in their plausible windows (core.bounds). The service checks the
    ranges the policy sets."""

    kind = forms.ChoiceField(label=gettext_lazy("方案类型"), choices=ArrangementKind.choices)
    installments = WholeField(
        label=gettext_lazy("期数"), min_value=1, max_value=INT32_MAX, initial=3
    )
    deferral_months = WholeField(
        label=gettext_lazy("展期月数"),
        min_value=0,
        max_value=INT32_MAX,
        initial=0,
        required=False,
    )
    first_due_on = forms.DateField(
        label=gettext_lazy("首期还款日"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    counted_from = forms.DateField(
        label=gettext_lazy("计入已还起始日"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    discount_penalty = YuanField(label=gettext_lazy("减免罚息（元）"), required=False)
    discount_interest = YuanField(label=gettext_lazy("减免利息（元）"), required=False)
    discount_principal = YuanField(label=gettext_lazy("减免本金（元）"), required=False)
    reason = forms.CharField(
        label=gettext_lazy("申请理由"), widget=forms.Textarea(attrs={"rows": 3})
    )

    DATE_WINDOWS = {
        "first_due_on": "arrangement.first_due_on",
        "counted_from": "arrangement.counted_from",
    }

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for name, window in self.DATE_WINDOWS.items():
            value = cleaned.get(name)
            problem = date_problem(value, window) if value is not None else ""
            if problem:
                self.add_error(name, problem)
        return cleaned


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # login_required ran first
    return user


def _arrangement(user: User, pk: int) -> Arrangement:
    found = selectors.visible_arrangements(user).select_related("case__loan").filter(pk=pk).first()
    if found is None:
        raise Http404("arrangement not found")
    return found


def _state_reason(refusal: str, state_refusal: str) -> str:
    """The reason to show in place of a form: the refusal when it is the state's (the user
    could submit the form in another state), else "" (not theirs to submit: no line)."""
    return refusal if refusal and refusal == state_refusal else ""


def _fen(value: int | None) -> int:
    """A cleaned ``YuanField`` (fen, or ``None`` when left empty) as fen."""
    return value or 0


@login_required
@require_http_methods(["GET", "POST"])
def case_arrangements(request: HttpRequest, case_id: int) -> HttpResponse:
    user = _user(request)
    case = get_visible_case(user, case_id)
    form = ProposeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        first_due_on: date | None = data["first_due_on"]
        try:
            arrangement = services.arrangement_propose(
                case=case,
                actor=user,
                kind=data["kind"],
                installments=data["installments"],
                deferral_months=data["deferral_months"] or 0,
                first_due_on=first_due_on,
                counted_from=data["counted_from"],
                discount=Components(
                    penalty_fen=_fen(data["discount_penalty"]),
                    interest_fen=_fen(data["discount_interest"]),
                    principal_fen=_fen(data["discount_principal"]),
                ),
                reason=data["reason"],
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("还款方案已提交审批"))
            return redirect("arrangements:detail", pk=arrangement.pk)
    refusal = permissions.arrangement_propose_refusal(user, case)
    return render(
        request,
        "arrangements/case.html",
        {
            "case": case,
            "form": form,
            "arrangements": selectors.arrangements_for_case(case),
            "may_propose": not refusal,
            "propose_refused": _state_reason(
                refusal, permissions.arrangement_propose_state_refusal(case)
            ),
        },
    )


@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    arrangement = _arrangement(user, pk)
    decide = permissions.arrangement_decide_refusal(user, arrangement, approving=False)
    withdraw = permissions.arrangement_withdraw_refusal(user, arrangement)
    confirm = permissions.arrangement_confirm_refusal(user, arrangement)
    context = {
        "a": arrangement,
        "case": arrangement.case,
        "rows": arrangement.installments.order_by("seq"),
        "documents": arrangement.documents.select_related("uploaded_by"),
        # Rejecting: an approver who is not the proposer; approving: within their limits too.
        "can_decide": not decide,
        "within_limits": not decide
        and not permissions.arrangement_decide_refusal(user, arrangement, approving=True),
        "can_withdraw": not withdraw,
        "can_confirm": not confirm,
        "decide_refused": _state_reason(
            decide, permissions.arrangement_decide_state_refusal(arrangement)
        ),
        "withdraw_refused": _state_reason(
            withdraw, permissions.arrangement_withdraw_state_refusal(arrangement)
        ),
        "confirm_refused": _state_reason(
            confirm, permissions.arrangement_confirm_state_refusal(arrangement)
        ),
    }
    return render(request, "arrangements/detail.html", context)


@login_required
@require_POST
def decide(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    arrangement = _arrangement(user, pk)
    note = request.POST.get("note", "")
    try:
        if request.POST.get("decision") == "approve":
            services.arrangement_approve(arrangement=arrangement, actor=user, note=note)
            messages.success(request, _("方案已批准，请上传借款人签字确认"))
        else:
            services.arrangement_reject(arrangement=arrangement, actor=user, note=note)
            messages.success(request, _("方案已驳回"))
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect("arrangements:detail", pk=pk)


@login_required
@require_POST
def withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    arrangement = _arrangement(user, pk)
    try:
        services.arrangement_withdraw(
            arrangement=arrangement, actor=user, note=request.POST.get("note", "")
        )
        messages.success(request, _("方案已撤回"))
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect("arrangements:detail", pk=pk)


@require_permission(Perm.WORK_CASES)
@require_POST
def confirm(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    arrangement = _arrangement(user, pk)
    upload = request.FILES.get("document")
    if upload is None:
        messages.error(request, _("请选择借款人签字确认文件"))
        return redirect("arrangements:detail", pk=pk)
    try:
        services.arrangement_confirm(arrangement=arrangement, actor=user, upload=upload)
        messages.success(request, _("签字确认已上传，方案开始执行"))
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect("arrangements:detail", pk=pk)


@login_required
@require_GET
def document(request: HttpRequest, doc_id: int) -> HttpResponseBase:
    """A signed confirmation as stored, to whoever sees the case (404 otherwise, as for a
    missing one); refused with a message when the file no longer matches its SHA-256."""
    user = _user(request)
    found = ArrangementDocument.objects.filter(
        pk=doc_id, arrangement__in=selectors.visible_arrangements(user)
    ).first()
    if found is None:
        raise Http404("document not found")
    try:
        return storage.document_download(
            found,
            stored_path=found.stored_path,
            sha256=found.sha256,
            name=found.original_name,
            content_type=found.content_type,
            actor=user.get_username(),
            action="arrangement.document_read",
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("arrangements:detail", pk=found.arrangement_id)


@login_required
def awaiting(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    return render(
        request,
        "arrangements/awaiting.html",
        {"arrangements": selectors.arrangements_awaiting(user)},
    )
