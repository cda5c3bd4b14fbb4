"""The pieces of the demo's casework that stand on their own: the court fee of a suit, the
generated PDFs (accepted by the document store, readable as text), and who does the work.
The casework itself runs in the 90-day demo test (``tests/demo/test_demo_90_days.py``)."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from autocollect.accounts.roles import Role
from autocollect.demo.casework import DemoCasework
from autocollect.demo.casework.paper import court_fee_fen, pdf_document, pdf_upload
from autocollect.documents.storage import document_atomic, document_store
from tests.factories import make_user


@pytest.mark.parametrize(
    ("claim_fen", "fee_fen"),
    [
        (0, 5_000),  # up to 10,000 yuan: 50 yuan flat
        (1_000_000, 5_000),
        (1_000_020, 5_001),  # 0.20 yuan × 2.5 % = 0.5 fen, rounded half up
        (1_234_567, 10_864),  # 50 + 2,345.67 × 2.5 % = 108.64 yuan
        (10_000_000, 230_000),  # 100,000 yuan: 2,300 yuan
        (15_000_000, 330_000),  # + 50,000 × 2 %
        (2_000_000_000, 14_180_000),  # 20 million yuan: 141,800 yuan
        (2_500_000_000, 16_680_000),  # + 5 million × 0.5 %
    ],
)
def test_the_court_fee_follows_the_brackets_of_the_fee_measures(
    claim_fen: int, fee_fen: int
) -> None:
    assert court_fee_fen(claim_fen) == fee_fen


def test_a_generated_pdf_reads_back_as_its_chinese_lines(tmp_path: Path) -> None:
    lines = ["还款方案签字确认书", "合同编号 QC20250314001234", "借款人（签字）：王伟  2026-06-01"]
    path = tmp_path / "confirmation.pdf"
    path.write_bytes(pdf_document(lines))

    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout

    assert [line.split() for line in text.strip().splitlines()] == [line.split() for line in lines]


@pytest.mark.django_db
def test_the_document_store_accepts_a_generated_pdf(settings: Any, tmp_path: Path) -> None:
    settings.AUTOCOLLECT = {
        **settings.AUTOCOLLECT,
        "DOCUMENTS": {"DIR": str(tmp_path)},
    }

    with document_atomic():
        stored = document_store(
            pdf_upload("失业证明.pdf", ["失业证明", "出具日期：2026-05-01"]), folder="hardship"
        )

    assert stored.content_type == "application/pdf"
    assert (tmp_path / stored.stored_path).read_bytes().startswith(b"%PDF-1.4")


@pytest.mark.django_db
def test_the_casework_needs_the_demo_lead_and_legal_users() -> None:
    make_user("lead1", Role.TEAM_LEAD)
    assert DemoCasework.for_demo_users() is None

    make_user("legal1", Role.LEGAL)
    casework = DemoCasework.for_demo_users()

    assert casework is not None
    assert (casework.desk.lead.username, casework.desk.legal.username) == ("lead1", "legal1")
    assert casework.desk.risk is None
