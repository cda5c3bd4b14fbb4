"""Properties of the amount parser (Hypothesis).

* Every amount in fen, written out as yuan with or without thousands separators (ASCII or
  full-width, with a sign where negatives are allowed), reads back as the same fen.
* Any text at all either is refused with a ``ValueError`` (never another exception) or matches
  the documented grammar (docs/import-formats.md, "Amounts") and gives exactly its value.
"""

from __future__ import annotations

import re
from decimal import Decimal

from hypothesis import example, given
from hypothesis import strategies as st

from autocollect.core.money import fen_to_yuan, yuan_to_fen

MAX_FEN = 100_000_000 * 100
FULL_WIDTH = str.maketrans("0123456789,.", "０１２３４５６７８９，．")
TO_ASCII = str.maketrans("０１２３４５６７８９，．", "0123456789,.")
# The grammar of docs/import-formats.md, after full-width digits, comma and point are read as
# ASCII and the ends are trimmed.
GRAMMAR = re.compile(r"-?(?:[0-9]+|[1-9][0-9]{0,2}(?:,[0-9]{3})+)(?:\.[0-9]{1,2})?")

amounts = st.integers(min_value=0, max_value=MAX_FEN)


@given(amounts)
def test_every_amount_reads_back_plain_grouped_and_full_width(fen: int) -> None:
    yuan = fen_to_yuan(fen)
    for text in (f"{yuan}", f"{yuan:,}", f"{yuan:,.2f}", f"{yuan:.2f}".rstrip("0").rstrip(".")):
        assert yuan_to_fen(text) == fen, text
        assert yuan_to_fen(text.translate(FULL_WIDTH)) == fen, text
        assert yuan_to_fen(f" {text}\t") == fen, text
    assert yuan_to_fen(yuan) == fen


@given(amounts)
def test_negative_amounts_read_back_where_allowed(fen: int) -> None:
    yuan = fen_to_yuan(fen)
    assert yuan_to_fen(f"-{yuan:,}", negative=True) == -fen
    assert yuan_to_fen(f"-{yuan}", negative=True) == -fen


def _expected(text: str, *, negative: bool) -> int | None:
    """What the grammar says ``text`` is worth, or ``None`` when it must be refused."""
    trimmed = text.strip()
    body = trimmed.translate(TO_ASCII)
    if len(trimmed) > 40 or not GRAMMAR.fullmatch(body):
        return None
    if body.startswith("-") and not negative:
        return None
    fen = int(Decimal(body.replace(",", "")) * 100)
    return fen if abs(fen) <= MAX_FEN else None


def _parsed(text: str, *, negative: bool) -> int | None:
    reason = ""
    try:
        return yuan_to_fen(text, negative=negative)
    except ValueError as refused:
        reason = str(refused)
    assert reason  # a refusal says why, in words
    return None


# Characters that make up amounts and their near misses: the grammar's own, full-width ones,
# other scripts' digits, signs, exponents, separators, spaces.
near_miss = st.text(
    alphabet=st.sampled_from(
        list("0123456789,.-+eE _'") + list("０１２３４５６７８９，．") + list("٣۴५¥元\u00a0\u3000")
    ),
    max_size=16,
)


@given(st.one_of(near_miss, st.text(max_size=50)), st.booleans())
@example("1,50", False)
@example(",,5", False)
@example("1,0,0,0", False)
@example("١٢٣", False)
@example("NaN", True)
@example("-0", True)
@example("-0", False)
def test_any_text_is_refused_or_matches_the_grammar_and_its_value(
    text: str, negative: bool
) -> None:
    assert _parsed(text, negative=negative) == _expected(text, negative=negative)


@given(
    st.integers(min_value=1, max_value=999),
    st.lists(st.integers(min_value=0, max_value=999), max_size=3),
    st.sampled_from([1, 2, 4, 5]),
    st.booleans(),
)
def test_a_group_of_other_than_three_digits_is_never_accepted(
    head: int, groups: list[int], width: int, decimals: bool
) -> None:
    """A comma followed by other than three digits (a decimal comma such as ``1,50``, a typo)
    is refused wherever the group stands."""
    grouped = ",".join([str(head), *(f"{g:03d}" for g in groups)])
    text = f"{grouped},{'7' * width}" + (".50" if decimals else "")
    assert _parsed(text, negative=False) is None
