"""``{% load ui %}``: what every app's templates share.

- ``{{ amount_fen|yuan }}``: integer fen as ``¥1,234.56`` (``—`` when there is no amount);
- ``{% page_query n %}``: the request's query string with ``page=n`` (``ui/_pager.html``)."""

from __future__ import annotations

from typing import Any

from django import template

from autocollect.core.money import format_yuan

register = template.Library()


@register.filter
def yuan(fen: int | None) -> str:
    return "—" if fen is None or fen == "" else format_yuan(int(fen))


@register.simple_tag(takes_context=True)
def page_query(context: dict[str, Any], number: int) -> str:
    request = context["request"]
    query = request.GET.copy()
    query["page"] = str(number)
    return str(query.urlencode())
