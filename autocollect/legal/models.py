"""Legal referrals (转法务) and what happens to them: pre-litigation mediation, judicial
confirmation, litigation, enforcement, costs and deadlines (docs/legal.md)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from autocollect.cases.models import CollectionCase
from autocollect.compliance.models import ContactHold
from autocollect.portfolio.models import Borrower


class Stage(models.TextChoices):
    REFERRAL = "referral", _("已转法务")
    MEDIATION = "mediation", _("诉前调解")
    JUDICIAL_CONFIRMATION = "judicial_confirmation", _("司法确认")
    LITIGATION = "litigation", _("诉讼")
    ENFORCEMENT = "enforcement", _("强制执行")
    CLOSED = "closed", _("已结案")


class ReferralReason(models.TextChoices):
    VEHICLE_DISPOSED = "vehicle_disposed", _("抵押车辆被擅自处置")
    LOST_CONTACT = "lost_contact", _("长期失联")
    REFUSED_TO_PAY = "refused_to_pay", _("拒绝还款")
    BROKEN_PROMISES = "broken_promises", _("多次承诺未兑现")
    # A hardship claim (声称无力偿还) a team lead decided was made in bad faith: the borrower
    # feigned inability to pay to evade the debt (docs/hardship.md, state ``bad_faith``).
    BAD_FAITH_HARDSHIP = "bad_faith_hardship", _("虚假困难申请、恶意逃废债")
    OTHER = "other", _("其他")


class CloseOutcome(models.TextChoices):
    PAID = "paid", _("已全额清偿")
    SETTLED = "settled", _("和解/调解履行完毕")
    PARTLY_RECOVERED = "partly_recovered", _("部分回收")
    UNRECOVERABLE = "unrecoverable", _("无可执行财产（终结本次执行）")
    WITHDRAWN = "withdrawn", _("撤回")


class LegalReferral(models.Model):
    """One referral of one case to legal, moved through the stages by
    ``services.stages.stage_move``. Amounts are integer fen, fixed at referral; costs are added
    as ``LegalCost`` rows."""

    case = models.ForeignKey(CollectionCase, on_delete=models.PROTECT, related_name="referrals")
    referred_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="+", verbose_name=_("转交人")
    )
    referred_at = models.DateTimeField(_("转交时间"))
    reason = models.CharField(_("转交原因"), max_length=20, choices=ReferralReason.choices)
    reason_note = models.TextField(_("原因说明"), blank=True)
    outstanding_fen = models.BigIntegerField(_("欠款余额（分）"))
    costs_fen = models.BigIntegerField(_("已发生费用（分）"), default=0)
    vehicle_value_fen = models.BigIntegerField(_("车辆估值（分）"), null=True, blank=True)
    exposure_fen = models.BigIntegerField(_("风险敞口（分）"))
    # The borrower cannot be found: the route is service by publication and a default judgment
    # (公告送达、缺席判决, Civil Procedure Law), which the litigation plan must allow for.
    default_judgment = models.BooleanField(_("预计缺席判决"), default=False)
    stage = models.CharField(
        _("阶段"), max_length=24, choices=Stage.choices, default=Stage.REFERRAL
    )
    stage_changed_at = models.DateTimeField(_("阶段变更时间"))
    hold = models.ForeignKey(
        ContactHold, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Mediation (诉前调解).
    mediator = models.CharField(_("调解员"), max_length=100, blank=True)
    mediation_org = models.CharField(_("调解组织"), max_length=200, blank=True)
    mediation_agreement_on = models.DateField(_("调解协议日期"), null=True, blank=True)
    mediation_agreement_fen = models.BigIntegerField(_("调解协议金额（分）"), null=True, blank=True)
    # Judicial confirmation (司法确认).
    jc_court = models.CharField(_("司法确认法院"), max_length=200, blank=True)
    jc_applied_on = models.DateField(_("司法确认申请日"), null=True, blank=True)
    jc_accepted_on = models.DateField(_("法院受理日"), null=True, blank=True)
    jc_ruling_on = models.DateField(_("裁定日"), null=True, blank=True)
    jc_confirmed = models.BooleanField(_("裁定确认有效"), null=True, blank=True)
    # Litigation (诉讼).
    court = models.CharField(_("受理法院"), max_length=200, blank=True)
    court_case_no = models.CharField(_("案号"), max_length=100, blank=True)
    filed_on = models.DateField(_("立案日"), null=True, blank=True)
    judgment_on = models.DateField(_("判决日"), null=True, blank=True)
    judgment_effective_on = models.DateField(_("判决生效日"), null=True, blank=True)
    judgment_fen = models.BigIntegerField(_("判决金额（分）"), null=True, blank=True)
    judgment_summary = models.TextField(_("判决摘要"), blank=True)
    # Enforcement (执行).
    enforcement_case_no = models.CharField(_("执行案号"), max_length=100, blank=True)
    enforcement_applied_on = models.DateField(_("申请执行日"), null=True, blank=True)
    recovered_fen = models.BigIntegerField(_("执行回收金额（分）"), default=0)
    # Closure.
    closed_at = models.DateTimeField(_("结案时间"), null=True, blank=True)
    close_outcome = models.CharField(
        _("结案结果"), max_length=20, choices=CloseOutcome.choices, blank=True
    )
    close_note = models.TextField(_("结案说明"), blank=True)

    class Meta:
        verbose_name = _("法务转交")
        verbose_name_plural = _("法务转交")
        constraints = [
            models.UniqueConstraint(
                fields=["case"],
                condition=~models.Q(stage="closed"),
                name="legal_one_open_referral_per_case",
            )
        ]
        indexes = [models.Index(fields=["stage", "referred_at"])]

    def __str__(self) -> str:
        return f"{self.case_id} {self.stage}"


class DefendantKind(models.TextChoices):
    BORROWER = "borrower", _("借款人")
    GUARANTOR = "guarantor", _("担保人")
    THIRD_PARTY = "third_party", _("第三人（车辆受让/质押方）")


class Defendant(models.Model):
    """A party the lender acts against: the borrower, a guarantor, or a third party who took
    the pledged car (bought it, or holds it as a pledge)."""

    referral = models.ForeignKey(LegalReferral, on_delete=models.CASCADE, related_name="defendants")
    kind = models.CharField(_("类型"), max_length=12, choices=DefendantKind.choices)
    name = models.CharField(_("名称"), max_length=200)
    borrower = models.ForeignKey(
        Borrower, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    basis = models.TextField(_("诉由/关联说明"), blank=True)

    class Meta:
        verbose_name = _("被告")
        verbose_name_plural = _("被告")

    def __str__(self) -> str:
        return f"{self.kind} {self.name}"


class MediationResult(models.TextChoices):
    CONTINUING = "continuing", _("继续调解")
    AGREEMENT = "agreement", _("达成调解协议")
    FAILED = "failed", _("调解不成")
    ABSENT = "absent", _("被申请人未到场")


class MediationSession(models.Model):
    referral = models.ForeignKey(
        LegalReferral, on_delete=models.CASCADE, related_name="mediation_sessions"
    )
    held_on = models.DateField(_("调解日期"))
    mediator = models.CharField(_("调解员"), max_length=100)
    result = models.CharField(_("结果"), max_length=12, choices=MediationResult.choices)
    notes = models.TextField(_("记录"), blank=True)
    recorded_by = models.CharField(_("记录人"), max_length=150)
    recorded_at = models.DateTimeField(_("记录时间"))

    class Meta:
        verbose_name = _("调解记录")
        verbose_name_plural = _("调解记录")
        ordering = ["held_on", "id"]

    def __str__(self) -> str:
        return f"{self.referral_id} {self.held_on} {self.result}"


class Hearing(models.Model):
    referral = models.ForeignKey(LegalReferral, on_delete=models.CASCADE, related_name="hearings")
    scheduled_on = models.DateField(_("开庭日期"))
    court = models.CharField(_("法院"), max_length=200)
    notes = models.TextField(_("记录"), blank=True)
    held = models.BooleanField(_("已开庭"), default=False)
    recorded_by = models.CharField(_("记录人"), max_length=150)
    recorded_at = models.DateTimeField(_("记录时间"))

    class Meta:
        verbose_name = _("庭审")
        verbose_name_plural = _("庭审")
        ordering = ["scheduled_on", "id"]

    def __str__(self) -> str:
        return f"{self.referral_id} {self.scheduled_on}"


class CostKind(models.TextChoices):
    COURT_FEE = "court_fee", _("诉讼费")
    LAWYER_FEE = "lawyer_fee", _("律师费")
    MEDIATION_FEE = "mediation_fee", _("调解费")
    PRESERVATION_FEE = "preservation_fee", _("保全费")
    ENFORCEMENT_FEE = "enforcement_fee", _("执行费")
    VEHICLE_RECOVERY = "vehicle_recovery", _("车辆收回/拍卖费用")
    OTHER = "other", _("其他")


class LegalCost(models.Model):
    referral = models.ForeignKey(LegalReferral, on_delete=models.PROTECT, related_name="costs")
    kind = models.CharField(_("类型"), max_length=20, choices=CostKind.choices)
    amount_fen = models.BigIntegerField(_("金额（分）"))
    incurred_on = models.DateField(_("发生日期"))
    note = models.TextField(_("说明"), blank=True)
    recorded_by = models.CharField(_("记录人"), max_length=150)
    recorded_at = models.DateTimeField(_("记录时间"))

    class Meta:
        verbose_name = _("法务费用")
        verbose_name_plural = _("法务费用")

    def __str__(self) -> str:
        return f"{self.referral_id} {self.kind} {self.amount_fen}"


# The statutory periods the deadlines count (the labels of ``DeadlineKind`` say them too).
# Civil Procedure Law art. 205 (2023 revision, in force 2024-01-01; art. 201 before) and SPC
# 法释〔2011〕5号: the parties apply jointly for judicial confirmation within 30 days of the
# mediation agreement taking effect; the court should accept within 3 days and decide within 15
# days of accepting (extendable by 10).
JC_APPLICATION_DAYS = 30
JC_ACCEPTANCE_DAYS = 3
JC_RULING_DAYS = 15
# Civil Procedure Law art. 250 (2023 revision; art. 246 before): enforcement must be applied
# for within two years of the last day set for performance (we count from the date the ruling
# or judgment takes effect, the earliest such day: the stricter reading).
ENFORCEMENT_YEARS = 2


class DeadlineKind(models.TextChoices):
    JC_APPLICATION = "jc_application", _("司法确认申请期限（调解协议生效后30日内）")
    JC_ACCEPTANCE = "jc_acceptance", _("法院受理期限（申请后3日内）")
    JC_RULING = "jc_ruling", _("法院裁定期限（受理后15日内）")
    ENFORCEMENT_APPLICATION = "enforcement_application", _("申请执行期限（2年）")
    HEARING = "hearing", _("开庭")
    OTHER = "other", _("其他")


class DeadlineResolution(models.TextChoices):
    MET = "met", _("已完成")
    SUPERSEDED = "superseded", _("程序变更，不再适用")


class LegalDeadline(models.Model):
    """A date something must happen by. Open while ``done_at`` is empty; the daily check
    (``services.deadlines.deadline_scan``) alerts on open deadlines that are overdue or due
    soon."""

    referral = models.ForeignKey(LegalReferral, on_delete=models.CASCADE, related_name="deadlines")
    kind = models.CharField(_("类型"), max_length=24, choices=DeadlineKind.choices)
    due_on = models.DateField(_("截止日期"))
    note = models.TextField(_("说明"), blank=True)
    created_at = models.DateTimeField(_("创建时间"))
    done_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    resolution = models.CharField(
        _("完成方式"), max_length=12, choices=DeadlineResolution.choices, blank=True
    )
    # First time the daily check found it overdue (alerts are raised once, listed every day).
    overdue_alerted_at = models.DateTimeField(_("逾期提醒时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("法务期限")
        verbose_name_plural = _("法务期限")
        indexes = [
            models.Index(
                fields=["due_on"],
                condition=models.Q(done_at__isnull=True),
                name="legal_deadline_open",
            )
        ]

    def __str__(self) -> str:
        return f"{self.referral_id} {self.kind} {self.due_on}"
