"""Append-only, keyed hash chain of audit events (docs/audit.md).

Each event stores the hash of the event before it and its own HMAC-SHA256 over its content and
that link, under a key kept outside the database (``key_id`` names it), so editing or deleting
any row breaks the chain at that row and a rewrite needs the key. The chain head (a single row)
holds the count, last hash and last id; checkpoints of it written outside the database
(``audit/checkpoints.py``) catch the newest events removed with the head rewound. Events with an
empty ``key_id`` were written before the chain was keyed (plain SHA-256, the legacy scheme).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

GENESIS_HASH = "0" * 64


class AuditEvent(models.Model):
    at = models.DateTimeField(_("时间"), db_index=True)
    actor = models.CharField(_("操作人"), max_length=150)
    action = models.CharField(_("动作"), max_length=80, db_index=True)
    object_type = models.CharField(_("对象类型"), max_length=80)
    object_id = models.CharField(
        pgettext_lazy("audited object", "对象"), max_length=80, db_index=True
    )
    before = models.JSONField(_("变更前"), null=True, blank=True)
    after = models.JSONField(_("变更后"), null=True, blank=True)
    reason = models.TextField(_("原因"), blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)
    # Id of the HMAC key that sealed the event; "" for the unkeyed legacy scheme.
    key_id = models.CharField(max_length=16, blank=True, default="")

    class Meta:
        verbose_name = _("审计事件")
        verbose_name_plural = _("审计事件")
        ordering = ["id"]

    def __str__(self) -> str:
        when = f"{self.at:%Y-%m-%d %H:%M:%S}"
        return f"{when} {self.actor} {self.action} {self.object_type}:{self.object_id}"


class AuditChainHead(models.Model):
    """The single row every append locks: last hash and number of events."""

    last_hash = models.CharField(max_length=64, default=GENESIS_HASH)
    count = models.BigIntegerField(default=0)
    last_id = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("审计链头")
        verbose_name_plural = _("审计链头")

    def __str__(self) -> str:
        return f"{self.count} events, head {self.last_hash[:12]}"
