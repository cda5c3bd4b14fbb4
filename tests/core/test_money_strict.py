"""The one strict parser of amounts and numbers (issue 13, "money misread").

Each refused input says why, in words, in both languages: the reasons are asserted under
English, and the Chinese message is checked to differ (it is the msgid, the default language).
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import translation

from autocollect.core.money import NumberError, yuan_to_fen


def _reason(value: object, **options: object) -> str:
    """The English reason ``yuan_to_fen`` gives for refusing ``value``."""
    with translation.override("en"), pytest.raises(NumberError) as refused:
        yuan_to_fen(value, **options)  # type: ignore[arg-type]
    with translation.override("en"):
        return str(refused.value)


@pytest.mark.parametrize(
    ("text", "fen"),
    [
        ("0", 0),
        ("0.5", 50),
        ("1234.5", 123450),
        ("1,234.56", 123456),
        ("1,234,567.89", 123456789),
        ("999,999.99", 99999999),
        ("1,000", 100000),
        ("007.10", 710),
        ("  12.30\t", 1230),
        ("\u300012.30\u3000", 1230),  # ideographic spaces around the number are trimmed
        # Full-width digits, comma and point (a Chinese input method) are read as ASCII.
        ("１２３４．５６", 123456),
        ("１，２３４．５", 123450),
        ("1，234.5", 123450),
    ],
)
def test_accepted_amounts(text: str, fen: int) -> None:
    assert yuan_to_fen(text) == fen


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        # The findings: a European decimal comma, stray commas, commas every digit.
        ("1,50", "comma in the wrong place"),
        (",,5", "comma in the wrong place"),
        ("1,0,0,0", "comma in the wrong place"),
        ("12,34", "comma in the wrong place"),
        ("1,2345", "comma in the wrong place"),
        (",123", "comma in the wrong place"),
        ("1,234,", "comma in the wrong place"),
        ("0,123", "comma in the wrong place"),
        ("1234,567", "comma in the wrong place"),
        ("1,234.5,6", "comma after the decimal point"),
        # Digits of other scripts are refused (full-width ones are converted, above).
        ("١٢٣", "digit of another script"),  # Arabic-Indic
        ("۱۲۳", "digit of another script"),  # Extended Arabic-Indic (Persian)
        ("१२३", "digit of another script"),  # Devanagari
        ("12٣.50", "digit of another script"),
        ("²", "digit of another script"),
        # One decimal point, digits on both sides, at most two decimals.
        ("1.2.3", "more than one decimal point"),
        ("1.", "digits on both sides of the decimal point"),
        (".5", "digits on both sides of the decimal point"),
        ("1.234", "more than 2 decimals"),
        ("0.001", "more than 2 decimals"),
        # No exponent, no NaN or infinity, no spaces inside, no plus sign, no sign by default.
        ("1e5", "exponent"),
        ("1E+05", "exponent"),
        ("NaN", "not a number"),
        ("Infinity", "not a number"),
        ("-inf", "not a number"),
        ("abc", "not a number"),
        ("1 000", "space inside"),
        ("1\u00a0000.00", "space inside"),
        ("1\u3000000", "space inside"),
        ("+5", "plus sign"),
        ("-5", "negative"),
        ("-", "negative"),
        ("¥5", "'¥'"),
        ("5元", "'元'"),
        ("1_000", "'_'"),
        ("0x10", "not a number"),
        ("1-2", "'-'"),
        ("", "no number"),
        ("   ", "no number"),
        ("1" * 41, "too long"),
        ("100000000.01", "more than ¥100,000,000.00"),
    ],
)
def test_refused_amounts_say_why(text: str, reason: str) -> None:
    assert reason in _reason(text)


def test_a_negative_amount_where_the_caller_allows_it() -> None:
    assert yuan_to_fen("-0.01", negative=True) == -1
    assert yuan_to_fen("-1,234.50", negative=True) == -123450
    assert "negative" in _reason("-0.01")
    assert "comma in the wrong place" in _reason("-1,50", negative=True)


def test_the_reason_is_translated_and_chinese_by_default() -> None:
    with translation.override("zh-hans"), pytest.raises(NumberError) as refused:
        yuan_to_fen("1,50")
    with translation.override("zh-hans"):
        chinese = str(refused.value)
    assert "逗号位置不对" in chinese
    assert "1,50" in chinese
    assert "1,50" in _reason("1,50")


def test_decimals_and_integers_take_the_same_rules() -> None:
    assert yuan_to_fen(Decimal("0.10")) == 10
    assert yuan_to_fen(12) == 1200
    assert "more than 2 decimals" in _reason(Decimal("0.001"))
    assert "not a number" in _reason(Decimal("NaN"))
    assert "not a number" in _reason(Decimal("Infinity"))
    assert "negative" in _reason(Decimal("-1"))
    assert "more than ¥100,000,000.00" in _reason(Decimal("1E+20"))
    with pytest.raises(TypeError):
        yuan_to_fen(1.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        yuan_to_fen(True)
