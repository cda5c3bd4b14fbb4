"""Domain errors (DESIGN.md, style rules 7 and 12), each with a message translated when raised.

Two kinds, answered differently everywhere:

- ``Refused``: the user may not do this — their role, a case they may not act on, or the state
  of the thing (an arrangement no longer awaiting approval). Raised by ``refuse(reason)`` from
  the refusal predicates (``*_refusal()``, "" when the user may go ahead) that the pages also
  ask to hide a form and say why. A page answers it with the styled 403 page (it is Django's
  ``PermissionDenied``), the API with 403 ``{"detail": message}``.
- ``ApplicationError``: the input is wrong (a missing reason, an amount out of range). A form
  shows it beside the input; the API answers 422 ``{"detail": message, **extra}``.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied


class ApplicationError(Exception):
    """An expected failure that a user can act on; never shown as a stack trace."""

    def __init__(self, message: str, *, extra: dict[str, object] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.extra = extra or {}


class Refused(PermissionDenied):
    """The one refusal type: ``message`` (already translated) says why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def refuse(refusal: str) -> None:
    """Raise ``refusal`` as ``Refused`` unless it is "" (a refusal predicate's answer when the
    user may go ahead)."""
    if refusal:
        raise Refused(refusal)


class FieldValidationError(ApplicationError):
    """One field of one input row is wrong."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason
