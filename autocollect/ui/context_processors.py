"""What ``ui/base.html`` needs on every page: the menu for ``request.user``, the registered
scripts and the site's root (the brand link)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import get_script_prefix
from django.utils.functional import SimpleLazyObject

from autocollect.ui.assets import page_scripts
from autocollect.ui.menu import menu_for


def ui(request: HttpRequest) -> dict[str, Any]:
    return {
        # Lazy: an htmx partial that shows no menu does not build it.
        "ui_menu": SimpleLazyObject(lambda: menu_for(request)),
        "ui_scripts": page_scripts(),
        "ui_home": get_script_prefix(),
    }
