"""The evidence page of a case: permitted roles see it and download a package that verifies;
other roles are refused; a legal user cannot reach a case not referred to legal."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from autocollect.accounts.models import User
from autocollect.audit.models import AuditEvent
from autocollect.evidence.services import evidence_verify
from autocollect.evidence.summary import SummaryContext
from tests.evidence.conftest import History, refer_to_legal
from tests.factories import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def quick_summary(monkeypatch: pytest.MonkeyPatch) -> None:
    """The page carries packages; the PDF is rendered in ``test_summary_pdf``."""
    import autocollect.evidence.services as services

    def stand_in(ctx: SummaryContext) -> bytes:
        return b"%PDF-1.4\n% stand-in\n%%EOF\n"

    monkeypatch.setattr(services, "render_summary_pdf", stand_in)


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_legal_downloads_a_package_of_a_referred_case_and_it_verifies(
    history: History, legal: User, tmp_path: Path
) -> None:
    refer_to_legal(history.case)
    client = _client(legal)
    page = client.get(reverse("evidence:case", args=[history.case.pk]))
    assert page.status_code == 200
    assert "生成并下载证据包" in page.content.decode()

    response = client.post(
        reverse("evidence:export", args=[history.case.pk]), {"pii": "masked", "reason": "诉讼"}
    )

    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert "HT-EVID-0001" in response["Content-Disposition"]
    data = b"".join(response.streaming_content)  # type: ignore[attr-defined]
    saved = tmp_path / "download.zip"
    saved.write_bytes(data)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert "summary.pdf" in archive.namelist()
    assert evidence_verify(saved) == []
    event = AuditEvent.objects.get(action="evidence.export")
    assert event.actor == "legal.wang"
    assert event.reason == "诉讼"
    page = client.get(reverse("evidence:case", args=[history.case.pk]))
    assert isinstance(event.after, dict)
    assert event.after["manifest_sha256"] in page.content.decode()


def test_legal_cannot_reach_a_case_not_referred(history: History, legal: User) -> None:
    client = _client(legal)
    assert client.get(reverse("evidence:case", args=[history.case.pk])).status_code == 404
    response = client.post(reverse("evidence:export", args=[history.case.pk]))
    assert response.status_code == 404
    assert not AuditEvent.objects.filter(action="evidence.export").exists()


@pytest.mark.parametrize("role", ["collector", "team_lead", "risk"])
def test_other_roles_are_refused(history: History, role: str) -> None:
    client = _client(make_user(f"user.{role}", role))
    assert client.get(reverse("evidence:case", args=[history.case.pk])).status_code == 403
    assert client.post(reverse("evidence:export", args=[history.case.pk])).status_code == 403
    assert not AuditEvent.objects.filter(action="evidence.export").exists()


def test_anonymous_is_sent_to_sign_in(history: History) -> None:
    response = Client().post(reverse("evidence:export", args=[history.case.pk]))
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_export_is_post_only(history: History, compliance: User) -> None:
    client = _client(compliance)
    assert client.get(reverse("evidence:export", args=[history.case.pk])).status_code == 405


def test_clear_values_without_a_reason_are_refused_with_a_message(
    history: History, compliance: User
) -> None:
    client = _client(compliance)
    response = client.post(
        reverse("evidence:export", args=[history.case.pk]), {"pii": "clear"}, follow=True
    )
    assert response.status_code == 200
    assert "须填写原因" in response.content.decode()
    assert not AuditEvent.objects.filter(action="evidence.export").exists()
