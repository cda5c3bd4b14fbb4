"""Pages of the misconduct channel: anyone signed in reports; compliance investigates. What each
user sees is decided by ``selectors`` (docs/misconduct.md, "Who sees what")."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from autocollect.accounts.access import require_permission
from autocollect.accounts.models import User
from autocollect.conduct import selectors, services
from autocollect.conduct.forms import NoteForm, ReportForm, TransitionForm
from autocollect.conduct.models import ReportState
from autocollect.core.errors import ApplicationError


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # login_required ran first
    return user


@login_required
@require_http_methods(["GET", "POST"])
def report(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    form = ReportForm(request.POST or None, reporter=user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            filed = services.report_file(
                reporter=user,
                subject=data["subject"],
                category=data["category"],
                description=data["description"],
                anonymous=data["anonymous"],
                case=data["case_id"],
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            if filed.anonymous:
                messages.success(
                    request, _("匿名举报已提交。系统没有记录举报人，因此您无法查看处理进度。")
                )
            else:
                messages.success(request, _("举报已提交，合规部门会进行调查。"))
            return redirect("conduct:list")
    return render(request, "conduct/report.html", {"form": form})


@login_required
@require_GET
def report_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    state = request.GET.get("state", "")
    if state not in ReportState.values:
        state = ""
    investigator = selectors.is_investigator(user)
    context: dict[str, object] = {
        "investigator": investigator,
        "filed": selectors.reports_filed_by(user),
        "states": ReportState.choices,
        "state": state,
    }
    if investigator:
        context["reports"] = selectors.reports_for_investigator(user, state=state)
    return render(request, "conduct/list.html", context)


@login_required
@require_GET
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    view = selectors.report_for_user(_user(request), pk)
    context: dict[str, object] = {"view": view, "report": view.report}
    if view.access == "investigator":
        allowed = services.allowed_transitions(view.report)
        context["transition_form"] = TransitionForm()
        context["transitions"] = [(s, label) for s, label in ReportState.choices if s in allowed]
        context["note_form"] = NoteForm()
    return render(request, "conduct/detail.html", context)


@require_permission("investigate_misconduct")
@require_POST
def transition(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    view = selectors.report_for_user(user, pk)
    form = TransitionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请选择新状态。"))
        return redirect("conduct:detail", pk=pk)
    try:
        services.report_transition(
            view.report,
            actor=user,
            to_state=form.cleaned_data["to_state"],
            outcome=form.cleaned_data["outcome"],
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("状态已更新。"))
    return redirect("conduct:detail", pk=pk)


@require_permission("investigate_misconduct")
@require_POST
def add_note(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    view = selectors.report_for_user(user, pk)
    form = NoteForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("记录内容不能为空。"))
        return redirect("conduct:detail", pk=pk)
    try:
        services.note_add(view.report, author=user, body=form.cleaned_data["body"])
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("调查记录已添加。"))
    return redirect("conduct:detail", pk=pk)
