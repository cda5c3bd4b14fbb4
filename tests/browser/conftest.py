"""Playwright (sync API) driving Debian's Chromium against pytest-django's ``live_server``.

Playwright's sync API keeps an asyncio event loop in the test thread while the browser is
open; Django refuses ORM calls from a thread with a running loop (``SynchronousOnlyOperation``)
— here a false alarm, because the test thread's ORM calls are plain synchronous code. So the
browser fixture sets ``DJANGO_ALLOW_ASYNC_UNSAFE=true`` for the time these tests run (module
scope) and restores the previous value afterwards; the live server runs its own thread without
a loop and is not affected.

The browser tests skip (with the reason) only when ``/usr/bin/chromium`` is missing:
``scripts/system-packages`` installs it. Screenshots go to ``$AUTOCOLLECT_SCREENSHOT_DIR`` or
``var/screenshots/``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
SCREENSHOTS = Path(
    os.environ.get(
        "AUTOCOLLECT_SCREENSHOT_DIR",
        Path(__file__).resolve().parent.parent.parent / "var" / "screenshots",
    )
)

requires_chromium = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="/usr/bin/chromium is missing: run scripts/system-packages (installs Debian's chromium)",
)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            yield chromium
            chromium.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def page(browser: Any, live_server: Any, settings: Any) -> Iterator[Any]:
    # The test-only clock seam (workbench/clock.py): pages judge rules at the cookie's time.
    settings.AUTOCOLLECT_ALLOW_CLOCK_OVERRIDE = True
    context = browser.new_context(
        base_url=live_server.url, locale="zh-CN", viewport={"width": 1440, "height": 1000}
    )
    context.set_default_timeout(15_000)
    tab = context.new_page()
    yield tab
    context.close()


@pytest.fixture
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


def set_clock(page: Any, live_server: Any, at: datetime) -> None:
    from autocollect.workbench.clock import OVERRIDE_COOKIE

    page.context.add_cookies(
        [{"name": OVERRIDE_COOKIE, "value": at.isoformat(), "url": live_server.url}]
    )


PASSWORD = "pw-Test-12345"  # tests.factories.make_user's default


def sign_in(
    page: Any, username: str, password: str = PASSWORD, *, next_url: str = "/queue/"
) -> None:
    page.goto(f"/accounts/login/?next={next_url}")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("main form button[type=submit]")
    page.wait_for_load_state("networkidle")
