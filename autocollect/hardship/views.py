"""Pages of hardship claims: file a claim on a case, upload and verify its documents, decide.

A page shows a form only to a user who may submit it in the present state of the case, claim
or document, asking the predicate the service raises (``permissions.*_refusal``), so that the
page and the service cannot disagree; where only the state refuses, the page shows that reason
in the form's place (``_state_reason``). A refusal (``core.errors.Refused``) is the styled 403
page; wrong input (``ApplicationError``) comes back as a message."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from autocollect.accounts.access import require_permission
from autocollect.accounts.models import User
from autocollect.accounts.roles import Perm
from autocollect.cases.selectors import get_visible_case, visible_cases
from autocollect.core.errors import ApplicationError, refuse
from autocollect.core.money import parse_whole
from autocollect.documents import storage
from autocollect.hardship import permissions, selectors, services
from autocollect.hardship.claim_types import REQUIRED_DOCUMENTS, ClaimType, DocumentType
from autocollect.hardship.models import ClaimDocument, ClaimState, HardshipClaim


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # login_required ran first
    return user


def _claim(user: User, pk: int) -> HardshipClaim:
    claim = (
        HardshipClaim.objects.filter(pk=pk, case__in=visible_cases(user).values("pk"))
        .select_related("case__loan")
        .first()
    )
    if claim is None:
        raise Http404("claim not found")
    return claim


def _state_reason(refusal: str, state_refusal: str) -> str:
    """The reason to show in place of a form: the refusal when it is the state's (the user
    could submit the form in another state), else "" (not theirs to submit: no line)."""
    return refusal if refusal and refusal == state_refusal else ""


@login_required
@require_http_methods(["GET", "POST"])
def case_claims(request: HttpRequest, case_id: int) -> HttpResponse:
    user = _user(request)
    case = get_visible_case(user, case_id)
    error = ""
    if request.method == "POST":
        try:
            claim = services.claim_file(
                case=case,
                actor=user,
                claim_type=request.POST.get("claim_type", ""),
                description=request.POST.get("description", ""),
            )
        except ApplicationError as exc:
            error = exc.message
        else:
            messages.success(request, _("困难申请已登记，请在截止日期前补充材料"))
            return redirect("hardship:detail", pk=claim.pk)
    required = {
        ClaimType(t).label: [DocumentType(d).label for d in docs]
        for t, docs in REQUIRED_DOCUMENTS.items()
    }
    refusal = permissions.claim_file_refusal(user, case)
    return render(
        request,
        "hardship/case.html",
        {
            "case": case,
            "claims": selectors.claims_for_case(case.pk),
            "types": ClaimType.choices,
            "required": required,
            "error": error,
            "may_file": not refusal,
            "file_refused": _state_reason(refusal, permissions.claim_file_state_refusal(case)),
        },
    )


@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    claim = _claim(user, pk)
    # Each document with whether this user may verify it now, or the state's reason why not.
    documents = []
    for doc in claim.documents.select_related("claim__case", "uploaded_by", "verified_by"):
        refusal = permissions.document_verify_refusal(user, doc)
        documents.append(
            (
                doc,
                not refusal,
                _state_reason(refusal, permissions.document_verify_state_refusal(doc)),
            )
        )
    # The decisions this user may take now: a team lead all that the state allows, the filer
    # only to withdraw, anyone else none (and then no form); and the state's reasons for the
    # decisions the user could otherwise take.
    decisions: list[tuple[str, str]] = []
    decide_refused: list[str] = []
    for d in services.DECISIONS:
        refusal = permissions.claim_decide_refusal(user, claim, d)
        if not refusal:
            decisions.append((d.value, str(d.label)))
        elif refusal == permissions.claim_decide_state_refusal(claim, d) and (
            refusal not in decide_refused
        ):
            decide_refused.append(refusal)
    upload_refusal = permissions.document_upload_refusal(user, claim)
    return render(
        request,
        "hardship/detail.html",
        {
            "claim": claim,
            "case": claim.case,
            "documents": documents,
            "missing": [DocumentType(d).label for d in selectors.missing_documents(claim)],
            "doc_types": DocumentType.choices,
            "may_upload": not upload_refusal,
            "upload_refused": _state_reason(
                upload_refusal, permissions.document_upload_state_refusal(claim)
            ),
            "decisions": decisions,
            "decide_refused": decide_refused,
        },
    )


@require_permission(Perm.WORK_CASES)
@require_POST
def upload(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    claim = _claim(user, pk)
    refuse(permissions.document_upload_refusal(user, claim))
    file = request.FILES.get("document")
    if file is None:
        messages.error(request, _("请选择文件"))
        return redirect("hardship:detail", pk=pk)
    try:
        services.document_upload(
            claim=claim, actor=user, doc_type=request.POST.get("doc_type", ""), upload=file
        )
        messages.success(request, _("材料已上传，待核验"))
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect("hardship:detail", pk=pk)


@require_permission(Perm.WORK_CASES, Perm.VIEW_TEAM)
@require_POST
def verify(request: HttpRequest, doc_id: int) -> HttpResponse:
    user = _user(request)
    document = ClaimDocument.objects.select_related("claim").filter(pk=doc_id).first()
    if document is None:
        raise Http404("document not found")
    claim = _claim(user, document.claim_id)
    try:
        services.document_verify(
            document=document,
            actor=user,
            ok=request.POST.get("ok") == "1",
            note=request.POST.get("note", ""),
        )
        messages.success(request, _("核验结果已记录"))
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect("hardship:detail", pk=claim.pk)


@login_required
@require_GET
def document(request: HttpRequest, doc_id: int) -> HttpResponseBase:
    """A proof as stored, to whoever sees the case — above all its verifier, who must see what
    they verify (404 otherwise, as for a missing one); refused with a message when the file no
    longer matches its SHA-256."""
    user = _user(request)
    found = ClaimDocument.objects.filter(
        pk=doc_id, claim__case__in=visible_cases(user).values("pk")
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
            action="hardship.document_read",
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("hardship:detail", pk=found.claim_id)


@login_required
@require_POST
def decide(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    claim = _claim(user, pk)
    decision = request.POST.get("decision", "")
    # Who decides first (403), before the input (the pause days, the note) is read.
    refuse(permissions.claim_decider_refusal(user, claim, decision))
    try:
        pause_days = parse_whole(request.POST.get("pause_days") or "0", low=0, high=3650)
        services.claim_decide(
            claim=claim,
            actor=user,
            decision=decision,
            note=request.POST.get("note", ""),
            pause_days=pause_days,
        )
        messages.success(request, _("决定已记录"))
    except ValueError:
        messages.error(request, _("暂停天数须为整数"))
    except ApplicationError as exc:
        messages.error(request, exc.message)
    if claim.state == ClaimState.ARRANGEMENT:
        return redirect("arrangements:case", case_id=claim.case_id)
    return redirect("hardship:detail", pk=pk)
