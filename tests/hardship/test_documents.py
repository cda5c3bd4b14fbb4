"""Opening a hardship proof (docs/hardship.md, "Pages"): the user who must verify a document
can open it from the claim page; whoever sees the case downloads it exactly as stored, the read
audited; anyone else gets 404; a file changed on disk after upload is not served."""

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
from autocollect.audit.models import AuditEvent
from autocollect.cases.models import CollectionCase
from autocollect.hardship.models import ClaimDocument, HardshipClaim
from autocollect.hardship.services import claim_file, document_upload
from tests.arrangements.conftest import PDF, signed_pdf
from tests.factories import make_user

pytestmark = pytest.mark.django_db

NAME = "失业证明.pdf"
READ = "hardship.document_read"


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def claim(case: CollectionCase, collector: User) -> HardshipClaim:
    return claim_file(case=case, actor=collector, claim_type="job_loss", description="公司裁员")


@pytest.fixture
def document(claim: HardshipClaim, collector: User) -> ClaimDocument:
    return document_upload(
        claim=claim, actor=collector, doc_type="unemployment_certificate", upload=signed_pdf(NAME)
    )


def url(document: ClaimDocument) -> str:
    return reverse("hardship:document", args=[document.pk])


def test_the_verifier_opens_the_document_from_the_claim_page_and_the_read_is_audited(
    claim: HardshipClaim, document: ClaimDocument, lead: User
) -> None:
    client = client_for(lead)
    page = client.get(reverse("hardship:detail", args=[claim.pk])).content.decode()
    assert f'id="verify-{document.pk}"' in page  # the lead is the one who verifies it
    assert f'href="{url(document)}"' in page
    assert f">{NAME}</a>" in page
    with translation.override("zh-hans"):
        assert f"<td>{filesizeformat(document.size_bytes)}</td>" in page
    assert f">{document.sha256[:12]}…</code>" in page

    response = client.get(url(document))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF  # type: ignore[attr-defined]
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f"attachment; filename*=utf-8''{quote(NAME)}"
    assert response["X-Content-Type-Options"] == "nosniff"
    event = AuditEvent.objects.get(action=READ)
    assert event.actor == lead.username
    assert (event.object_type, event.object_id) == ("hardship.claimdocument", str(document.pk))
    assert event.after == {"sha256": document.sha256}


def test_a_user_who_cannot_see_the_case_gets_404_as_for_a_missing_document(
    document: ClaimDocument,
) -> None:
    other_team = Team.objects.create(name="二组")
    for stranger in (
        make_user("collector.other", Role.COLLECTOR, team=other_team),
        make_user("lead.other", Role.TEAM_LEAD, lead_of=other_team),
    ):
        assert client_for(stranger).get(url(document)).status_code == 404
    missing = reverse("hardship:document", args=[document.pk + 100])
    assert client_for(make_user("risk.qian", Role.RISK)).get(missing).status_code == 404
    assert not AuditEvent.objects.filter(action=READ).exists()


def test_a_file_changed_on_disk_after_upload_is_refused_and_nothing_is_served(
    claim: HardshipClaim, document: ClaimDocument, lead: User, document_dir: Path
) -> None:
    (document_dir / document.stored_path).write_bytes(PDF + b"% appended later\n")
    client = client_for(lead)

    response = client.get(url(document))

    assert response.status_code == 302
    assert response["Location"] == reverse("hardship:detail", args=[claim.pk])
    assert "Content-Disposition" not in response
    assert "SHA-256 不符" in client.get(response["Location"]).content.decode()
    assert not AuditEvent.objects.filter(action=READ).exists()
