"""Hardship claims (声称无力偿还): the claim, its documents and the decision
(docs/hardship.md)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from autocollect.cases.models import CollectionCase
from autocollect.hardship.claim_types import ClaimType, DocumentType


class ClaimState(models.TextChoices):
    AWAITING_DOCUMENTS = "awaiting_documents", _("待补充材料")
    READY = "ready", _("材料齐全，待决定")
    ARRANGEMENT = "arrangement", _("同意协商还款方案")
    PAUSED = "paused", _("暂停催收")
    REJECTED = "rejected", _("不予认定")
    BAD_FAITH = "bad_faith", _("恶意逃债，转法务")
    LAPSED = "lapsed", _("逾期未补材料")
    WITHDRAWN = "withdrawn", _("已撤回")


OPEN_STATES = (ClaimState.AWAITING_DOCUMENTS, ClaimState.READY)
# The claim's state machine (docs/hardship.md): the states each state may move to.
TRANSITIONS: dict[str, frozenset[str]] = {
    ClaimState.AWAITING_DOCUMENTS: frozenset(
        {
            ClaimState.READY,
            ClaimState.REJECTED,
            ClaimState.BAD_FAITH,
            ClaimState.LAPSED,
            ClaimState.WITHDRAWN,
        }
    ),
    ClaimState.READY: frozenset(
        {
            ClaimState.ARRANGEMENT,
            ClaimState.PAUSED,
            ClaimState.REJECTED,
            ClaimState.BAD_FAITH,
            ClaimState.WITHDRAWN,
        }
    ),
    ClaimState.ARRANGEMENT: frozenset(),
    ClaimState.PAUSED: frozenset(),
    ClaimState.REJECTED: frozenset(),
    ClaimState.BAD_FAITH: frozenset(),
    ClaimState.LAPSED: frozenset(),
    ClaimState.WITHDRAWN: frozenset(),
}


class HardshipClaim(models.Model):
    case = models.ForeignKey(
        CollectionCase, on_delete=models.PROTECT, related_name="hardship_claims"
    )
    claim_type = models.CharField(_("困难类型"), max_length=20, choices=ClaimType.choices)
    description = models.TextField(_("情况说明"))
    state = models.CharField(
        _("状态"),
        max_length=20,
        choices=ClaimState.choices,
        default=ClaimState.AWAITING_DOCUMENTS,
    )
    filed_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    filed_at = models.DateTimeField(_("登记时间"))
    documents_due_on = models.DateField(_("材料截止日期"))
    decided_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("决定时间"), null=True, blank=True)
    decision_note = models.TextField(_("决定说明"), blank=True)
    pause_until = models.DateField(_("暂停至"), null=True, blank=True)

    class Meta:
        verbose_name = _("困难申请")
        verbose_name_plural = _("困难申请")
        constraints = [
            models.UniqueConstraint(
                fields=["case"],
                condition=models.Q(state__in=["awaiting_documents", "ready"]),
                name="hardship_one_open_claim_per_case",
            )
        ]
        indexes = [models.Index(fields=["state", "documents_due_on"])]

    def __str__(self) -> str:
        return f"{self.get_claim_type_display()} #{self.pk}"


class ClaimDocument(models.Model):
    """One proof of a claim, stored with its SHA-256, verified (or refused) by a named user
    other than the one who uploaded it."""

    claim = models.ForeignKey(HardshipClaim, on_delete=models.PROTECT, related_name="documents")
    doc_type = models.CharField(_("材料类型"), max_length=30, choices=DocumentType.choices)
    original_name = models.CharField(_("文件名"), max_length=255)
    stored_path = models.CharField(max_length=500)
    sha256 = models.CharField(max_length=64)
    size_bytes = models.PositiveIntegerField()
    content_type = models.CharField(max_length=100)
    uploaded_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(_("上传时间"))
    verified_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    verified_at = models.DateTimeField(_("核验时间"), null=True, blank=True)
    verified_ok = models.BooleanField(_("核验通过"), null=True)
    verification_note = models.TextField(_("核验说明"), blank=True)

    class Meta:
        verbose_name = _("困难证明材料")
        verbose_name_plural = _("困难证明材料")

    def __str__(self) -> str:
        return f"{self.claim_id} {self.doc_type}"
