"""Idempotent form submissions: a form sent twice does its work once.

Every form that changes something carries a one-time token (``{% submission_token %}`` from
``{% load ui %}``, a hidden ``submission_token`` field with a fresh random value each time the
form is drawn). ``SubmissionMiddleware`` claims the token for the signed-in user before the view
runs (``ui.SubmissionClaim``, unique per user and token):

- the first request runs the view; when the view answers with a redirect (the house's answer to a
  form that did its work) the claim keeps the page it was sent to; any other answer (the form
  drawn again with its errors, a refusal, an error) releases the claim so that the corrected form
  can be sent with the same token;
- a repeat with the same token — a double click, the browser's "resend", a second tab sending the
  same page — does not run the view: it is sent to the first one's page with a message saying
  so. A repeat arriving while the first is still running waits for it (up to ``WAIT_SECONDS``).
- A claim left unfinished by a process that died is taken over after ``STALE_SECONDS``.

Claims are kept for a day (``KEEP``), then removed as the same user submits again. A request
without a token (the API, a script) is not deduplicated. See docs/workbench.md, "Submitting
twice".
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.translation import gettext as _

from autocollect.core import clock
from autocollect.ui.models import SubmissionClaim

FIELD = "submission_token"
TOKEN_RE = re.compile(r"^[0-9a-f]{32}$")
WAIT_SECONDS = 10.0
POLL_SECONDS = 0.1
STALE_SECONDS = 60
KEEP = timedelta(days=1)


def new_token() -> str:
    return secrets.token_hex(16)


def _token_of(request: HttpRequest) -> str:
    if request.method != "POST" or not request.user.is_authenticated:
        return ""
    if not request.content_type or request.content_type not in (
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    ):
        return ""
    token = request.POST.get(FIELD, "")
    return token if TOKEN_RE.match(token) else ""


def _claim(user_id: int, token: str, path: str) -> SubmissionClaim | None:
    """Claim ``token``; ``None`` when this request holds it, else the existing claim."""
    now = clock.now()
    SubmissionClaim.objects.filter(user_id=user_id, claimed_at__lt=now - KEEP).delete()
    try:
        with transaction.atomic():
            SubmissionClaim.objects.create(user_id=user_id, token=token, path=path, claimed_at=now)
        return None
    except IntegrityError:
        existing = SubmissionClaim.objects.get(user_id=user_id, token=token)
    stale = now - timedelta(seconds=STALE_SECONDS)
    if not existing.done and existing.claimed_at < stale:
        taken = SubmissionClaim.objects.filter(
            pk=existing.pk, done=False, claimed_at=existing.claimed_at
        ).update(claimed_at=now, path=path)
        if taken:
            return None
    return existing


def _wait_for(claim: SubmissionClaim) -> SubmissionClaim | None:
    """The claim once its request has finished; ``None`` if it was released or is still running
    after ``WAIT_SECONDS``."""
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        current = SubmissionClaim.objects.filter(pk=claim.pk).first()
        if current is None or current.done:
            return current
        if time.monotonic() >= deadline:
            return None
        time.sleep(POLL_SECONDS)


def _repeat(request: HttpRequest, claim: SubmissionClaim) -> HttpResponse:
    finished = claim if claim.done else _wait_for(claim)
    if finished is not None and finished.done and finished.path == request.path:
        messages.info(request, _("此表单已经提交过，未重复处理；以下是第一次提交的结果。"))
        return HttpResponseRedirect(finished.location)
    message = (
        _("此表单的令牌属于另一页面，未处理。请刷新页面后重新填写。")
        if finished is not None and finished.path != request.path
        else _("此表单正在处理中或已被放弃，未重复处理。请刷新页面查看结果。")
    )
    return render(request, "409.html", {"message": message}, status=409)


class SubmissionMiddleware:
    """Runs each tokened form submission once per user (see the module docstring).

    The claim is taken in ``process_view``, after the CSRF check and only for views that check
    CSRF: a view exempt from it (a provider's webhook reading the raw body) is never a form of
    ours, and reading its form data here would consume its body."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., HttpResponse],
        view_args: Any,
        view_kwargs: Any,
    ) -> HttpResponse | None:
        if getattr(view_func, "csrf_exempt", False):
            return None
        token = _token_of(request)
        if not token:
            return None
        user_id = int(request.user.pk or 0)
        existing = _claim(user_id, token, request.path)
        if existing is not None:
            return _repeat(request, existing)
        request._submission_claim = (user_id, token)  # type: ignore[attr-defined]
        return None

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # A view's exception reaches here as its error response (Django converts it), so every
        # claim taken is either kept with its result or released.
        response = self.get_response(request)
        claim: tuple[int, str] | None = getattr(request, "_submission_claim", None)
        if claim is None:
            return response
        user_id, token = claim
        redirected = 300 <= response.status_code < 400
        location = response.get("Location", "")[:2000] if redirected else ""
        mine = SubmissionClaim.objects.filter(user_id=user_id, token=token)
        if location:
            mine.update(done=True, location=location)
        else:
            mine.delete()
        return response
