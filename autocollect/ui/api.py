"""What every API router shares: the pagination of list endpoints, the error shape and yuan
strings beside integer fen."""

from __future__ import annotations

from typing import Any

from ninja import Field, Schema
from ninja.pagination import LimitOffsetPagination

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
