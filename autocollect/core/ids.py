"""Validation of identifiers that arrive from the core lending system.

Each validator returns the normalised value or raises ``ValueError`` with a reason that can be
shown to the person who prepared the file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

import phonenumbers

# GB 11643-1999: weights 2^(17-i) mod 11 for the 17 body digits; check = (12 - sum mod 11) mod 11
# written as 0-9 or X for 10.
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_ID_RE = re.compile(r"^\d{17}[\dX]$")


@dataclass(frozen=True, slots=True)
class NationalId:
    number: str
    birth_date: date
    gender: str  # "M" or "F"


def national_id_check_digit(body17: str) -> str:
    total = sum(int(d) * w for d, w in zip(body17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def parse_national_id(raw: str) -> NationalId:
    """Validate an 18-digit resident ID (居民身份证号码) and derive birth date and gender."""
    number = raw.strip().upper()
    if not _ID_RE.match(number):
        raise ValueError("must be 18 characters: 17 digits and a digit or X")
    expected = national_id_check_digit(number[:17])
    if number[17] != expected:
        raise ValueError(f"check digit is {number[17]}, GB 11643 gives {expected}")
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError as exc:
        raise ValueError(f"birth date {number[6:14]} is not a date") from exc
    if born.year < 1900 or born > date.today():
        raise ValueError(f"birth date {born.isoformat()} is not plausible")
    # The 17th digit (sequence code) is odd for men, even for women.
    gender = "M" if int(number[16]) % 2 == 1 else "F"
    return NationalId(number=number, birth_date=born, gender=gender)


# ISO 3779 VIN: 17 characters, no I, O or Q; position 9 is the check digit (mandatory in China
# under GB 16735 and in North America).
_VIN_RE = re.compile(r"^[A-HJ-NPR-Z0-9]{17}$")
_VIN_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)
_VIN_VALUES = {
    **{str(d): d for d in range(10)},
    **dict(zip("ABCDEFGH", range(1, 9), strict=True)),
    **dict(zip("JKLMN", range(1, 6), strict=True)),
    "P": 7,
    "R": 9,
    **dict(zip("STUVWXYZ", range(2, 10), strict=True)),
}


def vin_check_digit(vin: str) -> str:
    total = sum(_VIN_VALUES[c] * w for c, w in zip(vin, _VIN_WEIGHTS, strict=True))
    remainder = total % 11
    return "X" if remainder == 10 else str(remainder)


def parse_vin(raw: str) -> str:
    vin = raw.strip().upper()
    if not _VIN_RE.match(vin):
        raise ValueError("must be 17 characters from 0-9 and A-Z without I, O, Q")
    expected = vin_check_digit(vin)
    if vin[8] != expected:
        raise ValueError(f"check digit (9th character) is {vin[8]}, ISO 3779 gives {expected}")
    return vin


# Chinese plates: province abbreviation, a letter, then 5 (ordinary) or 6 (new-energy) characters.
_PLATE_RE = re.compile(
    r"^[京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼][A-HJ-NP-Z][A-HJ-NP-Z0-9]{4,5}[A-HJ-NP-Z0-9挂学警港澳]$"
)


def parse_plate(raw: str) -> str:
    plate = raw.strip().upper().replace(" ", "").replace("·", "").replace("-", "")
    if not _PLATE_RE.match(plate):
        raise ValueError("is not a mainland China plate (e.g. 粤B12345 or 粤BD12345)")
    return plate


def parse_phone(raw: str, *, region: str = "CN") -> tuple[str, str]:
    """Validate a phone number; return (E.164, kind) with kind ``mobile`` or ``landline``."""
    text = raw.strip()
    try:
        parsed = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as exc:
        raise ValueError(f"'{text}' is not a phone number") from exc
    if not phonenumbers.is_valid_number(parsed):
        raise ValueError(f"'{text}' is not a valid number")
    number_type = phonenumbers.number_type(parsed)
    kind = (
        "mobile"
        if number_type
        in (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)
        else "landline"
    )
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164), kind


def parse_mobile(raw: str, *, region: str = "CN") -> str:
    e164, kind = parse_phone(raw, region=region)
    if kind != "mobile":
        raise ValueError(f"'{raw.strip()}' is not a mobile number")
    return e164
