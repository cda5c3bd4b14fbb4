"""The workbench in a real browser: login, the queue, a case, logging a promise, a call blocked
at 22:30 debtor time, revealing a phone number with and without permission, the language
switch. The queue and the case page are saved as screenshots (queue.png, case.png)."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from autocollect.audit.models import AuditEvent
from autocollect.cases.models import FollowUp, Promise
from autocollect.compliance.models import ContactDecision
from tests.browser_support import requires_chromium, set_clock, sign_in
from tests.factories import make_user
from tests.workbench.conftest import World, build_world, make_case, make_planned, shanghai

pytestmark = [requires_chromium, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def world(transactional_db: None) -> World:
    return build_world()


def test_login_leads_to_the_queue(page: Any, world: World) -> None:
    page.goto("/queue/")
    assert "/accounts/login/" in page.url

    sign_in(page, "zhang")

    assert page.url.endswith("/queue/")
    assert page.locator("h1").inner_text().startswith("我的队列")
    assert page.locator(".session .user").inner_text() == "zhang"


def test_a_wrong_password_is_refused(page: Any, world: World) -> None:
    sign_in(page, "zhang", "not-the-password")
    assert "/accounts/login/" in page.url
    assert page.locator("[role=alert]").count() >= 1


def test_the_queue_lists_todays_work_and_the_keyboard_opens_a_case(
    page: Any, live_server: Any, world: World, screenshots: Path
) -> None:
    make_planned(world.case, world.collector, priority=60)
    second = make_case(world.collector, name="赵敏")
    make_planned(second, world.collector, priority=75, step="call_d8")
    FollowUp.objects.create(
        case=second, due_on=world.morning.date(), agent=world.collector, created_by="zhang"
    )
    set_clock(page, live_server, world.morning)
    sign_in(page, "zhang")

    rows = page.locator("table.queue tbody tr")
    assert rows.count() == 2
    assert "赵敏" in rows.nth(0).inner_text()  # priority 75 before 60
    assert page.locator('[data-count="total"]').inner_text() == "2"
    assert page.locator('[data-count="follow_ups"]').inner_text() == "1"
    page.screenshot(path=str(screenshots / "queue.png"), full_page=True)

    # "/" focuses the filter; typing filters through htmx without a page load.
    page.keyboard.press("/")
    page.keyboard.type("李强")
    expect(page.locator("table.queue tbody tr")).to_have_count(1)
    assert "李强" in page.locator("table.queue tbody tr").inner_text()
    page.keyboard.press("Escape")
    page.locator("#queue-filter").fill("")
    expect(page.locator("table.queue tbody tr")).to_have_count(2)

    # j selects the first row, j again the second, k back; Enter opens it.
    page.locator("h1").click()
    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("k")
    assert page.locator("table.queue tbody tr.selected").count() == 1
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(rf"/cases/{second.pk}/$"))
    # g q goes back to the queue.
    page.locator("h1").click()
    page.keyboard.press("g")
    page.keyboard.press("q")
    page.wait_for_url(re.compile(r"/queue/$"))


def test_opening_a_case_shows_the_account_with_masked_contacts(
    page: Any, live_server: Any, world: World, screenshots: Path
) -> None:
    make_planned(world.case, world.collector)
    set_clock(page, live_server, world.morning)
    sign_in(page, "zhang")

    page.click(f"text={world.case.loan.contract_no}")
    page.wait_for_url(re.compile(rf"/cases/{world.case.pk}/$"))

    assert world.case.loan.contract_no in page.locator("#case-title").inner_text()
    contacts = page.locator("#contacts").inner_text()
    assert "138****5678" in contacts
    assert "13812345678" not in page.content()
    assert page.locator("#schedule tbody tr").count() == 36
    assert world.case.loan.vehicle.vin in page.locator("#vehicle").inner_text()
    mobile = page.locator(f'tr[data-contact="{world.mobile.pk}"] [data-action="call"]')
    assert "可联系" in mobile.inner_text()
    assert mobile.locator("button").is_enabled()
    page.screenshot(path=str(screenshots / "case.png"), full_page=True)


def test_logging_a_promise(page: Any, live_server: Any, world: World) -> None:
    set_clock(page, live_server, world.morning)
    sign_in(page, "zhang", next_url=f"/cases/{world.case.pk}/")
    due = world.morning.date() + timedelta(days=3)

    # The call button pre-fills the form with that number and channel.
    page.click(f'tr[data-contact="{world.mobile.pk}"] [data-action="call"] button')
    page.wait_for_load_state("networkidle")
    form = page.locator("#log form")
    assert form.locator("select[name=contact]").input_value() == str(world.mobile.pk)
    form.locator("select[name=outcome]").select_option("answered")
    form.locator("input[name=right_party]").check()
    form.locator("select[name=code]").select_option("promise_to_pay")
    form.locator("input[name=promise_amount]").fill("2000")
    form.locator("input[name=promise_due_on]").fill(due.isoformat())
    form.locator("textarea[name=notes]").fill("借款人承诺三天内还款")
    form.locator("button[type=submit]").click()
    page.wait_for_load_state("networkidle")

    assert "联系结果已记录" in page.locator(".messages").inner_text()
    promises = page.locator("#promises").inner_text()
    assert "¥2,000.00" in promises
    assert due.isoformat() in promises
    assert "借款人承诺三天内还款" in page.locator("#history").inner_text()
    promise = Promise.objects.get()
    assert (promise.amount_fen, promise.due_on) == (200_000, due)


def test_a_call_is_disabled_at_half_past_ten_in_the_evening_debtor_time(
    page: Any, live_server: Any, world: World
) -> None:
    set_clock(page, live_server, shanghai(world.morning, 22, 30))
    sign_in(page, "zhang", next_url=f"/cases/{world.case.pk}/")

    assert "22:30" in page.locator("#debtor-clock").inner_text()
    call = page.locator(f'tr[data-contact="{world.mobile.pk}"] [data-action="call"]')
    assert call.locator("button").is_disabled()
    text = call.inner_text()
    assert "不可联系" in text
    assert "cn.window" in text
    assert "22:00" in text  # the reason names the window
    tomorrow = (world.morning + timedelta(days=1)).date().isoformat()
    assert f"{tomorrow} 08:00" in text  # when it opens, on the debtor's clock
    assert call.locator(".reason").is_visible()
    # Showing the indicator is not a contact: no gate decision was recorded.
    assert not ContactDecision.objects.exists()


def test_revealing_a_phone_number_with_permission(
    page: Any, live_server: Any, world: World
) -> None:
    set_clock(page, live_server, world.morning)
    sign_in(page, "zhang", next_url=f"/cases/{world.case.pk}/")
    cell = page.locator(f'tr[data-contact="{world.mobile.pk}"] [data-field="contact"]')
    assert "138****5678" in cell.inner_text()

    cell.locator("input[name=reason]").fill("核对号码后外呼")
    cell.locator("button").click()

    page.wait_for_selector(f'tr[data-contact="{world.mobile.pk}"] .pii.revealed')
    assert "+8613812345678" in cell.inner_text()
    event = AuditEvent.objects.get(action="pii.reveal")
    assert event.reason == "核对号码后外呼"
    assert "13812345678" not in str(event.after)  # the audit keeps the masked value only


def test_revealing_a_phone_number_without_permission_shows_the_refusal(
    page: Any, live_server: Any, world: World
) -> None:
    make_user("risk1", "risk")
    set_clock(page, live_server, world.morning)
    sign_in(page, "risk1", next_url=f"/cases/{world.case.pk}/")
    cell = page.locator(f'tr[data-contact="{world.mobile.pk}"] [data-field="contact"]')

    cell.locator("input[name=reason]").fill("想看看")
    cell.locator("button").click()

    page.wait_for_selector(f'tr[data-contact="{world.mobile.pk}"] .pii.refused')
    assert "无权查看完整信息" in cell.inner_text()
    assert "13812345678" not in page.content()
    assert AuditEvent.objects.filter(action="pii.reveal_denied").count() == 1


def test_switching_the_language_to_english_and_back(
    page: Any, live_server: Any, world: World
) -> None:
    set_clock(page, live_server, world.morning)
    sign_in(page, "zhang")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert page.locator("nav").inner_text().count("我的队列") == 1

    page.select_option("#language-select", "en")
    page.click("#language-submit")
    page.wait_for_load_state("networkidle")

    assert page.locator("html").get_attribute("lang") == "en"
    assert "My queue" in page.locator("nav").inner_text()
    assert page.url.endswith("/queue/")

    page.select_option("#language-select", "zh-hans")
    page.click("#language-submit")
    page.wait_for_load_state("networkidle")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
