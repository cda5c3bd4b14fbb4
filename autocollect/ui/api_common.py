"""What every API router shares: the pagination of list endpoints, the error shape and its
handlers, and yuan strings beside integer fen."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, NinjaAPI, Schema
from ninja.pagination import LimitOffsetPagination

from autocollect.core.errors import ApplicationError, Refused
from autocollect.core.money import fen_to_yuan

PAGE_DEFAULT = 50
PAGE_MAX = 500


def yuan(fen: int) -> str:
    """Integer fen as a two-decimal string of yuan: 123456 → ``"1234.56"``."""
    return str(fen_to_yuan(fen))


class ErrorOut(Schema):
    detail: str


class Pagination(LimitOffsetPagination):
    """``limit``/``offset`` with 50 rows by default; a ``limit`` above 500 is refused (422)
    rather than silently cut, so that a client never believes it has read everything."""

    class Input(Schema):
        limit: int = Field(PAGE_DEFAULT, ge=1, le=PAGE_MAX)
        offset: int = Field(0, ge=0)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_limit=PAGE_MAX, **kwargs)


NOT_FOUND: dict[int | str, Any] = {404: ErrorOut}


def error_handlers_register(api: NinjaAPI) -> None:
    """The API's answers to the domain errors (DESIGN.md, style rule 12), each
    ``{"detail": message}`` in the request's language:

    - a refusal (``core.errors.Refused``, or any other ``PermissionDenied``): 403;
    - invalid input (``ApplicationError``): 422, with the error's ``extra`` beside ``detail``
      (Ninja's own validation errors are 422 too, their ``detail`` pydantic's list);
    - a missing object, or one the caller may not see (``Http404``): 404, alike.
    """

    @api.exception_handler(ApplicationError)
    def application_error(request: HttpRequest, exc: ApplicationError) -> HttpResponse:
        return api.create_response(request, {"detail": exc.message, **exc.extra}, status=422)

    @api.exception_handler(PermissionDenied)
    def refused(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
        # Another PermissionDenied's text (Django's, a library's) may not be fit to show.
        message = exc.message if isinstance(exc, Refused) else _("您没有执行此操作的权限。")
        return api.create_response(request, {"detail": message}, status=403)

    @api.exception_handler(Http404)
    def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        # Http404's own text is for the log ("case not found").
        return api.create_response(request, {"detail": _("不存在，或您无权查看")}, status=404)
