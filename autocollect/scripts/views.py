"""Pages of the script library: everyone signed in reads it; compliance (``manage_scripts``)
writes new versions, activates them through the content checker and retires them."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from autocollect.accounts.access import has_permission, require_permission
from autocollect.core.errors import ApplicationError
from autocollect.scripts import selectors, services, text
from autocollect.scripts.forms import ScriptForm
from autocollect.scripts.models import Language, Script, ScriptStatus

MANAGE = "manage_scripts"


def _actor(request: HttpRequest) -> str:
    return str(request.user.get_username())


def _language(request: HttpRequest) -> str:
    asked = request.GET.get("lang", "")
    if asked in Language.values:
        return asked
    return Language.EN if (get_language() or "").startswith("en") else Language.ZH_HANS


@login_required
@require_GET
def library(request: HttpRequest) -> HttpResponse:
    language = _language(request)
    can_manage = has_permission(request.user, MANAGE)
    return render(
        request,
        "scripts/library.html",
        {
            "groups": selectors.script_library(language=language, include_drafts=can_manage),
            "script_language": language,
            "script_languages": Language.choices,
            "can_manage": can_manage,
        },
    )


@login_required
@require_GET
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    script = get_object_or_404(Script, pk=pk)
    can_manage = has_permission(request.user, MANAGE)
    if script.status != ScriptStatus.ACTIVE and not can_manage:
        raise Http404("script not found")
    context: dict[str, object] = {"script": script, "can_manage": can_manage}
    if can_manage:
        context["versions"] = selectors.script_versions(script)
        try:
            context["preview"] = selectors.script_preview(script)
            context["check"] = services.script_check(script)
        except ApplicationError as exc:
            context["check_error"] = exc.message
    return render(request, "scripts/detail.html", context)


def _form_page(
    request: HttpRequest, form: ScriptForm, *, base: Script | None = None
) -> HttpResponse:
    return render(
        request,
        "scripts/form.html",
        {
            "form": form,
            "base": base,
            "variables": text.VARIABLES,
            "third_party_variables": sorted(text.THIRD_PARTY_VARIABLES),
        },
    )


def _save(request: HttpRequest, form: ScriptForm, *, base: Script | None) -> HttpResponse:
    data = form.cleaned_data
    try:
        script = services.script_create(
            code=base.code if base else data["code"],
            language=base.language if base else data["language"],
            stage=data["stage"],
            audience=data["audience"],
            position=data["position"],
            title=data["title"],
            body=data["body"],
            notes=data["notes"],
            actor=_actor(request),
        )
    except ApplicationError as exc:
        form.add_error(None, exc.message)
        return _form_page(request, form, base=base)
    messages.success(
        request, _("已保存为草稿（第 %(version)s 版）。") % {"version": script.version}
    )
    return redirect("scripts:detail", pk=script.pk)


@require_permission(MANAGE)
@require_http_methods(["GET", "POST"])
def create(request: HttpRequest) -> HttpResponse:
    form = ScriptForm(request.POST or None, initial={"language": _language(request)})
    if request.method == "POST" and form.is_valid():
        return _save(request, form, base=None)
    return _form_page(request, form)


@require_permission(MANAGE)
@require_http_methods(["GET", "POST"])
def new_version(request: HttpRequest, pk: int) -> HttpResponse:
    base = get_object_or_404(Script, pk=pk)
    initial = {
        field: getattr(base, field)
        for field in ("code", "stage", "language", "audience", "position", "title", "body", "notes")
    }
    form = ScriptForm(request.POST or None, initial=initial, fixed_identity=True)
    if request.method == "POST" and form.is_valid():
        return _save(request, form, base=base)
    return _form_page(request, form, base=base)


@require_permission(MANAGE)
@require_POST
def activate(request: HttpRequest, pk: int) -> HttpResponse:
    script = get_object_or_404(Script, pk=pk)
    try:
        services.script_activate(script, actor=_actor(request))
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已启用：内容检查通过。"))
    return redirect("scripts:detail", pk=script.pk)


@require_permission(MANAGE)
@require_POST
def retire(request: HttpRequest, pk: int) -> HttpResponse:
    script = get_object_or_404(Script, pk=pk)
    services.script_retire(script, actor=_actor(request), reason=request.POST.get("reason", ""))
    messages.success(request, _("已停用。"))
    return redirect("scripts:detail", pk=script.pk)
