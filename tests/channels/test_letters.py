"""Letters: a collection notice (催收通知函) renders as a PDF with embedded CJK fonts; page 1,
turned into an image, is not blank, and the PDF's text gives back the Chinese."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from autocollect.cases.models import CollectionCase
from autocollect.channels.models import MessageTemplate, OutboxStatus
from autocollect.core.money import format_yuan
from tests.channels.conftest import enqueue

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        shutil.which("pdftoppm") is None,
        reason="poppler-utils is not installed (pdftoppm, pdffonts, pdftotext)",
    ),
]

CJK_FONT = re.compile(r"Noto-?S(ans|erif)-?CJK", re.IGNORECASE)
ADDRESS = "广东省深圳市南山区科技园路1号 518057"


def _letter(
    media: Path,
    templates: dict[tuple[str, str], MessageTemplate],
    case: CollectionCase,
    capture: Any,
    language: str,
    key: str,
) -> tuple[Path, Any]:
    with capture(execute=True):
        message = enqueue(case, templates["formal_letter_day15", language], to=ADDRESS, key=key)
    message.refresh_from_db()
    assert message.status == OutboxStatus.SENT, message.last_error
    return media / message.artifact, message


def _run(*command: str) -> str:
    return subprocess.run(command, capture_output=True, check=True, text=True).stdout


def test_a_chinese_collection_notice_renders_with_embedded_cjk_fonts(
    media: Path,
    output_dir: Path,
    templates: dict[tuple[str, str], MessageTemplate],
    case: CollectionCase,
    django_capture_on_commit_callbacks: Any,
) -> None:
    pdf, message = _letter(
        media, templates, case, django_capture_on_commit_callbacks, "zh-hans", "letter-1"
    )

    assert pdf.read_bytes()[:5] == b"%PDF-"
    assert message.artifact == "letters/letter-1.pdf"
    fonts = _run("pdffonts", str(pdf))
    # Subset names such as "LWGGBP+Noto-Serif-CJK-SC" (or NotoSerifCJKsc-Regular).
    cjk = [line for line in fonts.splitlines() if CJK_FONT.search(line)]
    assert cjk, fonts
    # Columns: name type encoding emb sub uni …; every CJK font is embedded.
    assert all(line.split()[-5] == "yes" for line in cjk), fonts

    text = _run("pdftotext", "-layout", str(pdf), "-")
    flat = "".join(text.split())
    assert "催收通知函" in flat
    assert case.loan.borrower.name in flat
    assert case.loan.contract_no in flat
    assert message.payload["variables"]["overdue_amount"] in flat
    total_fen = sum(row["total_fen"] for row in message.payload["rows"])
    assert format_yuan(total_fen) in flat
    assert "逾期应还合计" in flat
    assert "400-000-0000" in flat
    assert "官方App“还款”页面" in flat

    png_prefix = output_dir / "channels-letter-zh"
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            "60",
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            str(pdf),
            str(png_prefix),
        ],
        check=True,
    )
    page = Image.open(png_prefix.with_suffix(".png")).convert("L")
    dark = sum(page.histogram()[:128])
    share = dark / (page.width * page.height)
    # A blank page has no dark pixels; a page of tofu boxes or of text has some, a page
    # rendered all black has nearly all.
    assert 0.01 < share < 0.5, share
    darkest = min(value for value, count in enumerate(page.histogram()) if count)
    assert darkest < 64


def test_an_english_notice_renders_too(
    media: Path,
    templates: dict[tuple[str, str], MessageTemplate],
    case: CollectionCase,
    django_capture_on_commit_callbacks: Any,
) -> None:
    pdf, message = _letter(
        media, templates, case, django_capture_on_commit_callbacks, "en", "letter-2"
    )

    flat = " ".join(_run("pdftotext", str(pdf), "-").split())
    assert "Notice of Overdue Payment" in flat
    assert case.loan.borrower.name in flat  # a Chinese name in an English letter
    assert "Total overdue" in flat
    interaction = message.interactions.get()
    assert (interaction.channel, interaction.outcome, interaction.number) == (
        "letter",
        "sent",
        ADDRESS,
    )
