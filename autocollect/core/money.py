"""Exact money at the edges: yuan as text or ``Decimal`` to integer fen and back, and fen for
display. Rounding an exact amount to the fen (ROUND_HALF_UP) is the engine's
(``autocollect.engine.loanmath.round_half_up``)."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

FEN_PER_YUAN = 100
_YUAN_RE = re.compile(r"^-?\d+(\.\d{1,2})?$")


def yuan_to_fen(text: str | Decimal | int) -> int:
    """Parse an amount in yuan with at most two decimals into fen; refuses anything else.

    ``"1234.5"`` → 123450. A third decimal is an error, not a rounding: an import must
    carry exactly what the core lending system has.
    """
    if isinstance(text, int):
        return text * FEN_PER_YUAN
    if isinstance(text, Decimal):
        quantized = text.quantize(Decimal("0.01"))
        if quantized != text:
            raise ValueError(f"{text} has more than two decimals")
        return int(quantized * FEN_PER_YUAN)
    cleaned = text.strip().replace(",", "")
    if not _YUAN_RE.match(cleaned):
        raise ValueError(f"'{text}' is not an amount in yuan with at most two decimals")
    try:
        return int(Decimal(cleaned) * FEN_PER_YUAN)
    except InvalidOperation as exc:  # pragma: no cover - the regex already guards this
        raise ValueError(f"'{text}' is not a number") from exc


def fen_to_yuan(fen: int) -> Decimal:
    """Integer fen to a two-decimal ``Decimal`` of yuan."""
    return (Decimal(fen) / FEN_PER_YUAN).quantize(Decimal("0.01"))


def format_yuan(fen: int) -> str:
    """``123456`` → ``"¥1,234.56"``."""
    return f"¥{fen_to_yuan(fen):,.2f}"
