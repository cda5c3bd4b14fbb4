"""What the daily cycle knows about each loan, day by day."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from autocollect.cases.models import CollectionCase
from autocollect.core.fields import StampField
from autocollect.portfolio.models import Loan


class LoanDelinquency(models.Model):
    """The latest cycle's state of a loan that owes something past due. A loan without a row is
    current (M0, nothing overdue)."""

    loan = models.OneToOneField(
        Loan, on_delete=models.CASCADE, primary_key=True, related_name="delinquency"
    )
    as_of = models.DateField(_("数据日期"))
    dpd = models.PositiveIntegerField(_("逾期天数"))
    bucket = models.CharField(_("账龄"), max_length=8, db_index=True)
    oldest_due_on = models.DateField(_("最早逾期应还日"), null=True)
    overdue_principal_fen = models.BigIntegerField(_("逾期本金（分）"))
    overdue_interest_fen = models.BigIntegerField(_("逾期利息（分）"))
    overdue_penalty_fen = models.BigIntegerField(_("逾期罚息（分）"))
    overdue_total_fen = models.BigIntegerField(_("逾期总额（分）"))
    penalty_today_fen = models.BigIntegerField(_("当日罚息（分）"))
    movement = models.CharField(_("迁徙"), max_length=16)

    class Meta:
        verbose_name = _("逾期状态")
        verbose_name_plural = _("逾期状态")

    def __str__(self) -> str:
        return f"{self.loan_id} {self.bucket} {self.dpd}"


class DailySnapshot(models.Model):
    """One row per delinquent loan per cycle date: the source of roll rates and reports."""

    as_of = models.DateField(_("数据日期"))
    loan = models.ForeignKey(Loan, on_delete=models.CASCADE, related_name="snapshots")
    dpd = models.PositiveIntegerField()
    bucket = models.CharField(max_length=8)
    overdue_principal_fen = models.BigIntegerField()
    overdue_interest_fen = models.BigIntegerField()
    overdue_penalty_fen = models.BigIntegerField()
    overdue_total_fen = models.BigIntegerField()
    # Principal not yet repaid (overdue or not): the balance that rolls between buckets.
    outstanding_principal_fen = models.BigIntegerField()
    movement = models.CharField(max_length=16)

    class Meta:
        verbose_name = _("逾期日快照")
        verbose_name_plural = _("逾期日快照")
        constraints = [
            models.UniqueConstraint(fields=["as_of", "loan"], name="snapshot_unique_day_loan")
        ]

    def __str__(self) -> str:
        return f"{self.as_of} {self.loan_id} {self.bucket}"


class CycleStatus(models.TextChoices):
    COMPLETED = "completed", _("已完成")


class CycleRun(models.Model):
    """A completed cycle date. Written in the same transaction as the date's results, so a row
    exists if and only if that date's state was committed (docs/delinquency.md)."""

    as_of = models.DateField(_("数据日期"), unique=True)
    status = models.CharField(
        max_length=12, choices=CycleStatus.choices, default=CycleStatus.COMPLETED
    )
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField()
    stats = models.JSONField(default=dict)

    class Meta:
        verbose_name = _("日批记录")
        verbose_name_plural = _("日批记录")
        ordering = ["-as_of"]

    def __str__(self) -> str:
        return f"{self.as_of} {self.status}"


class PauseReason(models.TextChoices):
    DISPUTE = "dispute", _("争议调查中")
    DISASTER_RELIEF = "disaster_relief", _("灾害救助")
    OTHER = "other", _("其他")


class LoanPause(models.Model):
    """Days (inclusive) on which a loan's delinquency does not count (paused days add no DPD)."""

    loan = models.ForeignKey(Loan, on_delete=models.CASCADE, related_name="pauses")
    case = models.ForeignKey(
        CollectionCase, null=True, blank=True, on_delete=models.SET_NULL, related_name="pauses"
    )
    start_on = models.DateField(_("开始日期"))
    end_on = models.DateField(_("结束日期"))
    reason = models.CharField(_("原因"), max_length=20, choices=PauseReason.choices)
    note = models.TextField(_("说明"), blank=True)
    created_by = models.CharField(_("操作人"), max_length=150)
    created_at = StampField(auto_now_add=True)

    class Meta:
        verbose_name = _("暂停计逾")
        verbose_name_plural = _("暂停计逾")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_on__gte=models.F("start_on")), name="pause_dates_ordered"
            )
        ]

    def __str__(self) -> str:
        return f"{self.loan_id} {self.start_on}–{self.end_on}"
