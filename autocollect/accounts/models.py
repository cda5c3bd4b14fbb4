"""The organisation: users (a custom user model from the start, so that roles and
certification live on the user rather than in side tables), their teams and the work queues
the daily plan fills (docs/roles.md, docs/strategy.md)."""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils.translation import gettext_lazy as _

from autocollect.accounts.roles import Role
from autocollect.core import clock
from autocollect.core.fields import StampField


class AutocollectUserManager(UserManager["User"]):
    def create_superuser(
        self, username: str, email: str | None = None, password: str | None = None, **extra: Any
    ) -> User:
        extra.setdefault("role", Role.ADMIN)
        return super().create_superuser(username, email, password, **extra)


class User(AbstractUser):
    role = models.CharField(_("角色"), max_length=20, choices=Role.choices, default=Role.COLLECTOR)
    # 明确催收权限: only a collector who passed training and holds a current authorisation may
    # contact borrowers; the contact gate refuses human contact otherwise (docs/compliance.md).
    collection_certified = models.BooleanField(_("已通过催收培训认证"), default=False)
    collection_authorised = models.BooleanField(_("已获催收授权"), default=False)

    objects: ClassVar[AutocollectUserManager] = AutocollectUserManager()

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")

    def save(self, *args: Any, **kwargs: Any) -> None:
        # The admin site belongs to the admin role: staff status follows the role, so that
        # no other role can be let into it by ticking a box (docs/roles.md).
        self.is_staff = self.is_admin
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "role" in update_fields:
            kwargs["update_fields"] = {*update_fields, "is_staff"}
        super().save(*args, **kwargs)

    @property
    def is_admin(self) -> bool:
        """A superuser counts as an administrator whatever its role field says."""
        return self.is_superuser or self.role == Role.ADMIN

    @property
    def effective_role(self) -> str:
        return Role.ADMIN.value if self.is_admin else str(self.role)

    @property
    def may_collect(self) -> bool:
        return self.is_active and self.collection_certified and self.collection_authorised


class ApiToken(models.Model):
    """A personal API token (``Authorization: Bearer <token>``).

    Only the SHA-256 of the token is stored; the token itself is shown once, when it is
    created (``autocollect token create``). The prefix is kept in clear so that a person can
    tell their tokens apart and revoke one.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="api_tokens",
        verbose_name=_("用户"),
    )
    name = models.CharField(_("名称"), max_length=100, blank=True)
    prefix = models.CharField(_("前缀"), max_length=16, db_index=True)
    hashed_key = models.CharField(_("令牌摘要"), max_length=64, unique=True)
    created_at = StampField(_("创建时间"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True)
    expires_at = models.DateTimeField(_("过期时间"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("吊销时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("API 令牌")
        verbose_name_plural = _("API 令牌")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user_id}, {self.name or '-'})"

    @property
    def is_active(self) -> bool:
        now = clock.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)


class Team(models.Model):
    name = models.CharField(_("团队名称"), max_length=100, unique=True)
    lead = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="led_teams",
        verbose_name=_("组长"),
    )
    agents = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="teams", verbose_name=_("催收员")
    )
    # Planned work per agent per day; the team's capacity is agents × this.
    minutes_per_agent = models.PositiveIntegerField(_("每人每日工作分钟"), default=360)

    class Meta:
        verbose_name = _("催收团队")
        verbose_name_plural = _("催收团队")

    def __str__(self) -> str:
        return self.name


class WorkQueue(models.Model):
    code = models.SlugField(_("队列代码"), max_length=40, unique=True)
    name = models.CharField(_("队列名称"), max_length=100)
    team = models.ForeignKey(
        Team,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="queues",
        verbose_name=_("团队"),
    )

    class Meta:
        verbose_name = _("工作队列")
        verbose_name_plural = _("工作队列")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"
