"""Pages of the legal team: referrals, one referral with its stage actions, deadlines, and the
referral of a case. Thin: parse, call one service, redirect (docs/legal.md). A refusal
(``core.errors.Refused``) is the styled 403 page; wrong input comes back as a message."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from autocollect.accounts.access import require_permission
from autocollect.accounts.models import User
from autocollect.cases.selectors import get_visible_case, visible_cases
from autocollect.core import clock
from autocollect.core.errors import ApplicationError, refuse
from autocollect.legal import forms, selectors
from autocollect.legal.models import (
    CloseOutcome,
    CostKind,
    LegalDeadline,
    LegalReferral,
    MediationResult,
    ReferralReason,
    Stage,
)
from autocollect.legal.permissions import (
    READERS,
    REFERRERS,
    WORKERS,
    enforcement_apply_refusal,
    litigation_file_refusal,
    referral_act_refusal,
    referral_create_refusal,
    referral_work_refusal,
)
from autocollect.legal.services.costs import cost_record
from autocollect.legal.services.deadlines import DEFAULT_SOON_DAYS, deadline_complete
from autocollect.legal.services.litigation import (
    enforcement_apply,
    hearing_add,
    judgment_record,
    litigation_file,
    recovery_record,
)
from autocollect.legal.services.mediation import (
    jc_accept,
    jc_apply,
    jc_rule,
    mediation_session_record,
    mediation_start,
)
from autocollect.legal.services.referrals import referral_close, referral_create
from autocollect.legal.services.stages import allowed_stages


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _referral(user: User, pk: int) -> LegalReferral:
    referral = (
        LegalReferral.objects.filter(pk=pk, case__in=visible_cases(user))
        .select_related("case__loan__borrower", "referred_by")
        .first()
    )
    if referral is None:
        raise Http404("referral not found")
    return referral


@require_permission(*READERS)
@require_GET
def referral_list(request: HttpRequest) -> HttpResponse:
    stage = request.GET.get("stage", "")
    if stage not in Stage.values:
        stage = ""
    return render(
        request,
        "legal/list.html",
        {
            "referrals": selectors.referral_list(_user(request), stage=stage)[:200],
            "stages": Stage.choices,
            "stage": stage,
        },
    )


@require_permission(*READERS)
@require_GET
def referral_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    referral = _referral(user, pk)
    today = clock.localdate()
    allowed = allowed_stages(referral)
    legal = not referral_work_refusal(user)
    # The actions shown are the ones the state allows, each asking the predicate its service
    # raises (legal.permissions); where the state refuses, its reason is shown in the action's
    # place (to legal, who could otherwise act). Suing is judged as if filed today.
    act_refusal = referral_act_refusal(referral)
    litigation = (
        litigation_file_refusal(referral, filed_on=today) if Stage.LITIGATION in allowed else ""
    )
    enforcement = enforcement_apply_refusal(referral) if Stage.ENFORCEMENT in allowed else ""
    context: dict[str, Any] = {
        "referral": referral,
        "case": referral.case,
        "defendants": referral.defendants.all(),
        "sessions": referral.mediation_sessions.all(),
        "hearings": referral.hearings.all(),
        "costs": referral.costs.order_by("incurred_on", "id"),
        "costs_total": selectors.referral_costs_fen(referral),
        "deadlines": referral.deadlines.order_by("done_at", "due_on", "id"),
        "today": today,
        "allowed": allowed,
        "may_act": legal and not act_refusal,
        "act_refused": act_refusal if legal else "",
        "may_litigate": Stage.LITIGATION in allowed and not litigation,
        "litigation_refused": litigation,
        "may_enforce": Stage.ENFORCEMENT in allowed and not enforcement,
        "enforcement_refused": enforcement,
        "mediation_results": MediationResult.choices,
        "cost_kinds": CostKind.choices,
        "close_outcomes": CloseOutcome.choices,
    }
    return render(request, "legal/detail.html", context)


# The referral page's actions (POST ``op=``): each handler parses its fields (the names
# ``templatetags/legal_form.py`` renders for the same ``op``) and calls one service.
Action = Callable[[LegalReferral, User, QueryDict], object]


def _mediation_start(referral: LegalReferral, user: User, data: QueryDict) -> object:
    return mediation_start(
        referral=referral,
        actor=user,
        mediator=forms.text(data, "mediator", required=True),
        organisation=forms.text(data, "organisation"),
    )


def _mediation_session(referral: LegalReferral, user: User, data: QueryDict) -> object:
    return mediation_session_record(
        referral=referral,
        actor=user,
        held_on=forms.day(data, "held_on"),
        result=forms.text(data, "result", required=True),
        notes=forms.text(data, "notes"),
        agreement_fen=forms.fen(data, "agreement_yuan", required=False),
    )


def _jc_apply(referral: LegalReferral, user: User, data: QueryDict) -> object:
    return jc_apply(
        referral=referral,
        actor=user,
        court=forms.text(data, "court", required=True),
        applied_on=forms.day(data, "applied_on"),
    )


def _jc_accept(referral: LegalReferral, user: User, data: QueryDict) -> object:
    return jc_accept(referral=referral, actor=user, accepted_on=forms.day(data, "accepted_on"))


def _jc_rule(referral: LegalReferral, user: User, data: QueryDict) -> object:
    return jc_rule(
        referral=referral,
        actor=user,
        ruling_on=forms.day(data, "ruling_on"),
        confirmed=forms.text(data, "confirmed") == "yes",
    )


def _litigation_file(referral: LegalReferral, user: User, data: QueryDict) -> object:
    return litigation_file(
        referral=referral,
        actor=user,
        court=forms.text(data, "court", required=True),
        case_no=forms.text(data, "case_no", required=True),
        filed_on=forms.day(data, "filed_on"),
    )


def _hearing_add(referral: LegalReferral, user: User, data: QueryDict) -> object:
    return hearing_add(
        referral=referral,
        actor=user,
        scheduled_on=forms.day(data, "scheduled_on"),
        court=forms.text(data, "court"),
        notes=forms.text(data, "notes"),
    )


def _judgment(referral: LegalReferral, user: User, data: QueryDict) -> object:
    return judgment_record(
        referral=referral,
        actor=user,
        judgment_on=forms.day(data, "judgment_on"),
        effective_on=forms.day(data, "effective_on"),
        amount_fen=forms.fen(data, "amount_yuan") or 0,
        summary=forms.text(data, "summary"),
    )


def _enforcement_apply(referral: LegalReferral, user: User, data: QueryDict) -> object:
    return enforcement_apply(
        referral=referral,
        actor=user,
        applied_on=forms.day(data, "applied_on"),
        case_no=forms.text(data, "case_no"),
    )


def _recovery(referral: LegalReferral, user: User, data: QueryDict) -> object:
    return recovery_record(
        referral=referral, actor=user, amount_fen=forms.fen(data, "amount_yuan") or 0
    )


def _cost(referral: LegalReferral, user: User, data: QueryDict) -> object:
    return cost_record(
        referral=referral,
        actor=user,
        kind=forms.text(data, "kind", required=True),
        amount_fen=forms.fen(data, "amount_yuan") or 0,
        incurred_on=forms.day(data, "incurred_on"),
        note=forms.text(data, "note"),
    )


def _close(referral: LegalReferral, user: User, data: QueryDict) -> object:
    return referral_close(
        referral=referral,
        actor=user,
        outcome=forms.text(data, "outcome", required=True),
        note=forms.text(data, "note"),
    )


def _deadline_done(referral: LegalReferral, user: User, data: QueryDict) -> object:
    deadline = LegalDeadline.objects.filter(
        pk=forms.whole(data, "deadline") or 0, referral=referral
    ).first()
    if deadline is None:
        raise ApplicationError(_("期限不存在"), extra={"field": "deadline"})
    return deadline_complete(deadline=deadline, actor=user, note=forms.text(data, "note"))


ACTIONS: dict[str, Action] = {
    "mediation_start": _mediation_start,
    "mediation_session": _mediation_session,
    "jc_apply": _jc_apply,
    "jc_accept": _jc_accept,
    "jc_rule": _jc_rule,
    "litigation_file": _litigation_file,
    "hearing_add": _hearing_add,
    "judgment": _judgment,
    "enforcement_apply": _enforcement_apply,
    "recovery": _recovery,
    "cost": _cost,
    "close": _close,
    "deadline_done": _deadline_done,
}


def _act(op: str, referral: LegalReferral, user: User, data: QueryDict) -> None:
    """One stage action: its handler in ``ACTIONS``."""
    action = ACTIONS.get(op)
    if action is None:
        raise ApplicationError(_("未知的操作：%(op)s") % {"op": op})
    action(referral, user, data)


@require_permission(*WORKERS)
@require_POST
def referral_act(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    referral = _referral(user, pk)
    # A closed referral takes no action, not even one whose service would accept it (a cost,
    # a deadline): the page offers none, and a post is refused (403).
    refuse(referral_act_refusal(referral))
    try:
        _act(str(request.POST.get("op", "")), referral, user, request.POST)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已保存。"))
    return redirect("legal:detail", pk=pk)


@require_permission(*READERS)
@require_GET
def deadlines(request: HttpRequest) -> HttpResponse:
    """Read-only: the alerts themselves are raised by the daily check."""
    today = clock.localdate()
    overdue, soon = selectors.deadlines_due_soon(as_of=today, days=DEFAULT_SOON_DAYS)
    visible = set(visible_cases(_user(request)).values_list("pk", flat=True))
    return render(
        request,
        "legal/deadlines.html",
        {
            "today": today,
            "overdue": [d for d in overdue if d.referral.case_id in visible],
            "soon": [d for d in soon if d.referral.case_id in visible],
        },
    )


@require_permission(*REFERRERS)
def refer(request: HttpRequest, case_id: int) -> HttpResponse:
    """Refer a case (team lead or legal): GET shows the form, POST refers."""
    user = _user(request)
    case = get_visible_case(user, case_id)
    existing = selectors.open_referral(case.pk)
    if request.method == "POST":
        try:
            referral = referral_create(
                case=case,
                actor=user,
                reason=forms.text(request.POST, "reason", required=True),
                note=forms.text(request.POST, "note"),
                default_judgment=request.POST.get("default_judgment") == "on",
            )
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("案件已转法务，催收联系已暂停。"))
            return redirect("legal:detail", pk=referral.pk)
    return render(
        request,
        "legal/refer.html",
        {
            "case": case,
            "existing": existing,
            "refused": referral_create_refusal(case),
            "reasons": ReferralReason.choices,
        },
    )
