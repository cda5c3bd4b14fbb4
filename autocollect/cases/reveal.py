"""Revealing a masked personal field (a borrower's national ID, a contact point's value) to a
user who may see the borrower's case, with the reason they gave (docs/privacy.md, "Reveal")."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import models
from django.utils.translation import gettext as _

from autocollect.accounts.access import has_permission
from autocollect.audit.services import audit_record
from autocollect.cases.selectors import restrict_borrowers
from autocollect.core.errors import ApplicationError, Refused
from autocollect.core.masking import mask_contact, mask_national_id
from autocollect.portfolio.models import Borrower, ContactPoint
from autocollect.privacy.fields import MaskedField, derived_fields

MAX_REASON = 500
# What may be revealed: the encrypted field of each kind of record (the contract of the
# workbench's reveal button).
REVEALABLE: dict[type[models.Model], str] = {Borrower: "national_id", ContactPoint: "value"}


def _masked(obj: models.Model, field: str) -> str:
    for derived in derived_fields(type(obj), field):
        if isinstance(derived, MaskedField):
            stored = getattr(obj, derived.attname, "")
            if stored:
                return str(stored)
    if isinstance(obj, Borrower):
        return mask_national_id(obj.national_id)
    if isinstance(obj, ContactPoint):
        return mask_contact(obj.kind, obj.value)
    return "***"


def _borrower_id(obj: models.Model) -> int:
    if isinstance(obj, Borrower):
        return int(obj.pk)
    return int(obj.borrower_id)  # type: ignore[attr-defined]


def _visible(user: AbstractBaseUser | AnonymousUser, obj: models.Model) -> bool:
    borrowers = Borrower.objects.filter(pk=_borrower_id(obj))
    return restrict_borrowers(user, borrowers).exists()


def reveal(
    *, user: AbstractBaseUser | AnonymousUser, obj: models.Model, field: str, reason: str
) -> str:
    """The clear value of ``obj.field`` (a borrower's ``national_id``, a contact point's
    ``value``) for ``user``, who must hold ``reveal_pii``, see the borrower, and say why.

    Audited either way: ``pii.reveal`` with the stated reason, or ``pii.reveal_denied`` with
    what was missing. The audit holds the masked value, never the clear one. Raises
    ``Refused`` (no permission, or a borrower the user may not see) or
    ``ApplicationError`` (no reason).
    """
    if REVEALABLE.get(type(obj)) != field:
        raise ValueError(f"{type(obj).__name__}.{field} is not a revealable field")
    actor = user.get_username() if user.is_authenticated else "anonymous"
    stated = (reason or "").strip()[:MAX_REASON]
    facts: dict[str, Any] = {"field": field, "masked": _masked(obj, field)}
    if not has_permission(user, "reveal_pii"):
        _denied(actor, obj, facts, stated, "no_permission")
        raise Refused(_("您没有查看完整个人信息的权限。"))
    if not _visible(user, obj):
        _denied(actor, obj, facts, stated, "not_visible")
        raise Refused(_("您无权查看该借款人的信息。"))
    if not stated:
        _denied(actor, obj, facts, stated, "no_reason")
        raise ApplicationError(_("查看完整信息需要填写原因。"))
    # Read again from the database: the value on file, not what the caller holds in memory.
    value = type(obj)._default_manager.filter(pk=obj.pk).values_list(field, flat=True).get()
    audit_record(actor=actor, action="pii.reveal", obj=obj, after=facts, reason=stated)
    return str(value)


def _denied(actor: str, obj: models.Model, facts: dict[str, Any], reason: str, why: str) -> None:
    audit_record(
        actor=actor,
        action="pii.reveal_denied",
        obj=obj,
        after={**facts, "denied": why},
        reason=reason,
    )
