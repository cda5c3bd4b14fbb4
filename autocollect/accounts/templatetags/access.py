"""``{% load access %}``: ``{% if user|can:"view_team" %}`` in any template (accounts.access)."""

from __future__ import annotations

from typing import Any

from django import template

from autocollect.accounts.access import has_permission

register = template.Library()


@register.filter
def can(user: Any, perm: str) -> bool:
    """``{% if user|can:"view_team" %}``: the user holds the permission code."""
    return has_permission(user, perm)
