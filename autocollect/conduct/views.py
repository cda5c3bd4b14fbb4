"""Pages of the misconduct channel: anyone signed in reports; compliance investigates. What each
user sees is decided by ``selectors`` (docs/misconduct.md, "Who sees what")."""

from __future__ import annotations

import math

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from autocollect.accounts.access import require_permission
from autocollect.accounts.models import User
from autocollect.conduct import selectors, services
from autocollect.conduct.forms import (
    FollowUpForm,
    NoteForm,
    ReporterMessageForm,
    ReportForm,
    TransitionForm,
)
from autocollect.conduct.models import ReportState
from autocollect.conduct.permissions import is_investigator
from autocollect.core import clock
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
                # The code is shown in this answer and nowhere else: not through a redirect
                # (it would sit in the session or a cookie), not in a message, not cached.
                response = render(request, "conduct/filed.html", {"code": filed.followup_code})
                add_never_cache_headers(response)
                return response
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
    investigator = is_investigator(user)
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
        context["message_form"] = ReporterMessageForm()
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


@require_permission("investigate_misconduct")
@require_POST
def message_to_reporter(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    view = selectors.report_for_user(user, pk)
    form = ReporterMessageForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("留言内容不能为空。"))
        return redirect("conduct:detail", pk=pk)
    try:
        services.message_to_reporter_send(view.report, author=user, body=form.cleaned_data["body"])
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("给举报人的留言已发送。"))
    return redirect("conduct:detail", pk=pk)


@login_required
@require_http_methods(["GET", "POST"])
def follow(request: HttpRequest) -> HttpResponse:
    """An anonymous reporter follows their report with its code (POST only). Nothing here is
    audited or logged: a lookup must not link the report to whoever typed its code."""
    user = _user(request)
    form = FollowUpForm(request.POST or None)
    context: dict[str, object] = {"form": form}
    status = 200
    if request.method == "POST" and form.is_valid():
        code = form.cleaned_data["code"]
        text = form.cleaned_data["message"].strip()
        report = None
        try:
            report = services.report_follow(user=user, code=code)
            if report is not None and text:
                services.message_from_reporter_add(user=user, code=code, body=text)
                messages.success(request, _("您的留言已发送给调查人员。"))
        except services.FollowUpThrottledError as exc:
            minutes = max(1, math.ceil((exc.until - clock.now()).total_seconds() / 60))
            context["throttled_minutes"] = minutes
            status = 429
        except ApplicationError as exc:
            messages.error(request, exc.message)  # e.g. a closed report takes no message
        # An empty form whatever was typed: a wrong code is answered exactly as no code.
        context["form"] = FollowUpForm()
        if report is None:
            context["not_found"] = status == 200
        else:
            context["followup"] = selectors.report_followup_view(report)
            # Carried in the page's message form, so that the reporter need not type it again;
            # the page is not cached.
            context["code"] = code
    response = render(request, "conduct/follow.html", context, status=status)
    add_never_cache_headers(response)
    return response
