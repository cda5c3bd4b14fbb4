"""The loan's own documents in the case archive: a team lead keeps the contract copy
(贷款合同副本) on the loan page; whoever sees the loan downloads it, checked and audited; it goes
into the case's evidence package (docs/workbench.md, "Loan documents")."""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from autocollect.audit.models import AuditEvent
from autocollect.core.errors import ApplicationError, Refused
from autocollect.evidence.services import evidence_export, evidence_verify
from autocollect.portfolio.models import LoanDocument
from autocollect.portfolio.services import loan_document_add
from tests.workbench.conftest import World

pytestmark = pytest.mark.django_db

CONTRACT = b"%PDF-1.4\n% loan contract HT copy, signed 2024-03-01\n%%EOF\n"


@pytest.fixture(autouse=True)
def documents(settings: Any, tmp_path: Path) -> Path:
    folder = tmp_path / "documents"
    settings.AUTOCOLLECT = {**settings.AUTOCOLLECT, "DOCUMENTS": {"DIR": str(folder)}}
    return folder


def contract_file(data: bytes = CONTRACT, name: str = "贷款合同.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/pdf")


def page(world: World) -> str:
    return reverse("workbench:loan_detail", args=[world.case.loan.contract_no])


def test_a_team_lead_stores_the_contract_copy_from_the_loan_page(
    client: Client, world: World, documents: Path
) -> None:
    client.force_login(world.lead)
    upload_url = reverse("workbench:loan_document_upload", args=[world.case.loan.contract_no])

    response = client.post(upload_url, {"kind": "contract", "document": contract_file()})

    assert response.status_code == 302
    document = LoanDocument.objects.get(loan=world.case.loan)
    sha = hashlib.sha256(CONTRACT).hexdigest()
    assert (document.kind, document.sha256, document.size_bytes) == ("contract", sha, len(CONTRACT))
    assert (documents / document.stored_path).read_bytes() == CONTRACT
    assert document.stored_path.startswith("loans/")
    event = AuditEvent.objects.get(action="loan.document_add")
    assert event.actor == "lead"
    assert (event.after or {}).get("sha256") == sha
    shown = client.get(page(world)).content.decode()
    assert "贷款合同.pdf" in shown
    assert "贷款合同副本" in shown


def test_whoever_sees_the_loan_downloads_the_exact_bytes_and_the_read_is_audited(
    client: Client, world: World
) -> None:
    document = loan_document_add(
        loan=world.case.loan, kind="contract", upload=contract_file(), actor=world.lead
    )
    url = reverse("workbench:loan_document", args=[world.case.loan.contract_no, document.pk])
    client.force_login(world.collector)

    response = client.get(url)

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == CONTRACT  # type: ignore[attr-defined]
    assert response["Content-Disposition"].startswith("attachment")
    assert AuditEvent.objects.filter(action="loan.document_read", actor="zhang").count() == 1
    client.force_login(world.outsider)
    assert client.get(url).status_code == 404
    assert AuditEvent.objects.filter(action="loan.document_read").count() == 1


def test_a_collector_may_read_but_not_add_to_the_archive(client: Client, world: World) -> None:
    client.force_login(world.collector)
    assert 'id="loan-document-upload"' not in client.get(page(world)).content.decode()
    with pytest.raises(Refused, match="组长、法务或管理员"):
        loan_document_add(
            loan=world.case.loan, kind="contract", upload=contract_file(), actor=world.collector
        )
    assert not LoanDocument.objects.exists()


@pytest.mark.parametrize(
    ("kind", "data", "reason"),
    [
        ("contract", b"<html>not a pdf</html>", "只接受 PDF"),
        ("passport", CONTRACT, "未知的档案类型"),
    ],
)
def test_a_file_that_is_not_a_document_or_of_no_known_kind_is_refused(
    world: World, documents: Path, kind: str, data: bytes, reason: str
) -> None:
    with pytest.raises(ApplicationError, match=reason):
        loan_document_add(
            loan=world.case.loan, kind=kind, upload=contract_file(data), actor=world.lead
        )
    assert not LoanDocument.objects.exists()


def test_the_contract_copy_is_in_the_evidence_package_and_it_verifies(
    world: World, tmp_path: Path
) -> None:
    document = loan_document_add(
        loan=world.case.loan, kind="contract", upload=contract_file(), actor=world.lead
    )
    out = tmp_path / "case.zip"

    result = evidence_export(case=world.case, out_path=out, actor="cli:t")

    sha = hashlib.sha256(CONTRACT).hexdigest()
    with zipfile.ZipFile(out) as archive:
        assert archive.read(f"files/portfolio/loandocument/{document.pk}-{sha}.pdf") == CONTRACT
        assert "portfolio_loandocument.csv" in archive.namelist()
    assert result.manifest["file_problems"] == []
    assert evidence_verify(out) == []
