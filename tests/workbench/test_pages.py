"""The workbench pages through Django's test client: queue, case page, compliance indicator,
logging, reveal, team page, access."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from autocollect.cases.models import (
    Alert,
    CaseOutcome,
    FlagKind,
    FollowUp,
    Interaction,
    OutcomeCode,
    Promise,
)
from autocollect.compliance.models import ContactHold
from autocollect.workbench.clock import OVERRIDE_COOKIE
from autocollect.workbench.services import outcome_log
from tests.factories import make_contact, make_user
from tests.workbench.conftest import World, make_case, make_planned, shanghai

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def clock_override(settings: Any) -> None:
    settings.AUTOCOLLECT_ALLOW_CLOCK_OVERRIDE = True


def login(client: Client, user: Any, *, at: datetime | None = None) -> Client:
    client.force_login(user)
    if at is not None:
        client.cookies[OVERRIDE_COOKIE] = at.isoformat()
    return client


def html(client: Client, url: str, **params: Any) -> str:
    response = client.get(url, params)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def rows(page: str) -> list[str]:
    return re.findall(r'<tr data-href="/cases/(\d+)/"', page)


def count(page: str, name: str) -> str:
    match = re.search(rf'data-count="{name}"[^>]*>([^<]*)<', page)
    assert match, name
    return match.group(1).strip()


# --- queue ----------------------------------------------------------------------------------


def test_the_queue_lists_planned_work_follow_ups_and_promises_due_by_priority(
    client: Client, world: World
) -> None:
    today = timezone.localdate()
    make_planned(world.case, world.collector, priority=60)
    follow = make_case(world.collector, name="赵敏")
    FollowUp.objects.create(case=follow, due_on=today, agent=world.collector, created_by="zhang")
    promised = make_case(world.collector, name="孙丽")
    Promise.objects.create(
        case=promised, loan=promised.loan, promised_on=today, due_on=today, amount_fen=88_800
    )
    # Not this collector's work: someone else's plan item, a follow-up not yet due, and the
    # plan of another day.
    make_planned(make_case(world.colleague), world.colleague, priority=99)
    later = make_case(world.collector, name="周杰")
    FollowUp.objects.create(
        case=later, due_on=today + timedelta(days=2), agent=world.collector, created_by="zhang"
    )
    make_planned(later, world.collector, as_of=today - timedelta(days=1))

    page = html(login(client, world.collector), "/queue/")

    assert rows(page) == [str(promised.pk), str(follow.pk), str(world.case.pk)]
    assert count(page, "total") == "3"
    assert count(page, "planned") == "1"
    assert count(page, "follow_ups") == "1"
    assert count(page, "promises") == "1"
    assert "¥888.00" in page
    assert "李强" in page


def test_the_queue_filters_by_kind_and_search_returning_only_the_results_to_htmx(
    client: Client, world: World
) -> None:
    today = timezone.localdate()
    make_planned(world.case, world.collector)
    follow = make_case(world.collector, name="赵敏")
    FollowUp.objects.create(case=follow, due_on=today, agent=world.collector, created_by="zhang")
    login(client, world.collector)

    partial = client.get("/queue/", {"kind": "follow_up"}, headers={"HX-Request": "true"})
    body = partial.content.decode()
    assert 'id="queue-results"' in body
    assert "<html" not in body
    assert rows(body) == [str(follow.pk)]
    assert rows(html(client, "/queue/", q="李强")) == [str(world.case.pk)]


def test_the_queue_shows_holds_and_flags(client: Client, world: World) -> None:
    make_planned(world.case, world.collector)
    outcome_log(
        case=world.case, agent=world.collector, contact=world.mobile, channel="call",
        outcome="answered", code=OutcomeCode.OTHER, right_party=True,
        flags=[FlagKind.AGITATED], at=world.morning,
    )  # fmt: skip
    page = html(login(client, world.collector), "/queue/")
    assert count(page, "on_hold") == "1"
    assert "借款人情绪激动" in page


def test_only_users_who_work_cases_have_a_queue(client: Client, world: World) -> None:
    assert client.get("/queue/").status_code == 302
    login(client, make_user("risk1", "risk"))
    assert client.get("/queue/").status_code == 403


# --- case page ------------------------------------------------------------------------------


def test_the_case_page_shows_the_account_with_contact_points_masked(
    client: Client, world: World
) -> None:
    page = html(login(client, world.collector, at=world.morning), f"/cases/{world.case.pk}/")

    assert "138****5678" in page
    assert "+8613812345678" not in page
    assert "13812345678" not in page
    assert world.case.loan.borrower.national_id not in page
    assert world.case.loan.contract_no in page
    assert 'id="schedule"' in page
    assert world.case.loan.vehicle.vin in page
    assert "李梅" in page


def test_each_contact_action_shows_the_gate_answer_and_a_blocked_one_is_disabled(
    client: Client, world: World
) -> None:
    login(client, world.collector, at=shanghai(world.morning, 22, 30))
    page = html(client, f"/cases/{world.case.pk}/")
    call = _action(page, world.mobile.pk, "call")
    assert 'data-allowed="false"' in call
    assert "disabled" in call
    assert "不可联系" in call
    assert "cn.window" in call
    assert "08:00" in call  # when it opens, on the debtor's clock

    login(client, world.collector, at=world.morning)
    call = _action(html(client, f"/cases/{world.case.pk}/"), world.mobile.pk, "call")
    assert 'data-allowed="true"' in call
    assert "可联系" in call
    assert "disabled" not in call


def test_third_party_contact_is_blocked_while_the_borrower_is_reachable(
    client: Client, world: World
) -> None:
    page = html(login(client, world.collector, at=world.morning), f"/cases/{world.case.pk}/")
    call = _action(page, world.emergency.pk, "call")
    assert "disabled" in call
    assert "cn.third_party.unreachable_only" in call


def test_the_clock_override_is_ignored_unless_the_setting_allows_it(
    client: Client, world: World, settings: Any
) -> None:
    settings.AUTOCOLLECT_ALLOW_CLOCK_OVERRIDE = False
    zone = world.morning.tzinfo
    before = timezone.now().astimezone(zone)
    override = before + timedelta(hours=12)  # a wall-clock hour that is surely not now
    page = html(login(client, world.collector, at=override), f"/cases/{world.case.pk}/")
    after = timezone.now().astimezone(zone)
    shown = re.search(r'id="debtor-clock">[^<]*?(\d{4}-\d{2}-\d{2} \d{2}):', page)
    assert shown, "the case page shows the debtor's clock"
    # The real time (the page may be drawn across an hour's turn), not the override.
    assert shown.group(1) in {t.strftime("%Y-%m-%d %H") for t in (before, after)}
    assert shown.group(1) != override.strftime("%Y-%m-%d %H")


def _action(page: str, contact_id: int, channel: str) -> str:
    row = re.search(rf'<tr data-contact="{contact_id}">(.*?)</tr>', page, re.S)
    assert row, contact_id
    action = re.search(
        rf'<div class="action [^"]*" data-action="{channel}"(.*?)</div>', row.group(1), re.S
    )
    assert action, channel
    return action.group(0)


def test_a_case_the_user_may_not_see_is_not_found(client: Client, world: World) -> None:
    login(client, world.outsider)
    assert client.get(f"/cases/{world.case.pk}/").status_code == 404
    assert client.get("/cases/999999/").status_code == 404


# --- logging --------------------------------------------------------------------------------


def _form(world: World, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "contact": world.mobile.pk,
        "channel": "call",
        "outcome": "answered",
        "right_party": "on",
        "code": OutcomeCode.PROMISE_TO_PAY,
        "promise_amount": "1500.50",
        "promise_due_on": (world.morning.date() + timedelta(days=2)).isoformat(),
        "next_follow_up_on": (world.morning.date() + timedelta(days=3)).isoformat(),
        "notes": "同意分两次还款",
    }
    data.update(overrides)
    return data


def test_logging_a_promise_from_the_case_page(client: Client, world: World) -> None:
    login(client, world.collector, at=world.morning)
    response = client.post(f"/cases/{world.case.pk}/log/", _form(world))

    assert response.status_code == 302
    assert response["Location"] == f"/cases/{world.case.pk}/#history"
    promise = Promise.objects.get()
    assert promise.amount_fen == 150_050
    page = html(client, f"/cases/{world.case.pk}/")
    assert "联系结果已记录" in page
    assert "¥1,500.50" in page
    assert "同意分两次还款" in page


def test_logging_a_contact_the_gate_blocks_shows_the_reason_and_logs_nothing(
    client: Client, world: World
) -> None:
    login(client, world.collector, at=shanghai(world.morning, 22, 30))
    response = client.post(f"/cases/{world.case.pk}/log/", _form(world))

    assert response.status_code == 422
    page = response.content.decode()
    assert 'id="blocked-message"' in page
    assert "cn.window" in page
    assert not Interaction.objects.exists()
    assert not Promise.objects.exists()


def test_notes_with_prohibited_wording_are_refused_with_the_phrase_highlighted(
    client: Client, world: World
) -> None:
    login(client, world.collector, at=world.morning)
    response = client.post(
        f"/cases/{world.case.pk}/log/", _form(world, notes="<b>再不还</b>就让你坐牢")
    )

    assert response.status_code == 422
    page = response.content.decode()
    assert '<mark class="finding"' in page
    assert re.search(r'<mark class="finding"[^>]*>坐牢</mark>', page)
    assert "&lt;b&gt;再不还&lt;/b&gt;" in page  # the notes are escaped, not rendered
    assert not CaseOutcome.objects.exists()


def test_the_agitated_flag_from_the_page_pauses_contact_and_alerts_the_lead(
    client: Client, world: World
) -> None:
    login(client, world.collector, at=world.morning)
    client.post(
        f"/cases/{world.case.pk}/log/",
        _form(
            world,
            code=OutcomeCode.OTHER,
            promise_amount="",
            promise_due_on="",
            flags=["agitated"],
            notes="借款人情绪激动",
        ),
    )
    assert ContactHold.objects.filter(released_at__isnull=True).count() == 1

    login(client, world.lead)
    team = html(client, "/team/")
    assert f'data-alert="{Alert.objects.get().pk}"' in team
    assert "情绪激动" in team


def test_a_user_without_work_cases_sees_the_case_but_cannot_log(
    client: Client, world: World
) -> None:
    risk = make_user("risk1", "risk")
    login(client, risk, at=world.morning)
    page = html(client, f"/cases/{world.case.pk}/")
    assert "您的角色不能记录联系结果" in page
    assert client.post(f"/cases/{world.case.pk}/log/", _form(world)).status_code == 403


# --- team lead ------------------------------------------------------------------------------


def test_the_team_lead_reassigns_from_the_team_page(client: Client, world: World) -> None:
    make_planned(world.case, world.collector)
    login(client, world.lead)
    page = html(client, "/team/")
    assert f'data-case="{world.case.pk}"' in page
    assert 'data-agent="zhang"' in page

    response = client.post(
        f"/cases/{world.case.pk}/reassign/",
        {"agent": world.colleague.pk, "reason": "平衡工作量", "next": "/team/"},
    )

    assert response.status_code == 302
    assert response["Location"] == "/team/"
    world.case.refresh_from_db()
    assert world.case.assigned_agent == world.colleague


def test_collectors_have_no_team_page_and_cannot_reassign(client: Client, world: World) -> None:
    login(client, world.collector)
    assert client.get("/team/").status_code == 403
    response = client.post(f"/cases/{world.case.pk}/reassign/", {"agent": world.colleague.pk})
    assert response.status_code == 403
    world.case.refresh_from_db()
    assert world.case.assigned_agent == world.collector


def test_the_lead_releases_a_pause_from_the_team_page(client: Client, world: World) -> None:
    outcome_log(
        case=world.case, agent=world.collector, contact=world.mobile, channel="call",
        outcome="answered", code=OutcomeCode.OTHER, right_party=True,
        flags=[FlagKind.AGITATED], at=world.morning,
    )  # fmt: skip
    hold = ContactHold.objects.get()
    login(client, world.lead)
    client.post(f"/team/pauses/{hold.pk}/release/", {"note": "已回访"})
    hold.refresh_from_db()
    assert hold.released_at is not None


# --- language -------------------------------------------------------------------------------


def test_the_queue_in_english(client: Client, world: World) -> None:
    login(client, world.collector)
    client.post("/i18n/setlang/", {"language": "en", "next": "/queue/"})
    page = html(client, "/queue/")
    assert '<html lang="en">' in page
    assert "My queue" in page


# --- reveal ---------------------------------------------------------------------------------


def _reveal(client: Client, world: World, target: str, reason: str) -> str:
    response = client.post(
        f"/cases/{world.case.pk}/reveal/",
        {"field": target, "reason": reason},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    return response.content.decode()


def test_a_collector_reveals_a_number_with_a_reason(client: Client, world: World) -> None:
    login(client, world.collector)
    body = _reveal(client, world, f"contact:{world.mobile.pk}", "核对号码")
    assert "+8613812345678" in body
    assert 'class="pii revealed"' in body
    body = _reveal(client, world, "national_id", "核实身份")
    assert world.case.loan.borrower.national_id in body


def test_revealing_without_a_reason_asks_for_one(client: Client, world: World) -> None:
    login(client, world.collector)
    body = _reveal(client, world, f"contact:{world.mobile.pk}", "  ")
    assert "请填写查看原因" in body
    assert "13812345678" not in body


def test_revealing_without_permission_shows_the_refusal(client: Client, world: World) -> None:
    login(client, make_user("risk1", "risk"))
    body = _reveal(client, world, f"contact:{world.mobile.pk}", "想看看")
    assert "无权查看完整信息" in body
    assert "13812345678" not in body
    assert "138****5678" in body


def test_a_contact_point_of_another_borrower_cannot_be_revealed(
    client: Client, world: World
) -> None:
    other = make_case(world.collector, name="钱多")
    stranger = make_contact(other.loan.borrower)
    login(client, world.collector)
    response = client.post(
        f"/cases/{world.case.pk}/reveal/", {"field": f"contact:{stranger.pk}", "reason": "x"}
    )
    assert response.status_code == 404
