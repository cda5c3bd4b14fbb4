"""The site's URLs plus one view that fails, for the 500 page's browser test
(``tests/ui/test_error_pages_browser.py``). Django looks the error handlers up on the root URL
module, so this one carries the site's ``handler403``."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import path

from config.urls import handler403
from config.urls import urlpatterns as site_urlpatterns

__all__ = ["handler403", "urlpatterns"]


def fails(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("a bug, for the 500 page")


urlpatterns = [path("test-only/fails/", fails), *site_urlpatterns]
