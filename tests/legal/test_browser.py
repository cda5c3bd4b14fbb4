"""The legal and hard-cases pages in a real browser (Playwright, Debian Chromium): a collector
reports a sold car from the case's hard-cases page and sees collection paused; legal starts
mediation on the referral that follows and sees the stage change."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from autocollect.accounts.models import Team
from autocollect.accounts.roles import Role
from autocollect.compliance.models import ContactHold
from autocollect.hardcases.services.exposure import exposure_assess
from autocollect.hardcases.services.vehicle_risk import vehicle_risk_refer
from autocollect.legal.models import LegalReferral, Stage
from tests.browser_support import requires_chromium, sign_in
from tests.factories import make_user
from tests.legal.helpers import make_case

pytestmark = [pytest.mark.django_db(transaction=True), requires_chromium]
SHOTS = Path(__file__).resolve().parent.parent.parent / "test-output"


@pytest.fixture
def tab(browser: Any, live_server: Any) -> Iterator[Any]:
    context = browser.new_context(
        base_url=live_server.url, locale="zh-CN", viewport={"width": 1440, "height": 1000}
    )
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def test_vehicle_report_then_legal_mediation_in_the_browser(
    tab: Any, browser: Any, live_server: Any
) -> None:
    SHOTS.mkdir(exist_ok=True)
    case = make_case(first_due_on=timezone.localdate() - timedelta(days=75))
    team = Team.objects.create(name="一组")
    collector = make_user("b_collector", Role.COLLECTOR, team=team)
    # The lead of the collector's team: the hard-case services act only on cases one sees.
    lead = make_user("b_lead", Role.TEAM_LEAD, lead_of=team)
    make_user("b_legal", Role.LEGAL)
    case.assigned_agent = collector
    case.save(update_fields=["assigned_agent"])

    url = f"/hardcases/case/{case.pk}/"
    sign_in(tab, "b_collector", next_url=url)
    tab.goto(url)
    form = tab.locator('form[data-op="vehicle_report"]')
    form.locator("select[name=kind]").select_option("sold")
    form.locator("input[name=source]").fill("借款人亲属告知车辆已转卖")
    form.locator("input[name=third_party_name]").fill("李四")
    form.locator("button[type=submit]").click()
    tab.wait_for_load_state("networkidle")
    assert "所有催收联系已立即暂停" in tab.content()
    assert tab.locator("[data-report] .tag.warn").inner_text() == "催收已暂停"
    tab.screenshot(path=str(SHOTS / "hardcases-vehicle-report.png"), full_page=True)
    assert ContactHold.objects.get(case=case).reason == "vehicle_disposed"

    report = case.vehicle_risk_reports.get()
    exposure_assess(report=report, actor=lead, gps_status="removed")
    referral = vehicle_risk_refer(report=report, actor=lead)

    legal_tab = browser.new_context(base_url=live_server.url, locale="zh-CN").new_page()
    sign_in(legal_tab, "b_legal", next_url=f"/legal/{referral.pk}/")
    legal_tab.goto(f"/legal/{referral.pk}/")
    assert "李四" in legal_tab.locator("[data-defendant=third_party]").inner_text()
    start = legal_tab.locator('form[data-op="mediation_start"]')
    start.locator("input[name=mediator]").fill("王调解员")
    start.locator("button[type=submit]").click()
    legal_tab.wait_for_load_state("networkidle")
    assert legal_tab.locator("[data-field=stage]").inner_text() == "诉前调解"
    legal_tab.screenshot(path=str(SHOTS / "legal-referral-mediation.png"), full_page=True)
    assert LegalReferral.objects.get(pk=referral.pk).stage == Stage.MEDIATION
    legal_tab.context.close()
