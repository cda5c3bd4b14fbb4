"""``{{ amount_fen|yuan }}`` for the legal and hard-cases pages."""

from __future__ import annotations

from django import template

from autocollect.core.money import format_yuan

register = template.Library()


@register.filter
def yuan(fen: int | None) -> str:
    return "—" if fen is None else format_yuan(int(fen))
