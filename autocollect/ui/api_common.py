"""What every API router shares: the pagination of list endpoints, the bounded types of what a
request may carry (ids, small integers, dates and instants), the error shape and its handlers,
and yuan strings beside integer fen.

Bounds (docs/api.md, "Bounds"): every id a request carries, in the path, the query or the body,
is an ``ObjectId`` (1 … 2**63−1, what a ``BigAutoField`` holds); every offset is at most
``core.bounds.OFFSET_MAX``; every date or instant lies in its field's plausible window
(``core.bounds.date_problem``). Anything else is a 422 naming the field, before the view runs,
so an overflow never reaches Python's datetime arithmetic or the database.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated, Any

from django.core.exceptions import PermissionDenied
from django.db import DataError, connection, transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, NinjaAPI, Schema
from ninja.pagination import LimitOffsetPagination
from pydantic import AfterValidator

from autocollect.core.bounds import ID_MAX, INT32_MAX, OFFSET_MAX, date_problem
from autocollect.core.errors import ApplicationError, Refused
from autocollect.core.money import fen_to_yuan

# The last-resort handler below logs here: a record on this logger is a bound that is missing
# (the fuzz test, tests/ui/test_api_fuzz.py, fails on one).
safety_net_log = logging.getLogger("autocollect.api.out_of_range")

ObjectId = Annotated[int, Field(ge=1, le=ID_MAX, description="编号（1 至 2^63−1）")]
"""A row id in a path, a query or a body: what a ``BigAutoField`` holds."""

Int32 = Annotated[int, Field(ge=1, le=INT32_MAX)]
"""A positive number stored in an ``IntegerField`` / ``PositiveIntegerField`` (a version)."""

Offset = Annotated[int, Field(ge=0, le=OFFSET_MAX, description=f"跳过的行数（0 至 {OFFSET_MAX}）")]


def in_window(field: str) -> Callable[[Any], Any]:
    """A pydantic validator: the date (or the instant's own date) lies in ``field``'s plausible
    window (``core.bounds``), else a ``ValueError`` that Ninja answers with a 422 naming the
    field. ``Annotated[date, AfterValidator(in_window("pause"))]``."""

    def check(value: date | datetime) -> date | datetime:
        problem = date_problem(value, field)
        if problem:
            raise ValueError(problem)
        return value

    return check


AnyDate = Annotated[date, AfterValidator(in_window("default"))]
"""A date a query filters by: in the ``default`` window (50 years either side of today)."""

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
        offset: Offset = 0

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_limit=PAGE_MAX, **kwargs)


NOT_FOUND: dict[int | str, Any] = {404: ErrorOut}


def error_handlers_register(api: NinjaAPI) -> None:
    """The API's answers to the domain errors (DESIGN.md, style rule 12), each
    ``{"detail": message}`` in the request's language:

    - a refusal (``core.errors.Refused``, or any other ``PermissionDenied``): 403;
    - invalid input (``ApplicationError``): 422, with the error's ``extra`` beside ``detail``
      (Ninja's own validation errors are 422 too, their ``detail`` pydantic's list);
    - a missing object, or one the caller may not see (``Http404``): 404, alike;
    - last resort, a value too large for Python's arithmetic or for a column (``OverflowError``,
      the database's ``DataError``) that got past the bounds above: 422, and an error record on
      ``autocollect.api.out_of_range`` with the traceback, because it means a bound is missing
      (the fuzz test fails on one). The bounds, not this handler, are the fix.
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

    @api.exception_handler(OverflowError)
    @api.exception_handler(DataError)
    def out_of_range(request: HttpRequest, exc: Exception) -> HttpResponse:
        safety_net_log.error(
            "a value out of range got past the API's bounds: %s %s",
            request.method,
            request.path,
            exc_info=exc,
        )
        if isinstance(exc, DataError) and connection.in_atomic_block:
            transaction.set_rollback(True)
        return api.create_response(
            request, {"detail": _("请求中的某个值超出了允许的范围。")}, status=422
        )
