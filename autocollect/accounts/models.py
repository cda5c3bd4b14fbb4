"""Users of autocollect. A custom user model from the start, so that roles, teams and
certification live on the user rather than in side tables."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    # 明确催收权限: only a collector who passed training and holds a current authorisation may
    # contact borrowers; the contact gate refuses human contact otherwise (docs/compliance.md).
    collection_certified = models.BooleanField(_("已通过催收培训认证"), default=False)
    collection_authorised = models.BooleanField(_("已获催收授权"), default=False)

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")

    @property
    def may_collect(self) -> bool:
        return self.is_active and self.collection_certified and self.collection_authorised
