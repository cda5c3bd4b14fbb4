"""Identifier validators and money parsing: what the importer relies on to refuse bad rows."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from autocollect.core.calendar import calendar_is_official, is_workday
from autocollect.core.ids import (
    national_id_check_digit,
    parse_mobile,
    parse_national_id,
    parse_phone,
    parse_plate,
    parse_vin,
    vin_check_digit,
)
from autocollect.core.money import NumberError, fen_to_yuan, format_yuan, yuan_to_fen


def test_national_id_derives_birth_date_and_gender() -> None:
    parsed = parse_national_id("11010519491231002x")
    assert parsed.number == "11010519491231002X"
    assert parsed.birth_date == date(1949, 12, 31)
    assert parsed.gender == "F"  # 17th digit 2 is even
    body = "44030319880615123"
    male = parse_national_id(body + national_id_check_digit(body))
    assert male.gender == "M"
    assert male.birth_date == date(1988, 6, 15)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("110105194912310021", "check digit is 1, GB 11643 gives X"),
        ("11010519491231002", "18 characters"),
        ("1101051949123100AX", "18 characters"),
        ("110105194902300020", "is not a date"),
    ],
)
def test_national_id_refusals_say_why(raw: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        parse_national_id(raw)


def test_vin_check_digit_iso_3779() -> None:
    assert parse_vin("1m8gdm9axkp042788") == "1M8GDM9AXKP042788"
    body = "LFV2A21K_63012345"
    vin = body.replace("_", vin_check_digit(body.replace("_", "0")))
    assert parse_vin(vin) == vin
    with pytest.raises(ValueError, match="ISO 3779 gives X"):
        parse_vin("1M8GDM9A1KP042788")
    with pytest.raises(ValueError, match="without I, O, Q"):
        parse_vin("1M8GDM9AXKP04278O")


def test_phone_numbers_validated_with_phonenumbers() -> None:
    assert parse_mobile("138 1234 5678") == "+8613812345678"
    assert parse_phone("010-62345678") == ("+861062345678", "landline")
    with pytest.raises(ValueError, match="not a mobile"):
        parse_mobile("010-62345678")
    with pytest.raises(ValueError, match="not a valid number"):
        parse_mobile("12345678901")


def test_plates() -> None:
    assert parse_plate("粤B·12345") == "粤B12345"
    assert parse_plate("沪AD12345") == "沪AD12345"
    with pytest.raises(ValueError, match="mainland China plate"):
        parse_plate("XYZ123")


def test_money_parsing_is_exact_and_strict() -> None:
    assert yuan_to_fen("1234.5") == 123450
    assert yuan_to_fen("1,234.56") == 123456
    assert yuan_to_fen("-0.01", negative=True) == -1
    assert yuan_to_fen(Decimal("0.10")) == 10
    for bad in ("1.234", "abc", "", "1e5", "-0.01"):
        with pytest.raises(NumberError):  # each reason: tests/core/test_money_strict.py
            yuan_to_fen(bad)
    assert fen_to_yuan(123456) == Decimal("1234.56")
    assert format_yuan(123456789) == "¥1,234,567.89"


def test_calendar_falls_back_to_weekends_beyond_the_official_years() -> None:
    assert calendar_is_official(date(2026, 5, 1))
    assert not is_workday(date(2026, 5, 1))  # Labour Day
    assert not calendar_is_official(date(2031, 5, 1))
    assert is_workday(date(2031, 5, 1))  # a Thursday: no official data yet, weekends only
    assert not is_workday(date(2031, 5, 3))  # a Saturday
