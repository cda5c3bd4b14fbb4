"""A case whose skip trace gave work to an investigation agency: the package holds the agency's
row and its signed authorisation letter (委托授权书), listed in the manifest with its SHA-256
(docs/evidence.md, "Optional apps")."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile

from autocollect.accounts.roles import Role
from autocollect.evidence.services import evidence_export, evidence_verify
from autocollect.evidence.summary import SummaryContext
from tests.evidence.conftest import History
from tests.factories import make_user

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        not apps.is_installed("autocollect.hardcases"), reason="hardcases not installed"
    ),
]

LETTER = b"%PDF-1.4\n% signed authorisation letter SQ-2026-020\n%%EOF\n"


@pytest.fixture(autouse=True)
def quick_summary(monkeypatch: pytest.MonkeyPatch) -> None:
    import autocollect.evidence.services as services

    def stand_in(ctx: SummaryContext) -> bytes:
        return b"%PDF-1.4\n% stand-in\n%%EOF\n"

    monkeypatch.setattr(services, "render_summary_pdf", stand_in)


@pytest.fixture
def documents(settings: Any, tmp_path: Path) -> Path:
    folder = tmp_path / "documents"
    block = dict(settings.AUTOCOLLECT)
    block["DOCUMENTS"] = {**(block.get("DOCUMENTS") or {}), "DIR": str(folder)}
    settings.AUTOCOLLECT = block
    return folder


def _agency_task(history: History, *, give_work: bool) -> int:
    from autocollect.hardcases.services.agencies import agency_register
    from autocollect.hardcases.services.nightly import SYSTEM_ACTOR
    from autocollect.hardcases.services.skip_tasks import skip_task_add
    from autocollect.hardcases.services.skip_trace import skip_trace_open

    agency = agency_register(
        actor=make_user("lead.zhao", Role.TEAM_LEAD),
        name="某某商务调查有限公司",
        licence_no="91440300MA5XXXXXXX",
        authorisation_ref="SQ-2026-020",
        authorised_from=date(2026, 1, 1),
        authorised_until=date(2027, 12, 31),
        letter=SimpleUploadedFile("委托授权书.pdf", LETTER, content_type="application/pdf"),
    )
    trace = skip_trace_open(case=history.case, actor=SYSTEM_ACTOR, trigger="flag")
    if give_work:
        skip_task_add(trace=trace, actor=SYSTEM_ACTOR, kind="agency", agency=agency)
    return agency.pk


def test_the_letter_of_the_agency_given_work_on_the_case_is_in_the_package(
    history: History, documents: Path, tmp_path: Path
) -> None:
    agency_id = _agency_task(history, give_work=True)
    out = tmp_path / "case.zip"
    result = evidence_export(case=history.case, out_path=out, actor="cli:t")

    sha = hashlib.sha256(LETTER).hexdigest()
    with zipfile.ZipFile(out) as archive:
        names = archive.namelist()
        letter = f"files/hardcases/investigationagency/{agency_id}-{sha}.pdf"
        assert archive.read(letter) == LETTER
        manifest = json.loads(archive.read("manifest.json"))
        rows = list(
            csv.DictReader(
                io.StringIO(archive.read("hardcases_investigationagency.csv").decode("utf-8-sig"))
            )
        )
    listed = {e["path"]: e for e in manifest["files"]}
    assert listed[letter]["sha256"] == sha
    assert listed[letter]["size"] == len(LETTER)
    assert [(r["id"], r["authorisation_ref"], r["sha256"]) for r in rows] == [
        (str(agency_id), "SQ-2026-020", sha)
    ]
    assert "hardcases_skiptask.csv" in names
    assert result.manifest["file_problems"] == []
    assert evidence_verify(out) == []


def test_an_agency_not_given_work_on_the_case_is_not_in_its_package(
    history: History, documents: Path, tmp_path: Path
) -> None:
    _agency_task(history, give_work=False)
    out = tmp_path / "case.zip"
    evidence_export(case=history.case, out_path=out, actor="cli:t")
    with zipfile.ZipFile(out) as archive:
        names = archive.namelist()
    assert "hardcases_investigationagency.csv" not in names
    assert not [n for n in names if n.startswith("files/hardcases/")]


def test_a_letter_gone_from_disk_is_reported_in_the_manifest(
    history: History, documents: Path, tmp_path: Path
) -> None:
    _agency_task(history, give_work=True)
    for stored in (documents / "agency_letters").rglob("*.pdf"):
        stored.unlink()
    result = evidence_export(case=history.case, out_path=tmp_path / "case.zip", actor="cli:t")
    assert [p for p in result.manifest["file_problems"] if p.startswith("agency_letters/")]
