"""Exact money and numbers at the edges: the one strict parser of what people type or files
carry (yuan to integer fen, whole numbers, decimals), the form fields that use it, and fen for
display. Rounding an exact amount to the fen (ROUND_HALF_UP) is the engine's
(``autocollect.engine.loanmath.round_half_up``).

**The grammar** (docs/import-formats.md, "Amounts and numbers"), after the text is trimmed and
full-width digits, comma and point (``０``–``９``, ``，``, ``．``, what a Chinese input method
types) are read as their ASCII forms::

    number  = [ "-" ] whole [ "." fraction ]
    whole   = digit { digit }                          (no separators)
            | nonzero [ digit [ digit ] ] { "," digit digit digit }   (groups of three)
    fraction = one to ``places`` digits                 (two for yuan)

Nothing else: no ``+``, no exponent, no ``NaN``/``Infinity``, no spaces inside, no currency
sign, no digits of other scripts (Arabic-Indic, Devanagari, …: refused, not converted), no
decimal comma (``1,50`` is refused, never read as 150 or 1.5). A negative number only where the
caller allows one. Each refusal is a :class:`NumberError` whose message (translated) says why.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from django import forms
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

FEN_PER_YUAN = 100
# Upper bound for any amount that enters: ¥100,000,000.00. Far above any car loan, and keeps a
# typo (an ID pasted into an amount column) from overflowing the 64-bit fen columns.
MAX_FEN = 100_000_000 * FEN_PER_YUAN
# Longer text is not a number anyone typed; refused before it is looked at.
MAX_NUMBER_LENGTH = 40

_FULL_WIDTH = str.maketrans("０１２３４５６７８９，．", "0123456789,.")
_ALLOWED = frozenset("0123456789,.-")
_GROUPED = re.compile(r"[1-9][0-9]{0,2}(?:,[0-9]{3})+")
_EXPONENT = re.compile(r"-?[0-9.,]*[0-9][eE][+-]?[0-9]+")

NO_NUMBER = _("未填写数字")
TOO_LONG = _("“%(text)s”过长，数字最多 %(max)s 个字符")
FOREIGN_DIGIT = _("“%(text)s”含有其他文字的数字“%(char)s”：只接受 0-9（全角数字０-９会自动转换）")
SPACE_INSIDE = _("“%(text)s”中间有空格")
PLUS_SIGN = _("“%(text)s”带有正号，请去掉“+”")
NEGATIVE = _("“%(text)s”是负数，此处不接受负数")
EXPONENT = _("“%(text)s”是科学计数法，请写出完整的数字")
NOT_A_NUMBER = _("“%(text)s”不是数字")
BAD_CHARACTER = _(
    "“%(text)s”含有不允许的字符“%(char)s”：数字只能由 0-9、一个小数点和千位分隔符组成"
)
MANY_POINTS = _("“%(text)s”有多个小数点")
BARE_POINT = _("“%(text)s”的小数点前后都须有数字")
COMMA_AFTER_POINT = _("“%(text)s”的小数点后有逗号")
GROUPING = _(
    "“%(text)s”的逗号位置不对：千位分隔符须每三位一组（如 1,234,567.89），"
    "不接受逗号作小数点（如 1,50）"
)
NO_SEPARATORS = _("“%(text)s”含有逗号：此项不用千位分隔符")
TOO_MANY_DECIMALS = _("“%(text)s”超过 %(places)s 位小数（不做四舍五入）")
NOT_WHOLE = _("“%(text)s”不是整数")
TOO_LARGE = _("“%(text)s”超过上限 %(max)s")
OUT_OF_RANGE = _("%(value)s 不在 %(low)s 至 %(high)s 的范围内")
BELOW_MINIMUM = _("金额至少为 %(min)s")


class NumberError(ValueError):
    """A number refused: ``str()`` is the reason, in the active language."""

    def __init__(self, message: Promise | str, **params: object) -> None:
        super().__init__(message, params)
        self.message = message
        self.params = params

    def __str__(self) -> str:
        return str(self.message) % self.params if self.params else str(self.message)


def _shown(text: str) -> str:
    return text if len(text) <= MAX_NUMBER_LENGTH else text[:MAX_NUMBER_LENGTH] + "…"


def _character_error(shown: str, body: str, char: str) -> NumberError:
    """Why ``char`` (the first one outside the grammar's alphabet) makes ``body`` no number."""
    if char.isdigit():
        return NumberError(FOREIGN_DIGIT, text=shown, char=char)
    if char.isspace():
        return NumberError(SPACE_INSIDE, text=shown)
    if char == "+":
        return NumberError(PLUS_SIGN, text=shown)
    if _EXPONENT.fullmatch(body):
        return NumberError(EXPONENT, text=shown)
    if char.isascii() and char.isalpha():  # NaN, inf, abc, 0x10
        return NumberError(NOT_A_NUMBER, text=shown)
    return NumberError(BAD_CHARACTER, text=shown, char=char)


def _prepared(text: str) -> tuple[str, str]:
    """(the text as shown in a reason, the body in ASCII); refuses text outside the alphabet."""
    if not isinstance(text, str):
        raise TypeError(f"expected text, got {type(text).__name__}")
    trimmed = text.strip()
    shown = _shown(trimmed)
    if not trimmed:
        raise NumberError(NO_NUMBER)
    if len(trimmed) > MAX_NUMBER_LENGTH:
        raise NumberError(TOO_LONG, text=shown, max=MAX_NUMBER_LENGTH)
    body = trimmed.translate(_FULL_WIDTH)
    for char in body:
        if char not in _ALLOWED:
            raise _character_error(shown, body, char)
    return shown, body


def _unsigned(shown: str, body: str, *, negative: bool) -> tuple[bool, str]:
    if body.startswith("-"):
        if not negative:
            raise NumberError(NEGATIVE, text=shown)
        body = body[1:]
        minus = True
    else:
        minus = False
    if "-" in body:
        raise NumberError(BAD_CHARACTER, text=shown, char="-")
    return minus, body


def _parts(shown: str, body: str, *, grouping: bool) -> tuple[str, str]:
    """(whole digits without separators, fraction digits), the separators checked."""
    if body.count(".") > 1:
        raise NumberError(MANY_POINTS, text=shown)
    whole, point, fraction = body.partition(".")
    if point and (not whole or not fraction):
        raise NumberError(BARE_POINT, text=shown)
    if "," in fraction:
        raise NumberError(COMMA_AFTER_POINT, text=shown)
    if not whole:
        raise NumberError(NOT_A_NUMBER, text=shown)
    if "," in whole:
        if not grouping:
            raise NumberError(NO_SEPARATORS, text=shown)
        if not _GROUPED.fullmatch(whole):
            raise NumberError(GROUPING, text=shown)
    return whole.replace(",", ""), fraction


def parse_decimal(
    text: str, *, places: int, negative: bool = False, grouping: bool = True
) -> Decimal:
    """``text`` as an exact ``Decimal`` with at most ``places`` decimals, by the grammar above.

    ``negative`` allows a leading ``-``; ``grouping`` allows thousands separators.
    Raises :class:`NumberError` saying why the text is refused.
    """
    shown, body = _prepared(text)
    minus, body = _unsigned(shown, body, negative=negative)
    whole, fraction = _parts(shown, body, grouping=grouping)
    if len(fraction) > places:
        if places == 0:
            raise NumberError(NOT_WHOLE, text=shown)
        raise NumberError(TOO_MANY_DECIMALS, text=shown, places=places)
    value = Decimal(f"{whole}.{fraction}" if fraction else whole)
    return -value if minus else value


def parse_whole(text: str, *, low: int, high: int) -> int:
    """A whole number written in plain digits (no separators, no decimals), ``low``–``high``."""
    value = int(parse_decimal(text, places=0, negative=low < 0, grouping=False))
    if not low <= value <= high:
        raise NumberError(OUT_OF_RANGE, value=value, low=low, high=high)
    return value


def ascii_digits(text: str) -> str:
    """``text`` with full-width digits read as ASCII; refuses the digits of any other script
    (for values such as dates that are not numbers but are written in digits)."""
    converted = text.translate(_FULL_WIDTH)
    for char in converted:
        if char.isdigit() and not "0" <= char <= "9":
            raise NumberError(FOREIGN_DIGIT, text=_shown(text.strip()), char=char)
    return converted


def _decimal_to_fen(value: Decimal, *, negative: bool, max_fen: int) -> int:
    shown = _shown(str(value))
    if not value.is_finite():
        raise NumberError(NOT_A_NUMBER, text=shown)
    if value < 0 and not negative:
        raise NumberError(NEGATIVE, text=shown)
    if value and value.adjusted() > len(str(max_fen)):  # 1E+999999 is never multiplied out
        raise NumberError(TOO_LARGE, text=shown, max=format_yuan(max_fen))
    fen = value * FEN_PER_YUAN
    if fen != fen.to_integral_value():
        raise NumberError(TOO_MANY_DECIMALS, text=shown, places=2)
    return int(fen)


def yuan_to_fen(
    value: str | Decimal | int, *, negative: bool = False, max_fen: int = MAX_FEN
) -> int:
    """An amount in yuan with at most two decimals, as fen; refuses anything else.

    ``"1,234.5"`` → 123450. A third decimal is an error, not a rounding: an import must carry
    exactly what the core lending system has. A negative amount only with ``negative=True``;
    more than ``max_fen`` (default ¥100,000,000.00) is refused. Raises :class:`NumberError`
    (a ``ValueError``) saying why.
    """
    if isinstance(value, bool) or not isinstance(value, str | Decimal | int):
        raise TypeError(f"an amount is text, a Decimal or an int, not {type(value).__name__}")
    if isinstance(value, str):
        shown = _shown(value.strip())
        fen = int(parse_decimal(value, places=2, negative=negative) * FEN_PER_YUAN)
    else:
        shown = _shown(str(value))
        fen = _decimal_to_fen(Decimal(value), negative=negative, max_fen=max_fen)
    if abs(fen) > max_fen:
        raise NumberError(TOO_LARGE, text=shown, max=format_yuan(max_fen))
    return fen


def fen_to_yuan(fen: int) -> Decimal:
    """Integer fen to a two-decimal ``Decimal`` of yuan."""
    return (Decimal(fen) / FEN_PER_YUAN).quantize(Decimal("0.01"))


def format_yuan(fen: int) -> str:
    """``123456`` → ``"¥1,234.56"``."""
    return f"¥{fen_to_yuan(fen):,.2f}"


class YuanField(forms.Field):
    """A form field for an amount in yuan, cleaned to integer fen by :func:`yuan_to_fen`.

    Empty is ``None`` (when not required). ``min_fen`` is the smallest amount accepted (1 for
    "more than zero"); negatives only with ``negative=True``. A refusal is the parser's reason,
    beside the field.
    """

    def __init__(
        self,
        *,
        negative: bool = False,
        min_fen: int | None = None,
        max_fen: int = MAX_FEN,
        **kwargs: Any,
    ) -> None:
        self.negative = negative
        self.min_fen = min_fen
        self.max_fen = max_fen
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "decimal"}))
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> int | None:
        if value in self.empty_values:
            return None
        try:
            return yuan_to_fen(str(value), negative=self.negative, max_fen=self.max_fen)
        except NumberError as exc:
            raise forms.ValidationError(str(exc), code="amount") from exc

    def validate(self, value: Any) -> None:
        super().validate(value)
        if value is not None and self.min_fen is not None and value < self.min_fen:
            raise forms.ValidationError(
                str(BELOW_MINIMUM) % {"min": format_yuan(self.min_fen)}, code="min_value"
            )

    def prepare_value(self, value: Any) -> Any:
        """Fen given as the initial value are shown in yuan; typed text is shown as typed."""
        if isinstance(value, int) and not isinstance(value, bool):
            return str(fen_to_yuan(value))
        return value


class WholeField(forms.Field):
    """A form field for a whole number in plain digits, ``min_value``–``max_value``, by
    :func:`parse_whole` (so ``٣`` and ``1e3`` are refused as they are for amounts)."""

    def __init__(self, *, min_value: int, max_value: int, **kwargs: Any) -> None:
        self.min_value = min_value
        self.max_value = max_value
        kwargs.setdefault("widget", forms.NumberInput(attrs={"min": min_value, "max": max_value}))
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> int | None:
        if value in self.empty_values:
            return None
        try:
            return parse_whole(str(value), low=self.min_value, high=self.max_value)
        except NumberError as exc:
            raise forms.ValidationError(str(exc), code="whole") from exc
