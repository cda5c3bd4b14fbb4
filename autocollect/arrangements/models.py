"""Repayment arrangements (分期 / 展期 / 减免): the proposal, its approval, the borrower's signed
confirmation (借款人签字确认) and the new schedule the daily cycle judges (docs/arrangements.md)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from autocollect.accounts.roles import Role
from autocollect.cases.models import CollectionCase
from autocollect.engine.arrangements import discount_bp
from autocollect.portfolio.models import Loan


class ArrangementKind(models.TextChoices):
    INSTALLMENT_PLAN = "installment_plan", _("分期还款")
    DEFERRAL = "deferral", _("展期")
    SETTLEMENT = "settlement", _("减免结清")


class ArrangementState(models.TextChoices):
    PROPOSED = "proposed", _("待审批")
    APPROVED = "approved", _("已批准，待借款人签字确认")
    REJECTED = "rejected", _("已驳回")
    WITHDRAWN = "withdrawn", _("已撤回")
    ACTIVE = "active", _("执行中")
    BROKEN = "broken", _("已违约")
    COMPLETED = "completed", _("已履行完毕")


# States in which a case has its arrangement "in play": at most one per case.
LIVE_STATES = (ArrangementState.PROPOSED, ArrangementState.APPROVED, ArrangementState.ACTIVE)


class Arrangement(models.Model):
    """One proposed arrangement for one case, with the balance it covers (by component, as of
    ``proposed_on``), the discount on each component and the agreed total."""

    case = models.ForeignKey(CollectionCase, on_delete=models.PROTECT, related_name="arrangements")
    loan = models.ForeignKey(Loan, on_delete=models.PROTECT, related_name="arrangements")
    kind = models.CharField(_("类型"), max_length=20, choices=ArrangementKind.choices)
    state = models.CharField(
        _("状态"),
        max_length=12,
        choices=ArrangementState.choices,
        default=ArrangementState.PROPOSED,
    )
    proposed_on = models.DateField(_("方案日期"))
    # Payments on or after this date count towards the agreed total (already paid).
    counted_from = models.DateField(_("计入已还起始日"))
    balance_penalty_fen = models.BigIntegerField(_("罚息余额（分）"))
    balance_interest_fen = models.BigIntegerField(_("利息余额（分）"))
    balance_principal_fen = models.BigIntegerField(_("本金余额（分）"))
    discount_penalty_fen = models.BigIntegerField(_("减免罚息（分）"), default=0)
    discount_interest_fen = models.BigIntegerField(_("减免利息（分）"), default=0)
    discount_principal_fen = models.BigIntegerField(_("减免本金（分）"), default=0)
    agreed_total_fen = models.BigIntegerField(_("约定还款总额（分）"))
    already_paid_fen = models.BigIntegerField(_("已还金额（分）"), default=0)
    installment_count = models.PositiveSmallIntegerField(_("期数"))
    deferral_months = models.PositiveSmallIntegerField(_("展期月数"), default=0)
    first_due_on = models.DateField(_("首期还款日"))
    reason = models.TextField(_("申请理由"))
    # The least-privileged role whose limits cover this arrangement, fixed at proposal.
    approver_role = models.CharField(_("审批角色"), max_length=20, blank=True)
    proposed_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="arrangements_proposed"
    )
    proposed_at = models.DateTimeField(_("提出时间"))
    decided_by = models.ForeignKey(
        "accounts.User",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="arrangements_decided",
    )
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    decision_note = models.TextField(_("审批意见"), blank=True)
    activated_at = models.DateTimeField(_("生效时间"), null=True, blank=True)
    closed_on = models.DateField(_("结束日期"), null=True, blank=True)
    closed_note = models.TextField(_("结束说明"), blank=True)

    class Meta:
        verbose_name = _("还款安排")
        verbose_name_plural = _("还款安排")
        constraints = [
            models.UniqueConstraint(
                fields=["case"],
                condition=models.Q(state__in=["proposed", "approved", "active"]),
                name="arrangement_one_live_per_case",
            ),
            models.CheckConstraint(
                condition=models.Q(discount_penalty_fen__lte=models.F("balance_penalty_fen"))
                & models.Q(discount_interest_fen__lte=models.F("balance_interest_fen"))
                & models.Q(discount_principal_fen__lte=models.F("balance_principal_fen")),
                name="arrangement_discount_within_balance",
            ),
        ]
        indexes = [models.Index(fields=["state"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"

    @property
    def balance_fen(self) -> int:
        return self.balance_penalty_fen + self.balance_interest_fen + self.balance_principal_fen

    @property
    def discount_fen(self) -> int:
        return self.discount_penalty_fen + self.discount_interest_fen + self.discount_principal_fen

    @property
    def discount_bp(self) -> int:
        return discount_bp(self.discount_fen, self.balance_fen)

    @property
    def approver_role_label(self) -> str:
        """The approving role's name as users read it (组长, 风险管理专家 …)."""
        if self.approver_role in Role.values:
            return str(Role(self.approver_role).label)
        return self.approver_role

    @property
    def discount_percent(self) -> str:
        return f"{self.discount_bp / 100:.2f}%"


class InstallmentState(models.TextChoices):
    PENDING = "pending", _("待还")
    KEPT = "kept", _("已履约")
    BROKEN = "broken", _("未履约")


class ArrangementInstallment(models.Model):
    """One row of the arrangement's new schedule."""

    arrangement = models.ForeignKey(
        Arrangement, on_delete=models.CASCADE, related_name="installments"
    )
    seq = models.PositiveSmallIntegerField(_("期次"))
    due_on = models.DateField(_("应还日"))
    amount_fen = models.BigIntegerField(_("应还金额（分）"))
    state = models.CharField(
        _("状态"), max_length=10, choices=InstallmentState.choices, default=InstallmentState.PENDING
    )
    judged_on = models.DateField(_("判定日期"), null=True, blank=True)

    class Meta:
        verbose_name = _("还款安排分期")
        verbose_name_plural = _("还款安排分期")
        ordering = ["arrangement_id", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["arrangement", "seq"], name="arrangement_unique_seq"),
            models.CheckConstraint(
                condition=models.Q(amount_fen__gte=0), name="arrangement_installment_non_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.arrangement_id}#{self.seq}"


class ArrangementDocument(models.Model):
    """The borrower's signed confirmation of the arrangement (借款人签字确认), stored on disk
    under the document directory with its SHA-256, so that any later change is detectable."""

    arrangement = models.ForeignKey(Arrangement, on_delete=models.PROTECT, related_name="documents")
    original_name = models.CharField(_("文件名"), max_length=255)
    stored_path = models.CharField(_("存储路径"), max_length=500)
    sha256 = models.CharField(max_length=64)
    size_bytes = models.PositiveIntegerField(_("大小（字节）"))
    content_type = models.CharField(max_length=100)
    uploaded_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(_("上传时间"))

    class Meta:
        verbose_name = _("借款人签字确认")
        verbose_name_plural = _("借款人签字确认")

    def __str__(self) -> str:
        return self.original_name
