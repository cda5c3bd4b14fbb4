"""Collection cases and promises to pay."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from autocollect.portfolio.models import Loan


class CaseStatus(models.TextChoices):
    OPEN = "open", _("处理中")
    CLOSED = "closed", _("已结案")


class CloseReason(models.TextChoices):
    CURED = "cured", _("已还清逾期")


class CollectionCase(models.Model):
    """One spell of delinquency of one loan: opened when the loan first goes past grace, closed
    when it cures. A loan that goes late again gets a new case linked to the previous one
    (docs/delinquency.md), so that each spell keeps its own history and outcome."""

    loan = models.ForeignKey(Loan, on_delete=models.PROTECT, related_name="cases")
    status = models.CharField(
        _("状态"), max_length=10, choices=CaseStatus.choices, default=CaseStatus.OPEN
    )
    opened_on = models.DateField(_("立案日期"))
    opened_dpd = models.PositiveIntegerField(_("立案时逾期天数"))
    opened_bucket = models.CharField(_("立案时账龄"), max_length=8)
    closed_on = models.DateField(_("结案日期"), null=True, blank=True)
    close_reason = models.CharField(
        _("结案原因"), max_length=20, choices=CloseReason.choices, blank=True
    )
    previous_case = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="next_case"
    )

    class Meta:
        verbose_name = _("催收案件")
        verbose_name_plural = _("催收案件")
        constraints = [
            # At most one open case per loan.
            models.UniqueConstraint(
                fields=["loan"], condition=models.Q(status="open"), name="case_one_open_per_loan"
            )
        ]
        indexes = [models.Index(fields=["status", "opened_on"])]

    def __str__(self) -> str:
        return f"{self.loan.contract_no} {self.opened_on}"


class PromiseStatus(models.TextChoices):
    PENDING = "pending", _("待兑现")
    KEPT = "kept", _("已兑现")
    PARTLY_KEPT = "partly_kept", _("部分兑现")
    BROKEN = "broken", _("未兑现")


class Promise(models.Model):
    """A promise to pay (承诺还款): amount by a date, judged by the daily cycle."""

    case = models.ForeignKey(CollectionCase, on_delete=models.PROTECT, related_name="promises")
    loan = models.ForeignKey(Loan, on_delete=models.PROTECT, related_name="promises")
    promised_on = models.DateField(_("承诺日期"))
    due_on = models.DateField(_("承诺还款日"))
    amount_fen = models.BigIntegerField(_("承诺金额（分）"))
    status = models.CharField(
        _("状态"), max_length=12, choices=PromiseStatus.choices, default=PromiseStatus.PENDING
    )
    paid_fen = models.BigIntegerField(_("已还金额（分）"), default=0)
    paid_share_bp = models.PositiveIntegerField(_("兑现比例（基点）"), default=0)
    evaluated_on = models.DateField(_("评估日期"), null=True, blank=True)
    created_by = models.CharField(_("记录人"), max_length=150, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("承诺还款")
        verbose_name_plural = _("承诺还款")
        indexes = [models.Index(fields=["status", "due_on"])]

    def __str__(self) -> str:
        return f"{self.loan_id} {self.amount_fen} by {self.due_on}"
