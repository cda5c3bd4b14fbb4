"""Compliance API: the content checker (POST /lint).

Mounted at ``/api/compliance/``. Session authentication, like the other routers. A text with
findings is still a successful check: the answer is 200 with ``ok: false``.
"""

# Ninja resolves annotations at import time: no ``from __future__ import annotations``.
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.security import django_auth

from autocollect.compliance.content import Audience, Lang, lint_text

router = Router(tags=["compliance"], auth=django_auth)

# Long letters are fine; anything bigger is not a message to a person.
MAX_TEXT_CHARS = 20_000


class LintIn(Schema):
    text: str = Field(..., max_length=MAX_TEXT_CHARS)
    audience: Audience = Field(..., description="borrower, or third_party (contacts, family)")
    lang: Lang = Field(..., description="zh or en")


class FindingOut(Schema):
    rule: str
    category: str
    start: int = Field(..., description="offset of the first character in the original text")
    end: int = Field(..., description="offset after the last character (text[start:end])")
    text: str
    reason: str
    source: str


class LintOut(Schema):
    ok: bool
    findings: list[FindingOut]


@router.post("/lint", response=LintOut, summary="话术内容检查 (check a text before it is sent)")
def lint(request: HttpRequest, payload: LintIn) -> Any:
    return lint_text(payload.text, audience=payload.audience, lang=payload.lang).as_dict()
