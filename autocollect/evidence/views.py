"""The evidence page of a case: earlier exports and a button that makes a new package and
downloads it (POST). Permitted: legal, compliance, admin, for the cases they can see."""

from __future__ import annotations

import tempfile
from pathlib import Path

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from autocollect.accounts.access import has_permission, require_permission
from autocollect.accounts.models import User
from autocollect.accounts.roles import Perm
from autocollect.cases.selectors import get_visible_case
from autocollect.core import clock
from autocollect.core.errors import ApplicationError, refuse
from autocollect.evidence.permissions import EXPORT_PERMISSIONS, evidence_export_refusal
from autocollect.evidence.selectors import Pii
from autocollect.evidence.services import case_exports, evidence_export


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # the permission check ran first
    return user


@require_permission(*EXPORT_PERMISSIONS)
@require_GET
def case_evidence(request: HttpRequest, case_id: int) -> HttpResponse:
    user = _user(request)
    case = get_visible_case(user, case_id)
    return render(
        request,
        "evidence/case.html",
        {
            "case": case,
            "loan": case.loan,
            "exports": case_exports(case),
            "may_reveal": has_permission(user, Perm.REVEAL_PII),
        },
    )


@require_POST
def case_evidence_export(request: HttpRequest, case_id: int) -> HttpResponseBase:
    # The checks of ``require_permission``, written out: that decorator types its views as
    # returning HttpResponse, and the download is a streamed FileResponse.
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    refuse(evidence_export_refusal(request.user))
    user = _user(request)
    case = get_visible_case(user, case_id)
    pii = Pii.CLEAR if request.POST.get("pii") == Pii.CLEAR else Pii.MASKED
    reason = request.POST.get("reason", "").strip()
    stamp = timezone.localtime(clock.now()).strftime("%Y%m%d-%H%M%S")
    name = f"evidence-{case.loan.contract_no}-{stamp}.zip"
    # The package is made in a private temporary folder and streamed; the audit event keeps
    # its manifest's SHA-256, so the downloaded copy can be verified later.
    folder = Path(tempfile.mkdtemp(prefix="evidence-"))
    out = folder / name
    try:
        evidence_export(case=case, out_path=out, actor=user, pii=pii, reason=reason)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("evidence:case", case_id=case.pk)
    handle = out.open("rb")
    out.unlink()  # the open handle keeps the data until the response is closed (POSIX)
    folder.rmdir()
    response = FileResponse(
        handle, as_attachment=True, filename=name, content_type="application/zip"
    )
    response["Cache-Control"] = "no-store"
    return response
