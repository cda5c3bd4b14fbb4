"""Collection cases and promises to pay."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from autocollect.core import crypto
from autocollect.core.fields import StampField
from autocollect.portfolio.models import Channel, Loan
from autocollect.privacy.fields import BlindIndexField, EncryptedTextField, MaskedField


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
    # Who works the case: set by the daily planner when it queues an agent action to an agent
    # (or by a team lead reassigning it). Object-level access follows these (docs/roles.md).
    assigned_agent = models.ForeignKey(
        "accounts.User",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_cases",
        verbose_name=_("负责催收员"),
    )
    assigned_team = models.ForeignKey(
        "accounts.Team",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_cases",
        verbose_name=_("负责团队"),
    )
    # Set when the case is referred to legal (法务); legal users see exactly these cases.
    legal_referred_at = models.DateTimeField(_("转法务时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("催收案件")
        verbose_name_plural = _("催收案件")
        constraints = [
            # At most one open case per loan.
            models.UniqueConstraint(
                fields=["loan"], condition=models.Q(status="open"), name="case_one_open_per_loan"
            )
        ]
        indexes = [
            models.Index(fields=["status", "opened_on"]),
            models.Index(
                fields=["legal_referred_at"],
                condition=models.Q(legal_referred_at__isnull=False),
                name="case_legal_referred",
            ),
        ]

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
    created_at = StampField(auto_now_add=True)

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
    # E.164 number, email address or postal address the contact went to: encrypted at rest;
    # the contact gate compares the blind index, screens show the masked copy (docs/privacy.md).
    number = EncryptedTextField(_("号码/地址"))
    number_index = BlindIndexField(source="number", purpose=crypto.CONTACT)
    number_masked = MaskedField(_("号码/地址（脱敏）"), source="number", masker="channel")
    outcome = models.CharField(_("结果"), max_length=14, choices=InteractionOutcome.choices)
    agent = models.ForeignKey(
        "accounts.User",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="interactions",
    )
    notes = models.TextField(_("备注"), blank=True)
    created_at = StampField(auto_now_add=True)

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
    DISPUTE = "dispute", _("存在争议")
    AGITATED = "agitated", _("借款人情绪激动")
    BROKEN_ARRANGEMENT = "broken_arrangement", _("还款方案未履约")


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


class OutcomeCode(models.TextChoices):
    """What came of a contact, as the collector logs it (催收结果代码)."""

    PROMISE_TO_PAY = "promise_to_pay", _("承诺还款")
    PAID = "paid", _("称已还款")
    CALLBACK = "callback", _("约定再联系")
    REFUSED_TO_PAY = "refused_to_pay", _("拒绝还款")
    DISPUTE = "dispute", _("对债务有异议")
    HARDSHIP = "hardship", _("称经济困难")
    NOT_REACHED = "not_reached", _("未联系上")
    WRONG_PARTY = "wrong_party", _("非本人接听")
    OTHER = "other", _("其他")


class CaseOutcome(models.Model):
    """The collector's result of one contact (the interaction the gate let through): whether
    the right party was reached, the outcome code, the promise it produced and the next
    follow-up date."""

    interaction = models.OneToOneField(Interaction, on_delete=models.PROTECT, related_name="result")
    case = models.ForeignKey(CollectionCase, on_delete=models.PROTECT, related_name="outcomes")
    code = models.CharField(_("结果代码"), max_length=20, choices=OutcomeCode.choices)
    right_party = models.BooleanField(_("联系到本人"))
    promise = models.ForeignKey(
        Promise, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    next_follow_up_on = models.DateField(_("下次跟进日期"), null=True, blank=True)
    agent = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = StampField(auto_now_add=True)

    class Meta:
        verbose_name = _("催收结果")
        verbose_name_plural = _("催收结果")

    def __str__(self) -> str:
        return f"{self.case_id} {self.code}"


class FollowUp(models.Model):
    """A date on which the case's collector should come back to it. Open until done (the next
    outcome logged on the case closes it) or moved with the case to another collector."""

    case = models.ForeignKey(CollectionCase, on_delete=models.CASCADE, related_name="follow_ups")
    due_on = models.DateField(_("跟进日期"))
    agent = models.ForeignKey(
        "accounts.User",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="follow_ups",
        verbose_name=_("催收员"),
    )
    created_by = models.CharField(_("记录人"), max_length=150)
    created_at = StampField(auto_now_add=True)
    done_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("跟进计划")
        verbose_name_plural = _("跟进计划")
        indexes = [
            # The collector's queue: open follow-ups of one agent due by today.
            models.Index(
                fields=["agent", "due_on"],
                condition=models.Q(done_at__isnull=True),
                name="follow_up_open_by_agent",
            )
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.due_on}"


class AlertKind(models.TextChoices):
    AGITATED = "agitated", _("借款人情绪激动，已暂停联系")
    DISPUTE = "dispute", _("借款人提出争议，待组长决定是否暂停")


class Alert(models.Model):
    """Something the team lead must look at now (the source document's emergency plan: an
    agitated borrower means contact stops at once and the lead is told)."""

    case = models.ForeignKey(CollectionCase, on_delete=models.CASCADE, related_name="alerts")
    kind = models.CharField(_("类型"), max_length=20, choices=AlertKind.choices)
    message = models.TextField(_("说明"), blank=True)
    raised_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    raised_at = models.DateTimeField(_("提出时间"))
    acknowledged_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    acknowledged_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    resolution = models.TextField(_("处理说明"), blank=True)

    class Meta:
        verbose_name = _("组长提醒")
        verbose_name_plural = _("组长提醒")
        indexes = [
            models.Index(
                fields=["raised_at"],
                condition=models.Q(acknowledged_at__isnull=True),
                name="alert_open",
            )
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.kind}"
