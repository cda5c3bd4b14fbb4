"""``fields|field_specs``: "name:caption:kind …" → [(name, caption, kind)] for small forms."""

from __future__ import annotations

from django import template
from django.utils.translation import gettext

register = template.Library()


@register.filter
def field_specs(spec: str) -> list[tuple[str, str, str]]:
    rows = []
    for item in spec.split():
        name, caption, kind = item.split(":")
        rows.append((name, gettext(caption), kind))
    return rows
