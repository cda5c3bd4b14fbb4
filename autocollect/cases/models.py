"""Collection cases and promises to pay."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from autocollect.portfolio.models import Channel, Loan


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


class InteractionParty(models.TextChoices):
    BORROWER = "borrower", _("借款人")
    GUARANTOR = "guarantor", _("担保人")
    THIRD_PARTY = "third_party", _("第三方")


class InteractionOutcome(models.TextChoices):
    ANSWERED = "answered", _("已接通")
    NO_ANSWER = "no_answer", _("未接通")
    WRONG_NUMBER = "wrong_number", _("错号")
    REFUSED = "refused", _("拒绝沟通")
    SENT = "sent", _("已发送")
    DELIVERED = "delivered", _("已送达")
    FAILED = "failed", _("发送失败")


class Interaction(models.Model):
    """One contact attempt with a party of a case, by a person or a machine, and its result.
    The contact gate counts these (docs/compliance.md)."""

    case = models.ForeignKey(CollectionCase, on_delete=models.PROTECT, related_name="interactions")
    at = models.DateTimeField(_("时间"))
    channel = models.CharField(_("渠道"), max_length=12, choices=Channel.choices)
    party = models.CharField(_("对象"), max_length=12, choices=InteractionParty.choices)
    # E.164 number, email address or postal address the contact went to.
    number = models.CharField(_("号码/地址"), max_length=255)
    outcome = models.CharField(_("结果"), max_length=14, choices=InteractionOutcome.choices)
    agent = models.ForeignKey(
        "accounts.User",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="interactions",
    )
    notes = models.TextField(_("备注"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("联系记录")
        verbose_name_plural = _("联系记录")
        indexes = [models.Index(fields=["case", "at"])]

    def __str__(self) -> str:
        return f"{self.case_id} {self.at:%Y-%m-%d %H:%M} {self.channel} {self.outcome}"


class FlagKind(models.TextChoices):
    LOST_CONTACT = "lost_contact", _("失联")
    HARDSHIP_CLAIMED = "hardship_claimed", _("声称无力偿还")
    VEHICLE_RISK = "vehicle_risk", _("车辆风险")
    BROKEN_PROMISE = "broken_promise", _("承诺未兑现")


class CaseFlag(models.Model):
    """A condition noted on a case, from when it was set until it is cleared."""

    case = models.ForeignKey(CollectionCase, on_delete=models.CASCADE, related_name="flags")
    kind = models.CharField(_("标记"), max_length=20, choices=FlagKind.choices)
    set_at = models.DateTimeField(_("标记时间"))
    cleared_at = models.DateTimeField(_("解除时间"), null=True, blank=True)
    set_by = models.CharField(_("操作人"), max_length=150)
    note = models.TextField(_("说明"), blank=True)

    class Meta:
        verbose_name = _("案件标记")
        verbose_name_plural = _("案件标记")

    def __str__(self) -> str:
        return f"{self.case_id} {self.kind}"
