"""In a browser: a legal user opens the evidence page of a referred case, exports a package,
downloads it, and the download verifies."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from autocollect.accounts.models import User
from autocollect.audit.models import AuditEvent
from autocollect.evidence.services import evidence_verify
from tests.browser_support import requires_chromium, sign_in
from tests.evidence.conftest import History, refer_to_legal

pytestmark = [requires_chromium, pytest.mark.django_db(transaction=True)]


def test_legal_exports_and_downloads_an_evidence_package(
    page: Any,
    history: History,
    legal: User,
    tmp_path: Path,
    screenshots: Path,
) -> None:
    refer_to_legal(history.case)
    url = f"/evidence/cases/{history.case.pk}/"
    sign_in(page, legal.username, next_url=url)
    page.goto(url)
    assert "证据保全" in page.title()
    page.fill("#evidence-reason", "诉讼立案")
    with page.expect_download(timeout=180_000) as info:
        page.click("#evidence-submit")
    download = info.value
    assert download.suggested_filename.startswith("evidence-HT-EVID-0001-")
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)

    assert evidence_verify(saved) == []
    event = AuditEvent.objects.get(action="evidence.export")
    assert event.actor == legal.username
    page.goto(url)
    row = page.locator("[data-table=exports] tbody tr")
    assert row.count() == 1
    assert isinstance(event.after, dict)
    assert event.after["manifest_sha256"] in row.inner_text()
    page.screenshot(path=str(screenshots / "evidence-case.png"), full_page=True)
