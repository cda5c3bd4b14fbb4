"""Parsing of the legal and hard-cases forms: small, strict, with the field that is wrong in
the message (the pages post plain fields; the services do the domain checks). Amounts and ids
by core.money's grammar; dates in the legal window of core.bounds (``"legal.on"``)."""

from __future__ import annotations

from datetime import date

from django.http import QueryDict
from django.utils.translation import gettext as _

from autocollect.core.bounds import ID_MAX, date_problem
from autocollect.core.errors import FieldValidationError
from autocollect.core.money import NumberError, ascii_digits, parse_whole, yuan_to_fen

DATE_WINDOW = "legal.on"


def text(data: QueryDict, name: str, *, required: bool = False) -> str:
    value = str(data.get(name, "")).strip()
    if required and not value:
        raise FieldValidationError(name, _("必填"))
    return value


def day(data: QueryDict, name: str) -> date:
    raw = text(data, name, required=True)
    try:
        value = date.fromisoformat(ascii_digits(raw))
    except ValueError as exc:
        raise FieldValidationError(name, _("日期格式应为 YYYY-MM-DD")) from exc
    problem = date_problem(value, DATE_WINDOW)
    if problem:
        raise FieldValidationError(name, problem)
    return value


def fen(data: QueryDict, name: str, *, required: bool = True) -> int | None:
    raw = text(data, name, required=required)
    if not raw:
        return None
    try:
        return yuan_to_fen(raw)
    except NumberError as exc:
        raise FieldValidationError(name, str(exc)) from exc


def whole(data: QueryDict, name: str) -> int | None:
    """A row id typed or posted (a deadline, a trace): plain digits, 0 to the id range."""
    raw = text(data, name)
    if not raw:
        return None
    try:
        return parse_whole(raw, low=0, high=ID_MAX)
    except NumberError as exc:
        raise FieldValidationError(name, str(exc)) from exc
