from django import template

from autocollect.core.money import format_yuan

register = template.Library()


@register.filter
def yuan(fen: int | None) -> str:
    return format_yuan(int(fen or 0))
