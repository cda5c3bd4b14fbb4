"""Opening a signed confirmation (docs/arrangements.md, "Opening a document"): whoever sees the
case downloads the file exactly as stored, as an attachment, and the read is audited; anyone
else gets 404; a file changed on disk after upload is refused and nothing is served."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import pytest
from django.template.defaultfilters import filesizeformat
from django.test import Client
from django.urls import reverse
from django.utils import translation

from autocollect.accounts.models import Team, User
from autocollect.accounts.roles import Role
from autocollect.arrangements.models import Arrangement, ArrangementDocument
from autocollect.arrangements.services import (
    arrangement_approve,
    arrangement_confirm,
    arrangement_propose,
)
from autocollect.audit.models import AuditEvent
from autocollect.cases.models import CollectionCase
from tests.arrangements.conftest import PDF, TODAY, signed_pdf
from tests.factories import make_user

pytestmark = pytest.mark.django_db

NAME = "张伟 签字确认.pdf"
READ = "arrangement.document_read"


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def active(case: CollectionCase, collector: User, lead: User) -> Arrangement:
    plan = arrangement_propose(
        case=case,
        actor=collector,
        kind="installment_plan",
        installments=3,
        reason="借款人失业，申请分期",
        today=TODAY,
    )
    arrangement_approve(arrangement=plan, actor=lead, note="同意")
    arrangement_confirm(arrangement=plan, actor=collector, upload=signed_pdf(NAME))
    return plan


@pytest.fixture
def document(active: Arrangement) -> ArrangementDocument:
    return active.documents.get()


def url(document: ArrangementDocument) -> str:
    return reverse("arrangements:document", args=[document.pk])


@pytest.mark.parametrize("who", ["collector", "lead", "risk", "compliance"])
def test_whoever_sees_the_case_gets_the_exact_bytes_as_an_attachment_and_the_read_is_audited(
    document: ArrangementDocument, collector: User, lead: User, risk: User, who: str
) -> None:
    reader = {
        "collector": collector,
        "lead": lead,
        "risk": risk,
        "compliance": make_user("qa.sun", Role.COMPLIANCE),
    }[who]

    response = client_for(reader).get(url(document))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF  # type: ignore[attr-defined]
    assert response["Content-Type"] == "application/pdf"
    # The Chinese name travels as RFC 6266 filename* (UTF-8, percent-encoded), never inline.
    assert response["Content-Disposition"] == f"attachment; filename*=utf-8''{quote(NAME)}"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "no-store"
    event = AuditEvent.objects.get(action=READ)
    assert event.actor == reader.username
    assert (event.object_type, event.object_id) == (
        "arrangements.arrangementdocument",
        str(document.pk),
    )
    assert event.after == {"sha256": document.sha256}


def test_a_user_who_cannot_see_the_case_gets_404_as_for_a_missing_document(
    document: ArrangementDocument,
) -> None:
    other_team = Team.objects.create(name="二组")
    for stranger in (
        make_user("collector.other", Role.COLLECTOR, team=other_team),
        make_user("lead.other", Role.TEAM_LEAD, lead_of=other_team),
    ):
        assert client_for(stranger).get(url(document)).status_code == 404
    missing = reverse("arrangements:document", args=[document.pk + 100])
    assert client_for(make_user("risk.qian", Role.RISK)).get(missing).status_code == 404
    assert not AuditEvent.objects.filter(action=READ).exists()


def test_nobody_signed_in_is_sent_to_the_login_page(document: ArrangementDocument) -> None:
    response = Client().get(url(document))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("change", ["altered", "deleted"])
def test_a_file_changed_on_disk_after_upload_is_refused_and_nothing_is_served(
    document: ArrangementDocument, active: Arrangement, lead: User, document_dir: Path, change: str
) -> None:
    stored = document_dir / document.stored_path
    if change == "altered":
        stored.write_bytes(PDF.replace(b"trailer", b"TRAILER"))
    else:
        stored.unlink()
    client = client_for(lead)

    response = client.get(url(document))

    assert response.status_code == 302
    assert response["Location"] == reverse("arrangements:detail", args=[active.pk])
    assert not getattr(response, "streaming", False)
    assert "Content-Disposition" not in response
    page = client.get(response["Location"]).content.decode()
    assert "SHA-256 不符" in page
    assert not AuditEvent.objects.filter(action=READ).exists()


def test_the_detail_page_links_each_document_with_its_name_size_and_sha256(
    document: ArrangementDocument, active: Arrangement, lead: User
) -> None:
    response = client_for(lead).get(reverse("arrangements:detail", args=[active.pk]))
    page = response.content.decode()
    assert f'href="{url(document)}"' in page
    assert f">{NAME}</a>" in page
    with translation.override("zh-hans"):
        assert f"· {filesizeformat(document.size_bytes)} ·" in page
    # In full here (the browser test compares it); the hardship table shows a short form.
    assert f"<code>{document.sha256}</code>" in page
