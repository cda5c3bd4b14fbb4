"""The casework apps contribute their part of a case's evidence package through one declared
hook (``core.hooks.case_evidence``), and the stored files they name come from the one document
store: a hardship proof is in the package and the package verifies (docs/evidence.md)."""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import models

from autocollect.cases.models import CollectionCase
from autocollect.core import hooks
from autocollect.evidence.services import evidence_export, evidence_verify
from autocollect.evidence.summary import SummaryContext
from autocollect.hardship.services import claim_file, document_upload
from tests.evidence.conftest import History

pytestmark = pytest.mark.django_db

PROOF = b"%PDF-1.4\n% unemployment certificate of the borrower\n%%EOF\n"
# Apps that keep records pointing at a case and register no contribution, and why.
NOT_CONTRIBUTING = {
    "cases": "read by the evidence app itself (contacts, promises, flags)",
    "compliance": "read by the evidence app itself (holds)",
    "channels": "read by the evidence app itself (notices sent)",
    "strategy": "the plan is an intention, not a record of what was done",
    "delinquency": "collection pauses are not packaged yet (docs/evidence.md, a known gap)",
    "conduct": "misconduct reports are a confidential internal channel (docs/misconduct.md)",
}


@pytest.fixture(autouse=True)
def quick_summary(monkeypatch: pytest.MonkeyPatch) -> None:
    import autocollect.evidence.services as services

    def stand_in(ctx: SummaryContext) -> bytes:
        return b"%PDF-1.4\n% stand-in\n%%EOF\n"

    monkeypatch.setattr(services, "render_summary_pdf", stand_in)


@pytest.fixture
def documents(settings: Any, tmp_path: Path) -> Path:
    folder = tmp_path / "documents"
    settings.AUTOCOLLECT = {**settings.AUTOCOLLECT, "DOCUMENTS": {"DIR": str(folder)}}
    return folder


def test_a_hardship_proof_is_in_the_package_and_the_package_verifies(
    history: History, documents: Path, tmp_path: Path
) -> None:
    claim = claim_file(
        case=history.case,
        actor=history.agent,
        claim_type="job_loss",
        description="借款人失业，无力按期还款",
    )
    proof = document_upload(
        claim=claim,
        actor=history.agent,
        doc_type="unemployment_certificate",
        upload=SimpleUploadedFile("失业证明.pdf", PROOF, content_type="application/pdf"),
    )
    out = tmp_path / "case.zip"

    result = evidence_export(case=history.case, out_path=out, actor="cli:t")

    sha = hashlib.sha256(PROOF).hexdigest()
    arcname = f"files/hardship/claimdocument/{proof.pk}-{sha}.pdf"
    with zipfile.ZipFile(out) as archive:
        assert archive.read(arcname) == PROOF
        manifest = json.loads(archive.read("manifest.json"))
        names = set(archive.namelist())
    assert {"hardship_hardshipclaim.csv", "hardship_claimdocument.csv"} <= names
    assert {e["path"]: e["sha256"] for e in manifest["files"]}[arcname] == sha
    assert result.manifest["file_problems"] == []
    assert evidence_verify(out) == []
    call_command("evidence", "verify", str(out))  # exits non-zero on a problem


def test_a_hardship_proof_altered_on_disk_is_reported_not_dropped(
    history: History, documents: Path, tmp_path: Path
) -> None:
    claim = claim_file(
        case=history.case, actor=history.agent, claim_type="job_loss", description="失业"
    )
    proof = document_upload(
        claim=claim,
        actor=history.agent,
        doc_type="unemployment_certificate",
        upload=SimpleUploadedFile("失业证明.pdf", PROOF, content_type="application/pdf"),
    )
    (documents / proof.stored_path).write_bytes(PROOF + b"% changed\n")

    result = evidence_export(case=history.case, out_path=tmp_path / "case.zip", actor="cli:t")

    assert result.manifest["file_problems"] == [f"{proof.stored_path}: altered since it was stored"]


def _points_at_a_case(model: type[models.Model]) -> bool:
    return any(
        isinstance(f, models.ForeignKey) and f.related_model is CollectionCase
        for f in model._meta.concrete_fields
    )


def test_every_app_that_keeps_case_records_contributes_to_the_package() -> None:
    """An app with a model pointing at a case either registers its evidence or is one whose
    records the evidence app reads itself: a new app cannot be left out silently."""
    keeping = {
        model._meta.app_label
        for model in apps.get_models()
        if _points_at_a_case(model) and model._meta.app_label not in NOT_CONTRIBUTING
    }
    assert keeping
    assert keeping <= set(hooks.case_evidence.registered())
