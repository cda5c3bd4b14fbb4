"""Model fields of the house."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import models

from autocollect.core import clock


class StampField(models.DateTimeField):
    """A ``DateTimeField`` whose ``auto_now`` / ``auto_now_add`` stamps come from the product's
    clock (``core.clock.now``), so that rows written in a simulation carry the simulated
    moment like everything else. In the database and in migrations it is a plain
    ``DateTimeField``: ``deconstruct`` names Django's class, so swapping one for the other
    needs no migration."""

    def pre_save(self, model_instance: models.Model, add: bool) -> datetime | None:
        if self.auto_now or (self.auto_now_add and add):
            value = clock.now()
            setattr(model_instance, self.attname, value)
            return value
        return super().pre_save(model_instance, add)

    def deconstruct(self) -> Any:
        name, _path, args, kwargs = super().deconstruct()
        return name, "django.db.models.DateTimeField", args, kwargs
