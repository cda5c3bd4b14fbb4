"""One refusal idiom (DESIGN.md, style rule 12): the same refusal is 403 on the page — the styled
403 page with the menu — and 403 ``{"detail": …}`` in the API, in the same words, in Chinese by
default and in English for a user who chose English; a case the user may not see is 404 on
both; invalid input is 422 in the API. A refusal a page used to show as a message on a 200 page
is now the 403 page."""

from __future__ import annotations

import html
import re

import pytest
from django.test import Client
from django.urls import reverse

from autocollect.accounts.models import User
from autocollect.accounts.roles import Role
from autocollect.arrangements.models import ArrangementKind, ArrangementState
from autocollect.arrangements.services import arrangement_propose
from tests.accounts.conftest import World, build_world
from tests.api_support import bearer

pytestmark = pytest.mark.django_db

COLLECTOR_REFUSED = {
    "zh-hans": "您的角色“催收专员”无权进行此操作",
    "en": 'Your role "Collector" may not do this',
}


@pytest.fixture
def world(db: None) -> World:
    return build_world()


def signed_in(user: User, language: str) -> Client:
    client = Client()
    client.force_login(user)
    if language != "zh-hans":
        response = client.post(reverse("set_language"), {"language": language, "next": "/"})
        assert response.status_code == 302
    return client


def refusal_on_page(html_text: str) -> str:
    match = re.search(r'<p class="reason"[^>]*data-field="refusal"[^>]*>(.*?)</p>', html_text, re.S)
    assert match is not None, "no refusal on the page"
    return html.unescape(match[1]).strip()


def assert_styled_page(html_text: str, *, status: str) -> None:
    assert f'data-error="{status}"' in html_text
    assert "/static/ui/ui.css" in html_text  # the stylesheet
    assert '<nav class="nav"' in html_text  # the menu
    assert 'data-nav="queue"' in html_text  # a collector's menu holds their queue
    assert "Traceback" not in html_text


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_a_missing_permission_is_the_same_403_on_the_page_and_in_the_api(
    world: World, language: str
) -> None:
    collector = world.users[Role.COLLECTOR]
    client = signed_in(collector, language)

    page = client.get(reverse("legal:list"))
    api = client.get("/api/legal/referrals")

    assert page.status_code == 403
    text = page.content.decode()
    assert_styled_page(text, status="403")
    assert f'<html lang="{language}">' in text
    assert refusal_on_page(text) == COLLECTOR_REFUSED[language]
    assert api.status_code == 403
    assert api.json() == {"detail": COLLECTOR_REFUSED[language]}


def test_a_token_caller_reads_the_refusal_in_the_language_it_asks_for(world: World) -> None:
    headers = bearer(world.users[Role.COLLECTOR])

    chinese = Client().get("/api/legal/referrals", headers=headers)
    english = Client().get("/api/legal/referrals", headers={**headers, "Accept-Language": "en"})

    assert (chinese.status_code, chinese.json()) == (403, {"detail": COLLECTOR_REFUSED["zh-hans"]})
    assert (english.status_code, english.json()) == (403, {"detail": COLLECTOR_REFUSED["en"]})


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_a_case_the_user_may_not_see_is_404_on_the_page_and_in_the_api(
    world: World, language: str
) -> None:
    client = signed_in(world.users[Role.COLLECTOR], language)
    hidden = world.other_case.pk

    page = client.get(reverse("hardcases:case", args=[hidden]))
    api = client.get(f"/api/hardcases/cases/{hidden}")
    own = client.get(f"/api/hardcases/cases/{world.own_case.pk}")

    assert page.status_code == 404
    assert_styled_page(page.content.decode(), status="404")
    assert api.status_code == 404
    assert (
        api.json()["detail"]
        == {"zh-hans": f"案件 {hidden} 不存在", "en": f"No case {hidden}"}[language]
    )
    assert own.status_code == 200  # the same endpoint answers for a case the user sees


@pytest.mark.parametrize(
    ("language", "message"),
    [("zh-hans", "您的角色不能审批还款方案"), ("en", "Your role cannot approve arrangements")],
)
def test_a_refused_approval_is_the_403_page_not_a_message_on_the_arrangement(
    world: World, language: str, message: str
) -> None:
    collector, lead = world.users[Role.COLLECTOR], world.users[Role.TEAM_LEAD]
    plan = arrangement_propose(
        case=world.own_case,
        actor=lead,
        kind=ArrangementKind.INSTALLMENT_PLAN,
        installments=3,
        reason="借款人失业，申请分期",
    )

    response = signed_in(collector, language).post(
        reverse("arrangements:decide", args=[plan.pk]), {"decision": "approve", "note": "同意"}
    )

    assert response.status_code == 403
    text = response.content.decode()
    assert_styled_page(text, status="403")
    assert refusal_on_page(text) == message
    plan.refresh_from_db()
    assert plan.state == ArrangementState.PROPOSED


def test_invalid_input_on_a_page_form_is_not_a_refusal(world: World) -> None:
    """Rejecting without a reason: the approver may reject, the input is wrong — back to the
    arrangement with the message, not the 403 page."""
    lead = world.users[Role.TEAM_LEAD]
    plan = arrangement_propose(
        case=world.own_case,
        actor=world.users[Role.COLLECTOR],
        kind=ArrangementKind.INSTALLMENT_PLAN,
        installments=3,
        reason="借款人失业，申请分期",
    )

    response = signed_in(lead, "zh-hans").post(
        reverse("arrangements:decide", args=[plan.pk]),
        {"decision": "reject", "note": " "},
        follow=True,
    )

    assert response.status_code == 200
    assert "驳回须说明理由" in response.content.decode()
    plan.refresh_from_db()
    assert plan.state == ArrangementState.PROPOSED


@pytest.mark.parametrize(
    ("language", "detail"),
    [
        ("zh-hans", "未知的暂停原因“bored”（可选：dispute, disaster_relief, other）"),
        ("en", 'Unknown pause reason "bored" (one of: dispute, disaster_relief, other)'),
    ],
)
def test_invalid_input_in_the_api_is_422_with_the_field(
    world: World, language: str, detail: str
) -> None:
    client = signed_in(world.users[Role.TEAM_LEAD], language)
    body = {
        "contract_no": world.own_case.loan.contract_no,
        "start_on": "2026-02-01",
        "end_on": "2026-02-10",
        "reason": "bored",
    }

    response = client.post("/api/delinquency/pauses", body, content_type="application/json")

    assert response.status_code == 422
    assert response.json() == {"detail": detail, "field": "reason"}
