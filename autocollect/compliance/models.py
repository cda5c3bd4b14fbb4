"""Compliance state the contact gate reads: holds, consented hours, and the record of every
gate decision about a real contact."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from autocollect.cases.models import CollectionCase
from autocollect.portfolio.models import Borrower
from autocollect.privacy.fields import EncryptedTextField


class HoldReason(models.TextChoices):
    DISPUTE = "dispute", _("争议处理中")
    COMPLAINT = "complaint", _("投诉调查中")
    EMOTIONAL_DISTRESS = "emotional_distress", _("情绪激动暂停沟通")
    LAWYER = "lawyer", _("已委托律师")
    VEHICLE_DISPOSED = "vehicle_disposed", _("车辆已被处置（暂停所有催收）")
    DECEASED = "deceased", _("借款人已故")
    LEGAL = "legal", _("已移交法务")


class ContactHold(models.Model):
    """While active (not released), no collection contact for the case's borrower."""

    case = models.ForeignKey(CollectionCase, on_delete=models.CASCADE, related_name="holds")
    reason = models.CharField(_("原因"), max_length=20, choices=HoldReason.choices)
    placed_at = models.DateTimeField(_("开始时间"))
    placed_by = models.CharField(_("操作人"), max_length=150)
    released_at = models.DateTimeField(_("解除时间"), null=True, blank=True)
    released_by = models.CharField(_("解除人"), max_length=150, blank=True)
    note = models.TextField(_("说明"), blank=True)

    class Meta:
        verbose_name = _("联系暂停")
        verbose_name_plural = _("联系暂停")
        indexes = [models.Index(fields=["case", "released_at"])]

    def __str__(self) -> str:
        return f"{self.case_id} {self.reason}"


class ContactConsent(models.Model):
    """Hours outside the standard window that the borrower agreed to be contacted in."""

    borrower = models.ForeignKey(
        Borrower, on_delete=models.CASCADE, related_name="contact_consents"
    )
    start = models.TimeField(_("开始"))
    end = models.TimeField(_("结束"))
    recorded_at = models.DateTimeField(_("记录时间"))
    recorded_by = models.CharField(_("记录人"), max_length=150)

    class Meta:
        verbose_name = _("同意联系时段")
        verbose_name_plural = _("同意联系时段")

    def __str__(self) -> str:
        return f"{self.borrower_id} {self.start}–{self.end}"


class ContactDecision(models.Model):
    """Append-only record of each gate decision about a real contact (allowed or blocked)."""

    case = models.ForeignKey(
        CollectionCase, on_delete=models.PROTECT, related_name="contact_decisions"
    )
    decided_at = models.DateTimeField(_("决定时间"))
    contact_at = models.DateTimeField(_("拟联系时间"))
    channel = models.CharField(max_length=12)
    party = models.CharField(max_length=12)
    # Encrypted at rest (docs/privacy.md).
    number = EncryptedTextField()
    policy = models.CharField(max_length=200)
    allowed = models.BooleanField()
    rules = models.JSONField(default=list)
    reasons = models.JSONField(default=list)
    next_allowed_at = models.DateTimeField(null=True, blank=True)
    requested_by = models.CharField(max_length=150)

    class Meta:
        verbose_name = _("合规判定记录")
        verbose_name_plural = _("合规判定记录")
        indexes = [models.Index(fields=["case", "decided_at"])]

    def __str__(self) -> str:
        return f"{self.case_id} {self.channel} {'allowed' if self.allowed else 'blocked'}"
