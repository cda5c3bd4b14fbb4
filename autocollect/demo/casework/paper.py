"""Paper the demo casework produces: one-page PDFs (signed confirmations, hardship proofs) and
the court fee of a suit. Pure functions, no database."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile


def pdf_document(lines: list[str]) -> bytes:
    """A one-page PDF of ``lines`` (Chinese and ASCII) in the standard Adobe-GB1 font
    STSong-Light, which PDF readers provide without embedding: under 2 KB, made without a
    renderer in well under a millisecond. The text stands in for the scanned signature or
    certificate a borrower would send."""
    ops = ["BT", "/F1 12 Tf", "18 TL", "72 770 Td"]
    ops += [f"<{line.encode('utf-16-be').hex().upper()}> Tj T*" for line in lines]
    ops.append("ET")
    content = "\n".join(ops).encode("ascii")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content),
        b"<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /UniGB-UCS2-H "
        b"/DescendantFonts [6 0 R] >>",
        # Half-width Latin (CIDs 1-95), full width for everything else.
        b"<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light "
        b"/CIDSystemInfo << /Registry (Adobe) /Ordering (GB1) /Supplement 4 >> "
        b"/DW 1000 /W [1 95 500] /FontDescriptor 7 0 R >>",
        b"<< /Type /FontDescriptor /FontName /STSong-Light /Flags 6 "
        b"/FontBBox [-25 -254 1000 880] /ItalicAngle 0 /Ascent 880 /Descent -120 "
        b"/CapHeight 880 /StemV 93 >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def pdf_upload(name: str, lines: list[str]) -> SimpleUploadedFile:
    """``pdf_document(lines)`` as the upload a browser would send."""
    return SimpleUploadedFile(name, pdf_document(lines), content_type="application/pdf")


# 诉讼费用交纳办法 (2007) art. 13(1): the fee for a claim for money, by bracket of the amount
# claimed: up to 10,000 yuan a flat 50 yuan, then 2.5 % of the part up to 100,000, 2 % up to
# 200,000, 1.5 % up to 500,000, 1 % up to 1 million, 0.9 % up to 2 million, 0.8 % up to 5
# million, 0.7 % up to 10 million, 0.6 % up to 20 million and 0.5 % above. Upper bounds in fen,
# rates in basis points.
_FEE_FLAT_FEN = 5_000
_FEE_FLAT_UP_TO_FEN = 1_000_000
_FEE_BRACKETS: tuple[tuple[int | None, int], ...] = (
    (10_000_000, 250),
    (20_000_000, 200),
    (50_000_000, 150),
    (100_000_000, 100),
    (200_000_000, 90),
    (500_000_000, 80),
    (1_000_000_000, 70),
    (2_000_000_000, 60),
    (None, 50),
)


def court_fee_fen(claim_fen: int) -> int:
    """The 案件受理费 of a claim of ``claim_fen`` (art. 13(1) above), exact to the fen,
    rounded half up."""
    scaled = 0  # fen × basis points
    lower = _FEE_FLAT_UP_TO_FEN
    for upper, bp in _FEE_BRACKETS:
        if claim_fen <= lower:
            break
        top = claim_fen if upper is None else min(claim_fen, upper)
        scaled += (top - lower) * bp
        if upper is None:
            break
        lower = upper
    return _FEE_FLAT_FEN + (scaled + 5_000) // 10_000
