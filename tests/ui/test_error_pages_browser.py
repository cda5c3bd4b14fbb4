"""The error pages in a real browser with DEBUG off: a refusal (403), a page that does not exist
or that the user may not see (404), an unexpected error (500). Each is the styled page — the
stylesheet applied, the menu on 403 and 404 — with its message, and none is Django's debug page.
Saved as error-403.png, error-404.png and error-500.png."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.browser_support import requires_chromium, sign_in
from tests.factories import make_user

pytestmark = [requires_chromium, pytest.mark.django_db(transaction=True)]

TOPBAR_BACKGROUND = "rgb(36, 41, 47)"  # ui.css: .topbar { background: #24292f }
DEBUG_PAGE_TEXT = ("Traceback", "DEBUG = True", "Request Method:", "Using the URLconf")


@pytest.fixture
def collector(transactional_db: None) -> Any:
    return make_user("zhao.collector", "collector")


@pytest.fixture(autouse=True)
def debug_off(settings: Any) -> None:
    settings.DEBUG = False


def styled(page: Any) -> None:
    background = page.eval_on_selector(".topbar", "e => getComputedStyle(e).backgroundColor")
    assert background == TOPBAR_BACKGROUND  # ui.css was loaded and applied
    text = page.content()
    for debug in DEBUG_PAGE_TEXT:
        assert debug not in text


def test_a_refusal_is_the_styled_403_page_with_the_menu_and_the_reason(
    page: Any, collector: Any, screenshots: Path
) -> None:
    sign_in(page, collector.username, next_url="/")

    response = page.goto("/legal/")

    assert response.status == 403
    styled(page)
    assert page.locator("nav.nav a[data-nav=queue]").inner_text() == "我的队列"
    assert page.locator("[data-field=refusal]").inner_text() == "您的角色“催收专员”无权进行此操作"
    assert page.locator("h1").inner_text() == "无权操作"
    page.screenshot(path=str(screenshots / "error-403.png"), full_page=True)


def test_a_missing_or_hidden_page_is_the_styled_404_page(
    page: Any, collector: Any, screenshots: Path
) -> None:
    sign_in(page, collector.username, next_url="/")

    response = page.goto("/cases/987654/")

    assert response.status == 404
    styled(page)
    assert page.locator("nav.nav a[data-nav=queue]").count() == 1
    assert page.locator("h1").inner_text() == "页面不存在"
    page.screenshot(path=str(screenshots / "error-404.png"), full_page=True)


def test_an_unexpected_error_is_the_styled_500_page_without_the_debug_page(
    page: Any, collector: Any, settings: Any, screenshots: Path
) -> None:
    settings.ROOT_URLCONF = "tests.ui.error_urls"
    sign_in(page, collector.username, next_url="/")

    response = page.goto("/test-only/fails/")

    assert response.status == 500
    styled(page)
    assert page.locator("h1").inner_text() == "服务器出错"
    assert "a bug, for the 500 page" not in page.content()
    page.screenshot(path=str(screenshots / "error-500.png"), full_page=True)
