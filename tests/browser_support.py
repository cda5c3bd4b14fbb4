"""Browser tests: Playwright (sync API) driving Debian's Chromium against pytest-django's
``live_server``; the fixtures (``browser``, ``page``, ``screenshots``) are in ``tests/conftest.py``.

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
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
SCREENSHOTS = Path(
    os.environ.get(
        "AUTOCOLLECT_SCREENSHOT_DIR",
        Path(__file__).resolve().parent.parent / "var" / "screenshots",
    )
)

requires_chromium = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="/usr/bin/chromium is missing: run scripts/system-packages (installs Debian's chromium)",
)


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
