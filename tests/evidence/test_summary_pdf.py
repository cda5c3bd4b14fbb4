"""The summary PDF: Chinese, with embedded CJK fonts; page 1 as an image is not blank, and
the PDF's text gives back the parties, the contract, the arrears and the contacts."""

from __future__ import annotations

import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from PIL import Image

from autocollect.channels.selectors import business_today, case_overdue_rows
from autocollect.core.money import format_yuan
from autocollect.evidence.services import evidence_export
from tests.evidence.conftest import NATIONAL_ID, History

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        shutil.which("pdftoppm") is None,
        reason="poppler-utils is not installed (pdftoppm, pdffonts, pdftotext)",
    ),
]

CJK_FONT = re.compile(r"Noto-?S(ans|erif)-?CJK", re.IGNORECASE)


def _run(*command: str) -> str:
    return subprocess.run(command, capture_output=True, check=True, text=True).stdout


def test_the_summary_is_a_chinese_pdf_with_the_case_in_it(
    history: History, tmp_path: Path, output_dir: Path
) -> None:
    out = tmp_path / "case.zip"
    evidence_export(case=history.case, out_path=out, actor="cli:tester")
    with zipfile.ZipFile(out) as archive:
        pdf_bytes = archive.read("summary.pdf")
    pdf = output_dir / "evidence-summary.pdf"
    pdf.write_bytes(pdf_bytes)

    assert pdf_bytes[:5] == b"%PDF-"
    fonts = _run("pdffonts", str(pdf))
    cjk = [line for line in fonts.splitlines() if CJK_FONT.search(line)]
    assert cjk, fonts
    assert all(line.split()[-5] == "yes" for line in cjk), fonts  # embedded

    flat = "".join(_run("pdftotext", "-layout", str(pdf), "-").split())
    for text in [
        "证据包摘要",
        "张伟",
        "HT-EVID-0001",
        "110105********0017",
        "李娜",  # the guarantor
        "比亚迪",
        "粤B12345",
        "逾期应还合计",
        "借款人称月底还款",
        "collector.li",
        "催收通知函",
        "files/letters/letter-1.pdf",
        "承诺还款",
        "争议处理中",
    ]:
        assert text in flat, text
    total = sum(r["total_fen"] for r in case_overdue_rows(history.case, as_of=business_today()))
    assert format_yuan(total) in flat
    assert NATIONAL_ID not in flat  # masked by default

    prefix = output_dir / "evidence-summary-page"
    subprocess.run(
        ["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(pdf), str(prefix)], check=True
    )
    page = next(output_dir.glob("evidence-summary-page*.png"))
    with Image.open(page) as image:
        grey = image.convert("L")
        dark = sum(grey.histogram()[:128])
        assert dark > 0.01 * grey.width * grey.height  # text on the page, not a blank sheet
    page.unlink()
