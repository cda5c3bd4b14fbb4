"""``{% load ui %}``: what every app's templates share.

- ``{{ amount_fen|yuan }}``: integer fen as ``¥1,234.56`` (``—`` when there is no amount);
- ``{% page_query n %}``: the request's query string with ``page=n`` (``ui/_pager.html``);
- ``{% submission_token %}``: the hidden one-time token every form that changes something
  carries, so that sending it twice does the work once (``ui.submissions``)."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from autocollect.core.money import format_yuan
from autocollect.ui.submissions import FIELD, new_token

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


@register.simple_tag
def submission_token() -> SafeString:
    return format_html('<input type="hidden" name="{}" value="{}">', FIELD, new_token())
