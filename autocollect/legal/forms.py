"""Parsing of the legal and hard-cases forms: small, strict, with the field that is wrong in
the message (the pages post plain fields; the services do the domain checks)."""

from __future__ import annotations

from datetime import date

from django.http import QueryDict
from django.utils.translation import gettext as _

from autocollect.core.errors import FieldValidationError
from autocollect.core.money import yuan_to_fen


def text(data: QueryDict, name: str, *, required: bool = False) -> str:
    value = str(data.get(name, "")).strip()
    if required and not value:
        raise FieldValidationError(name, _("必填"))
    return value


def day(data: QueryDict, name: str) -> date:
    raw = text(data, name, required=True)
    try:
        return date.fromisoformat(raw)
    except ValueError as exc:
        raise FieldValidationError(name, _("日期格式应为 YYYY-MM-DD")) from exc


def fen(data: QueryDict, name: str, *, required: bool = True) -> int | None:
    raw = text(data, name, required=required)
    if not raw:
        return None
    try:
        return yuan_to_fen(raw)
    except ValueError as exc:
        raise FieldValidationError(name, _("金额应为元，最多两位小数")) from exc


def whole(data: QueryDict, name: str) -> int | None:
    raw = text(data, name)
    if not raw:
        return None
    if not raw.isdigit():
        raise FieldValidationError(name, _("应为非负整数"))
    return int(raw)
