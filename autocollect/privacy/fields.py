"""Model fields for personal data at rest (docs/privacy.md).

* :class:`EncryptedTextField` holds the clear value on the model instance and the sealed value
  (``core.crypto.encrypt``) in the column: it seals on every write (``save``, ``bulk_create``,
  ``update``) and opens on every read (instances, ``values``, ``values_list``). It cannot be
  filtered on, ordered by meaningfully, or searched: the ciphertext differs every time. Look a
  value up through its blind index instead.
* :class:`BlindIndexField` is the keyed hash of another field of the same instance, computed
  when the row is written (``pre_save``: ``save`` and ``bulk_create``).
* :class:`MaskedField` is a masked copy of another field (``138****1234``), computed the same
  way, so that lists and exports show a value without opening it.

A queryset ``update()`` of an encrypted field does not refresh its index or masked copy;
write through the instance (``save``) or set them too. Code that writes rows around the ORM
(the importers' ``COPY``) seals, indexes and masks with the functions of this module.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from django.core.exceptions import FieldError
from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Lookup
from django.db.models.lookups import IsNull

from autocollect.core import crypto
from autocollect.core.masking import (
    mask_address,
    mask_contact,
    mask_email,
    mask_national_id,
    mask_phone,
)

_MAINLAND_MOBILE = re.compile(r"^\+861\d{10}$")
PHONE_CHANNELS = frozenset({"call", "robot_call", "sms"})


def mask_contact_value(kind: str, value: str) -> str:
    """``core.masking.mask_contact`` with a fast path for mainland mobiles in E.164 (almost
    every stored number): ``+8613812341234`` → ``138****1234`` without parsing the number."""
    if kind in ("mobile", "landline") and _MAINLAND_MOBILE.match(value):
        return f"{value[3:6]}****{value[-4:]}"
    return mask_contact(kind, value)


def mask_channel_value(channel: str, value: str) -> str:
    """The masked address of a contact on ``channel`` (a number, an e-mail or a postal
    address), as interactions and messages store it."""
    if channel in PHONE_CHANNELS:
        if _MAINLAND_MOBILE.match(value):
            return f"{value[3:6]}****{value[-4:]}"
        return mask_phone(value)
    if channel == "email":
        return mask_email(value)
    return mask_address(value)


def _mask_national_id(instance: models.Model, value: str) -> str:
    return mask_national_id(value)


def _mask_contact(instance: models.Model, value: str) -> str:
    return mask_contact_value(str(getattr(instance, "kind", "")), value)


def _mask_by_channel(instance: models.Model, value: str) -> str:
    return mask_channel_value(str(getattr(instance, "channel", "")), value)


# How a masked copy is made from the instance and the clear value, by name (names, not
# functions, go into migrations).
MASKERS: dict[str, Callable[[models.Model, str], str]] = {
    "national_id": _mask_national_id,
    "contact": _mask_contact,
    "channel": _mask_by_channel,
}


class _RefusedLookup(Lookup):
    """Any comparison with an encrypted column: refused with a hint, never silently empty."""

    def __init__(self, lhs: Any, rhs: Any) -> None:
        target = getattr(lhs, "target", None)
        name = getattr(target, "name", "this field")
        raise FieldError(
            f"{name} is encrypted at rest and cannot be compared in the database; filter on its "
            "blind index (core.crypto.national_id_index / contact_index) instead"
        )


class EncryptedTextField(models.TextField):
    """Clear text in Python, AES-GCM ciphertext in the column (``core.crypto``)."""

    description = "Text encrypted at rest"

    def from_db_value(
        self, value: str | None, expression: Any, connection: BaseDatabaseWrapper
    ) -> str | None:
        if value is None:
            return None
        return crypto.decrypt(value)

    def get_db_prep_save(self, value: Any, connection: BaseDatabaseWrapper) -> Any:
        value = super().get_db_prep_save(value, connection)
        if value is None or hasattr(value, "resolve_expression"):
            return value
        return crypto.encrypt(str(value))

    def get_lookup(self, lookup_name: str) -> Any:
        if lookup_name == "isnull":
            return IsNull
        return _RefusedLookup


class _DerivedField(models.CharField):
    """A column computed from another field of the same instance whenever the row is written."""

    def __init__(self, *args: Any, source: str = "", **kwargs: Any) -> None:
        self.source = source
        kwargs.setdefault("editable", False)
        kwargs.setdefault("blank", True)
        super().__init__(*args, **kwargs)

    def derive(self, instance: models.Model, value: str) -> str:
        raise NotImplementedError

    def pre_save(self, model_instance: models.Model, add: bool) -> Any:
        value = getattr(model_instance, self.source)
        derived = None if value is None else self.derive(model_instance, str(value))
        setattr(model_instance, self.attname, derived)
        return derived

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs["source"] = self.source
        kwargs.pop("editable", None)
        kwargs.pop("blank", None)
        return name, path, args, kwargs


class BlindIndexField(_DerivedField):
    """HMAC-SHA256 of ``source`` for ``purpose`` (``core.crypto.blind_index``), 64 hex digits."""

    description = "Blind index (keyed hash) of another field"

    def __init__(self, *args: Any, purpose: str = "", **kwargs: Any) -> None:
        self.purpose = purpose
        kwargs.setdefault("max_length", 64)
        super().__init__(*args, **kwargs)

    def derive(self, instance: models.Model, value: str) -> str:
        return crypto.blind_index(value, self.purpose)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs["purpose"] = self.purpose
        if kwargs.get("max_length") == 64:
            kwargs.pop("max_length")
        return name, path, args, kwargs


class MaskedField(_DerivedField):
    """A masked copy of ``source`` (``MASKERS[masker]``), safe to list and export."""

    description = "Masked copy of another field"

    def __init__(self, *args: Any, masker: str = "", **kwargs: Any) -> None:
        self.masker = masker
        kwargs.setdefault("max_length", 64)
        super().__init__(*args, **kwargs)

    def derive(self, instance: models.Model, value: str) -> str:
        return MASKERS[self.masker](instance, value)[: self.max_length]

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs["masker"] = self.masker
        if kwargs.get("max_length") == 64:
            kwargs.pop("max_length")
        return name, path, args, kwargs


def encrypted_fields() -> list[tuple[type[models.Model], EncryptedTextField]]:
    """Every encrypted column of the installed models (what key rotation re-encrypts)."""
    from django.apps import apps

    found = []
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if isinstance(field, EncryptedTextField):
                found.append((model, field))
    return found


def derived_fields(model: type[models.Model], source: str) -> list[_DerivedField]:
    """The blind indexes and masked copies computed from ``model.source``."""
    return [
        f
        for f in model._meta.concrete_fields
        if isinstance(f, _DerivedField) and f.source == source
    ]
