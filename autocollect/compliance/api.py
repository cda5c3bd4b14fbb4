"""Compliance API: the content checker (POST /lint), the contact gate on a scenario
(POST /check, the same JSON as ``autocollect compliance simulate``) and on a real case
(POST /cases/{case_id}/check, recorded).

Mounted at ``/api/compliance/``. A token or a session (``config/api.py``). Checking a text or a
scenario touches no personal data and is open to every user; checking a real case needs the case
to be visible to the caller and ``work_cases``, ``view_team`` or ``view_legal`` (docs/roles.md).
A text with findings is still a successful check: the answer is 200 with ``ok: false``.
"""

# Ninja resolves annotations at import time: no ``from __future__ import annotations``.
from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from django.http import HttpRequest
from ninja import Body, Field, Router, Schema
from pydantic import AfterValidator, ConfigDict

from autocollect.accounts.api_auth import require_api_permission
from autocollect.accounts.models import User
from autocollect.cases import selectors as case_selectors
from autocollect.compliance.content import lint_text
from autocollect.compliance.content_ruleset import Audience, Lang
from autocollect.compliance.scenario import parse_scenario
from autocollect.compliance.services import contact_check
from autocollect.ui.api_common import ObjectId, in_window

router = Router(tags=["compliance"])

# Long letters are fine; anything bigger is not a message to a person.
MAX_TEXT_CHARS = 20_000


class LintIn(Schema):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"text": "您好，您的贷款已逾期，请尽快还款。", "audience": "borrower", "lang": "zh"}
            ]
        }
    )

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


class ReasonOut(Schema):
    zh: str
    en: str


class ContactDecisionOut(Schema):
    allowed: bool
    rules: list[str]
    reasons: list[ReasonOut]
    next_allowed_at: str | None = Field(None, description="ISO-8601 in the debtor's zone")
    requirements: list[str] = []


class ContactDecisionsOut(Schema):
    decisions: list[ContactDecisionOut]


# The scenario of docs/compliance.md, in JSON.
SCENARIO_EXAMPLE = {
    "policy": "cn",
    "timezone": "Asia/Shanghai",
    "events": [
        {
            "at": "2026-03-02T09:00",
            "type": "contact",
            "channel": "call",
            "party": "borrower",
            "number": "13800000001",
            "outcome": "answered",
        }
    ],
    "checks": [
        {"at": "2026-03-02T10:00", "channel": "call", "party": "borrower", "number": "13800000001"}
    ],
}


@router.post("/check", response=ContactDecisionsOut, summary="联系合规模拟 (evaluate a scenario)")
def check_scenario(
    request: HttpRequest,
    payload: Annotated[dict[str, Any], Body(..., example=SCENARIO_EXAMPLE)],
) -> Any:
    """Body: a scenario, exactly as for ``autocollect compliance simulate`` (docs/compliance.md).
    Touches no database; a malformed scenario is a 422 naming the event or check and field."""
    return parse_scenario(payload, source="request").report()


class CaseCheckIn(Schema):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"channel": "call", "party": "borrower", "number": "13800000001"},
                {
                    "channel": "sms",
                    "party": "borrower",
                    "number": "13800000001",
                    "at": "2026-03-02T10:00:00+08:00",
                },
            ]
        }
    )

    channel: str
    party: str
    number: str
    at: Annotated[datetime, AfterValidator(in_window("compliance.at"))] | None = Field(
        None, description="default: now; within ten years of today"
    )


@router.post(
    "/cases/{case_id}/check", response=ContactDecisionOut, summary="案件联系合规判定 (recorded)"
)
def check_case(request: HttpRequest, case_id: ObjectId, payload: CaseCheckIn) -> Any:
    require_api_permission(request, "work_cases", "view_team", "view_legal")
    case = case_selectors.get_visible_case(request.user, case_id)
    user = request.user if isinstance(request.user, User) else None
    decision = contact_check(
        case=case,
        channel=payload.channel,
        party=payload.party,
        number=payload.number,
        at=payload.at,
        agent=user,
        requested_by=request.user.get_username(),
    )
    return decision.as_dict(ZoneInfo(case.loan.timezone))
