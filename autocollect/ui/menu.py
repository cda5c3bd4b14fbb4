"""The main navigation, as entries each app registers for its own pages.

``ui/base.html`` shows the entries visible to the user, in ``order``; no template names another
app's URLs. An app registers its entries in its ``AppConfig.ready()`` (DESIGN.md, style rule
11)::

    menu_register(
        MenuItem(
            key="queue",
            label=_("我的队列"),
            url="workbench:queue",
            order=20,
            visible=lambda user: has_permission(user, "work_cases"),
            current=on_urls("workbench", "queue", "case_detail", "case_log"),
        )
    )

``visible`` decides from the user alone (no query per entry: the menu is on every page);
``current`` marks the entry ``aria-current="page"`` for the request being shown.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.functional import Promise

User = Any  # a user or AnonymousUser; ``ui`` sits below ``accounts`` and cannot name its model


def _always(user: User) -> bool:
    return True


def _never(request: HttpRequest) -> bool:
    return False


@dataclass(frozen=True)
class MenuItem:
    """One link of the main navigation.

    ``url`` is a URL name to reverse (``"workbench:queue"``) or a path starting with ``/``
    (``"/api/docs"``); ``label`` is translated when shown (``gettext_lazy``)."""

    key: str
    label: str | Promise
    url: str
    order: int
    visible: Callable[[User], bool] = field(default=_always)
    current: Callable[[HttpRequest], bool] = field(default=_never)

    def href(self) -> str:
        return self.url if self.url.startswith("/") else reverse(self.url)


@dataclass(frozen=True)
class MenuLink:
    """An entry as one page shows it."""

    key: str
    label: str | Promise
    href: str
    current: bool


_ITEMS: dict[str, MenuItem] = {}


def menu_register(*items: MenuItem) -> None:
    """Add entries; registering a key again replaces its entry (``ready()`` may run twice in
    tests)."""
    for item in items:
        _ITEMS[item.key] = item


def menu_items() -> list[MenuItem]:
    return sorted(_ITEMS.values(), key=lambda item: (item.order, item.key))


def menu_for(request: HttpRequest) -> list[MenuLink]:
    """The entries ``request.user`` may see, in order, the current one marked."""
    user = getattr(request, "user", None)
    return [
        MenuLink(key=item.key, label=item.label, href=item.href(), current=item.current(request))
        for item in menu_items()
        if item.visible(user)
    ]


def on_app(app_name: str) -> Callable[[HttpRequest], bool]:
    """Current on every page of the URL namespace ``app_name``."""

    def current(request: HttpRequest) -> bool:
        match = getattr(request, "resolver_match", None)
        return match is not None and match.app_name == app_name

    return current


def on_urls(app_name: str, *url_names: str) -> Callable[[HttpRequest], bool]:
    """Current on the pages ``url_names`` of the namespace ``app_name``."""

    def current(request: HttpRequest) -> bool:
        match = getattr(request, "resolver_match", None)
        return match is not None and match.app_name == app_name and match.url_name in url_names

    return current
