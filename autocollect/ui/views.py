"""The error pages' views (``config/urls.py`` names them as Django's handlers).

403 shows the refusal's own message (``core.errors.Refused``, translated when raised) and a
general one for any other ``PermissionDenied``, whose text may not be fit to show. 404 and 500
are Django's own views rendering ``404.html`` and ``500.html`` from ``ui/templates``."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from autocollect.core.errors import Refused


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    message = exception.message if isinstance(exception, Refused) else ""
    return render(request, "403.html", {"message": message}, status=403)
