"""Domain errors: carry a translatable message and, for input, where it went wrong."""

from __future__ import annotations


class ApplicationError(Exception):
    """An expected failure that a user can act on; never shown as a stack trace."""

    def __init__(self, message: str, *, extra: dict[str, object] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.extra = extra or {}


def refuse(refusal: str) -> None:
    """Raise ``refusal`` as an ``ApplicationError`` unless it is "" (a refusal predicate's
    answer when the user may go ahead)."""
    if refusal:
        raise ApplicationError(refusal)


class FieldValidationError(ApplicationError):
    """One field of one input row is wrong."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason
