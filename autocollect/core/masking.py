"""Masking of personal information for display (脱敏).

Screens, API responses and exports show masked values; only a use case that needs the real one
(dialling, sending) reads it. PIPL art. 51 asks for technical measures such as de-identification,
and the collection guidelines forbid disclosing a debtor's data to people who need not see it.
The patterns are the ones Chinese lenders' customers know: ``110105********002X``,
``138****1234``, ``z***@example.com``.
"""

from __future__ import annotations

import phonenumbers

MASK = "*"


def _mask_middle(text: str, *, keep_start: int, keep_end: int) -> str:
    """Keep ``keep_start`` leading and ``keep_end`` trailing characters, mask the rest.

    A value too short to keep both ends and still hide something is masked whole, so that
    masking never reveals more than it hides.
    """
    hidden = len(text) - keep_start - keep_end
    if hidden <= 0:
        return MASK * len(text)
    return text[:keep_start] + MASK * hidden + text[len(text) - keep_end :]


def mask_national_id(value: str) -> str:
    """Resident ID number: first 6 (region) and last 4 shown, ``110105********002X``."""
    return _mask_middle(value.strip(), keep_start=6, keep_end=4)


def mask_phone(value: str) -> str:
    """Phone number: first 3 and last 4 digits of the national number, ``138****1234``.

    Numbers are stored in E.164 (``+8613812341234``); mainland numbers are shown without the
    country code, as people read them, others keep it (``+852 9***5678``).
    """
    text = value.strip()
    try:
        parsed = phonenumbers.parse(text, "CN")
    except phonenumbers.NumberParseException:
        digits = "".join(c for c in text if c.isdigit())
        return _mask_middle(digits, keep_start=3, keep_end=4)
    national = str(parsed.national_number)
    keep_start = 3 if len(national) >= 10 else 1
    masked = _mask_middle(national, keep_start=keep_start, keep_end=4)
    if parsed.country_code == 86:
        return masked
    return f"+{parsed.country_code} {masked}"


def mask_email(value: str) -> str:
    """E-mail: first character of the local part and the domain, ``z***@example.com``.

    A fixed-length mask hides how long the local part is.
    """
    local, at, domain = value.strip().partition("@")
    if not at:
        return _mask_middle(local, keep_start=1, keep_end=0)
    shown = local[:1] if len(local) > 1 else ""
    return f"{shown}{MASK * 3}@{domain}"


def mask_address(value: str) -> str:
    """Postal address: the first 6 characters (province and city, as a rule) and a mask."""
    text = value.strip()
    if len(text) <= 6:
        return MASK * len(text)
    return text[:6] + MASK * 4


def mask_contact(kind: str, value: str) -> str:
    """Mask a contact point's value according to its kind (``ContactKind`` values)."""
    if kind in ("mobile", "landline"):
        return mask_phone(value)
    if kind == "email":
        return mask_email(value)
    return mask_address(value)
