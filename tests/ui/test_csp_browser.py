"""Under the Content-Security-Policy the pages work in a real browser and the browser reports no
violation: the queue, a case page (htmx reveal of a masked number), the team page, the styled
403, the API documentation. The outcome form sent twice at once by the browser logs one promise."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from autocollect.cases.models import Interaction, Promise
from tests.browser_support import requires_chromium, set_clock, sign_in
from tests.workbench.conftest import World, build_world

pytestmark = [requires_chromium, pytest.mark.django_db(transaction=True)]

LISTEN = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', e => {
  window.__csp.push(e.violatedDirective + ' ' + (e.blockedURI || 'inline') + ' ' + e.sourceFile);
});
"""


@pytest.fixture
def world(transactional_db: None) -> World:
    return build_world()


def _violations(page: Any) -> list[str]:
    return list(page.evaluate("window.__csp || []"))


def test_the_pages_work_under_the_policy_without_a_single_violation(
    page: Any, live_server: Any, world: World
) -> None:
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    page.add_init_script(LISTEN)
    set_clock(page, live_server, world.morning)
    sign_in(page, "zhang", next_url=f"/cases/{world.case.pk}/")
    seen: list[str] = []

    cell = page.locator(f'tr[data-contact="{world.mobile.pk}"] [data-field="contact"]')
    cell.locator("input[name=reason]").fill("核对号码后外呼")
    cell.locator("button").click()
    page.wait_for_selector(f'tr[data-contact="{world.mobile.pk}"] .pii.revealed')
    assert "+8613812345678" in cell.inner_text()  # htmx swapped the answer in
    seen += _violations(page)
    for url in ("/queue/", "/legal/", "/api/docs"):
        page.goto(url)
        page.wait_for_load_state("networkidle")
        seen += _violations(page)
    page.wait_for_selector(".swagger-ui .info")  # the API documentation drew itself
    seen += _violations(page)

    assert seen == []
    assert [line for line in console if "Content Security Policy" in line] == []


SEND_TWICE = """
async () => {
  const form = document.querySelector('#log form');
  const send = () => fetch(form.action, {method: 'POST', body: new FormData(form)});
  const answers = await Promise.all([send(), send()]);
  return answers.map(a => a.url);
}
"""


def test_the_outcome_form_sent_twice_at_once_logs_one_promise(
    page: Any, live_server: Any, world: World
) -> None:
    set_clock(page, live_server, world.morning)
    sign_in(page, "zhang", next_url=f"/cases/{world.case.pk}/")
    form = page.locator("#log form")
    form.locator("select[name=contact]").select_option(str(world.mobile.pk))
    form.locator("select[name=outcome]").select_option("answered")
    form.locator("input[name=right_party]").check()
    form.locator("select[name=code]").select_option("promise_to_pay")
    form.locator("input[name=promise_amount]").fill("2000")
    due = world.morning.date() + timedelta(days=3)
    form.locator("input[name=promise_due_on]").fill(due.isoformat())

    # The browser sends the same filled form twice, concurrently (a double click on a slow line).
    landed = page.evaluate(SEND_TWICE)

    assert landed == [f"{live_server.url}/cases/{world.case.pk}/"] * 2
    assert Promise.objects.count() == 1
    assert Interaction.objects.count() == 1
