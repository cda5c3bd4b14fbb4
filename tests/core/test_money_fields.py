"""The form fields and the whole-number parser that share the amount grammar."""

from __future__ import annotations

import pytest
from django import forms
from django.utils import translation

from autocollect.core.money import (
    NumberError,
    WholeField,
    YuanField,
    ascii_digits,
    parse_decimal,
    parse_whole,
)


class _Form(forms.Form):
    amount = YuanField(min_fen=1)
    optional = YuanField(required=False)
    count = WholeField(min_value=1, max_value=360, required=False)


def _errors(data: dict[str, str]) -> dict[str, list[str]]:
    with translation.override("en"):
        form = _Form(data)
        form.is_valid()
        return {name: [str(e) for e in errors] for name, errors in form.errors.items()}


def test_yuan_field_cleans_to_fen() -> None:
    form = _Form({"amount": "1,500.50", "optional": "", "count": "36"})
    assert form.is_valid(), form.errors
    assert form.cleaned_data == {"amount": 150_050, "optional": None, "count": 36}


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("1,50", "comma in the wrong place"),
        ("١٠٠", "digit of another script"),
        ("1e3", "exponent"),
        ("NaN", "not a number"),
        ("0", "at least ¥0.01"),
        ("-5", "negative"),
        ("12.345", "more than 2 decimals"),
    ],
)
def test_yuan_field_gives_the_parser_reason_beside_the_field(typed: str, reason: str) -> None:
    errors = _errors({"amount": typed})
    assert list(errors) == ["amount"]
    assert reason in errors["amount"][0]


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("٣٦", "digit of another script"),
        ("3.5", "not a whole number"),
        ("1,000", "no thousands separators"),
        ("+36", "plus sign"),
        ("0", "outside 1..360"),
        ("9" * 30, "outside 1..360"),
        ("1e2", "exponent"),
    ],
)
def test_whole_field_refuses_what_the_grammar_refuses(typed: str, reason: str) -> None:
    errors = _errors({"amount": "1", "count": typed})
    assert list(errors) == ["count"]
    assert reason in errors["count"][0]


def test_a_fen_initial_value_is_shown_in_yuan_and_typed_text_as_typed() -> None:
    assert 'value="1500.50"' in str(_Form(initial={"amount": 150_050})["amount"])
    assert 'value="1,50"' in str(_Form({"amount": "1,50"})["amount"])


def test_whole_numbers_and_decimals_share_the_grammar() -> None:
    assert parse_whole("０３６", low=1, high=360) == 36
    assert parse_whole("-3", low=-5, high=5) == -3
    assert str(parse_decimal("0.068800", places=6)) == "0.068800"
    with pytest.raises(NumberError):
        parse_decimal("0.0688001", places=6)
    assert ascii_digits("２０２４-０１-１５") == "2024-01-15"
    with translation.override("en"), pytest.raises(NumberError) as refused:
        ascii_digits("٢٠٢٤-01-15")
    with translation.override("en"):
        assert "digit of another script" in str(refused.value)
