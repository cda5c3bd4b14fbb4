"""Apps built beside this one (arrangements, legal, hard cases) are read when installed: their
rows as CSVs, their stored documents as files, checked against the fingerprint taken when they
were stored."""

from __future__ import annotations

import csv
import hashlib
import io
import zipfile
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.utils import timezone

from autocollect.channels.selectors import business_today
from autocollect.evidence.services import evidence_export, evidence_verify
from autocollect.evidence.summary import SummaryContext
from tests.evidence.conftest import History

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        not apps.is_installed("autocollect.arrangements"), reason="arrangements not installed"
    ),
]

SIGNED = b"%PDF-1.4\n% signed confirmation\n%%EOF\n"


@pytest.fixture(autouse=True)
def quick_summary(monkeypatch: pytest.MonkeyPatch) -> None:
    import autocollect.evidence.services as services

    def stand_in(ctx: SummaryContext) -> bytes:
        return b"%PDF-1.4\n% stand-in\n%%EOF\n"

    monkeypatch.setattr(services, "render_summary_pdf", stand_in)


@pytest.fixture
def signed_document(history: History, settings: Any, tmp_path: Path) -> Path:
    from autocollect.arrangements.models import Arrangement, ArrangementDocument

    documents = tmp_path / "documents"
    block = dict(settings.AUTOCOLLECT)
    block["DOCUMENTS"] = {**(block.get("DOCUMENTS") or {}), "DIR": str(documents)}
    settings.AUTOCOLLECT = block
    sha = hashlib.sha256(SIGNED).hexdigest()
    relative = f"arrangements/{sha[:2]}/{sha}.pdf"
    (documents / relative).parent.mkdir(parents=True)
    (documents / relative).write_bytes(SIGNED)
    today = business_today()
    arrangement = Arrangement.objects.create(
        case=history.case,
        loan=history.case.loan,
        kind="installment_plan",
        proposed_on=today,
        counted_from=today,
        balance_penalty_fen=0,
        balance_interest_fen=128_052,
        balance_principal_fen=1_180_526,
        agreed_total_fen=1_308_578,
        installment_count=6,
        first_due_on=today + timedelta(days=30),
        reason="收入下降",
        proposed_by=history.agent,
        proposed_at=timezone.now(),
    )
    ArrangementDocument.objects.create(
        arrangement=arrangement,
        original_name="签字确认.pdf",
        stored_path=relative,
        sha256=sha,
        size_bytes=len(SIGNED),
        content_type="application/pdf",
        uploaded_by=history.agent,
        uploaded_at=timezone.now(),
    )
    return documents / relative


def test_arrangements_and_their_signed_confirmation_are_in_the_package(
    history: History, signed_document: Path, tmp_path: Path
) -> None:
    out = tmp_path / "case.zip"
    result = evidence_export(case=history.case, out_path=out, actor="cli:t")

    with zipfile.ZipFile(out) as archive:
        names = archive.namelist()
        rows = list(
            csv.DictReader(
                io.StringIO(archive.read("arrangements_arrangement.csv").decode("utf-8-sig"))
            )
        )
        documents = [n for n in names if n.startswith("files/arrangements/")]
        assert len(documents) == 1
        assert archive.read(documents[0]) == SIGNED
    assert [r["agreed_total_fen"] for r in rows] == ["1308578"]
    assert "arrangements_arrangementdocument.csv" in names
    assert result.manifest["file_problems"] == []
    assert evidence_verify(out) == []


def test_a_document_altered_since_upload_is_packaged_and_reported(
    history: History, signed_document: Path, tmp_path: Path
) -> None:
    signed_document.write_bytes(SIGNED.replace(b"signed", b"forged"))
    result = evidence_export(case=history.case, out_path=tmp_path / "case.zip", actor="cli:t")
    assert len(result.manifest["file_problems"]) == 1
    assert "altered since it was stored" in result.manifest["file_problems"][0]
