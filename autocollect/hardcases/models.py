"""The hard cases: skip tracing a borrower who cannot be reached (失联修复), and a pledged car
that was sold or pledged to someone else (抵押车辆被处置). docs/hard-cases.md."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from autocollect.cases.models import CollectionCase
from autocollect.compliance.models import ContactHold
from autocollect.portfolio.models import ContactPoint, MortgageStatus, Vehicle

# --- skip tracing ---------------------------------------------------------------------------


class TraceStatus(models.TextChoices):
    OPEN = "open", _("修复中")
    FOUND = "found", _("已找到新联系方式")
    LEGAL_PROPOSED = "legal_proposed", _("建议转法务")
    REFERRED = "referred", _("已转法务")
    CLOSED = "closed", _("已结束")


class TraceTrigger(models.TextChoices):
    ALL_NUMBERS_FAILED = "all_numbers_failed", _("所有号码均联系失败")
    FLAG = "flag", _("人工标记失联")


class SkipTrace(models.Model):
    """One effort to re-establish lawful contact with the borrower of a case."""

    case = models.ForeignKey(CollectionCase, on_delete=models.PROTECT, related_name="skip_traces")
    status = models.CharField(
        _("状态"), max_length=16, choices=TraceStatus.choices, default=TraceStatus.OPEN
    )
    trigger = models.CharField(_("触发原因"), max_length=20, choices=TraceTrigger.choices)
    opened_at = models.DateTimeField(_("开始时间"))
    opened_by = models.CharField(_("发起人"), max_length=150)
    found_at = models.DateTimeField(_("找到时间"), null=True, blank=True)
    legal_proposed_at = models.DateTimeField(_("建议转法务时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    note = models.TextField(_("说明"), blank=True)

    class Meta:
        verbose_name = _("失联修复")
        verbose_name_plural = _("失联修复")
        constraints = [
            models.UniqueConstraint(
                fields=["case"],
                condition=models.Q(status__in=["open", "found", "legal_proposed"]),
                name="skiptrace_one_active_per_case",
            )
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.status}"


class InvestigationAgency(models.Model):
    """An external investigation agency the lender authorised in writing (委托授权书), for a
    period. Work may be given to it only inside that period."""

    name = models.CharField(_("机构名称"), max_length=200)
    licence_no = models.CharField(_("统一社会信用代码"), max_length=50)
    authorisation_ref = models.CharField(_("授权书编号"), max_length=100)
    # Before the signed letter was kept, a free-text note of where it was; kept as it was.
    legacy_letter_ref = models.CharField(_("原授权书文件记录"), max_length=500, blank=True)
    # The signed letter itself, stored content-addressed by ``documents.storage`` (the
    # column names ``stored_path`` and ``sha256`` are the ones the evidence export reads).
    letter_name = models.CharField(_("授权书文件名"), max_length=255, blank=True)
    stored_path = models.CharField(_("授权书存储路径"), max_length=500, blank=True)
    sha256 = models.CharField(_("授权书 SHA-256"), max_length=64, blank=True)
    size_bytes = models.PositiveIntegerField(_("授权书大小（字节）"), null=True, blank=True)
    letter_content_type = models.CharField(max_length=100, blank=True)
    authorised_from = models.DateField(_("授权开始日"))
    authorised_until = models.DateField(_("授权截止日"))
    revoked_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("外部调查机构")
        verbose_name_plural = _("外部调查机构")

    def __str__(self) -> str:
        return self.name

    @property
    def has_letter(self) -> bool:
        """Whether the signed authorisation letter is stored (rows registered before it was
        required may lack it: docs/hard-cases.md, "Agencies")."""
        return bool(self.stored_path)


class TaskKind(models.TextChoices):
    RECHECK_NUMBERS = "recheck_numbers", _("复核已知号码")
    EMERGENCY_CONTACT = "emergency_contact", _("联系紧急联系人（请其转告借款人回电，不得透露欠款）")
    EMPLOYER = "employer", _("联系单位总机")
    PUBLIC_SOURCES = "public_sources", _("合法公开信息查询")
    AGENCY = "agency", _("委托外部调查机构")


class TaskOutcome(models.TextChoices):
    PENDING = "pending", _("待处理")
    FOUND = "found", _("找到新联系方式")
    CALLBACK_PROMISED = "callback_promised", _("对方答应转告借款人回电")
    NO_RESULT = "no_result", _("无结果")
    REFUSED = "refused", _("对方拒绝协助")


class SkipTask(models.Model):
    trace = models.ForeignKey(SkipTrace, on_delete=models.CASCADE, related_name="tasks")
    kind = models.CharField(_("类型"), max_length=20, choices=TaskKind.choices)
    agency = models.ForeignKey(
        InvestigationAgency, null=True, blank=True, on_delete=models.PROTECT, related_name="tasks"
    )
    # Which known contact the task works on (an emergency contact, an employer's switchboard).
    contact = models.ForeignKey(
        ContactPoint, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"))
    created_by = models.CharField(_("创建人"), max_length=150)
    outcome = models.CharField(
        _("结果"), max_length=20, choices=TaskOutcome.choices, default=TaskOutcome.PENDING
    )
    outcome_at = models.DateTimeField(_("结果时间"), null=True, blank=True)
    outcome_by = models.CharField(_("结果记录人"), max_length=150, blank=True)
    found_contact = models.ForeignKey(
        ContactPoint, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.TextField(_("说明"), blank=True)

    class Meta:
        verbose_name = _("失联修复任务")
        verbose_name_plural = _("失联修复任务")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.trace_id} {self.kind} {self.outcome}"


# --- vehicle risk ---------------------------------------------------------------------------


class VehicleRiskKind(models.TextChoices):
    SOLD = "sold", _("车辆被擅自出售")
    PLEDGED = "pledged", _("车辆被质押给第三方")


class VehicleRiskReport(models.Model):
    """Someone learnt that the pledged car was sold or pledged without the lender's consent.
    Reporting it places a ``vehicle_disposed`` hold in the same transaction."""

    case = models.ForeignKey(
        CollectionCase, on_delete=models.PROTECT, related_name="vehicle_risk_reports"
    )
    vehicle = models.ForeignKey(Vehicle, on_delete=models.PROTECT, related_name="risk_reports")
    kind = models.CharField(_("类型"), max_length=10, choices=VehicleRiskKind.choices)
    reported_at = models.DateTimeField(_("报告时间"))
    reported_by = models.CharField(_("报告人"), max_length=150)
    source = models.CharField(_("信息来源"), max_length=200)
    third_party_name = models.CharField(_("第三方名称"), max_length=200, blank=True)
    details = models.TextField(_("情况说明"), blank=True)
    hold = models.ForeignKey(ContactHold, on_delete=models.PROTECT, related_name="+")
    referral = models.ForeignKey(
        "legal.LegalReferral", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("车辆风险报告")
        verbose_name_plural = _("车辆风险报告")

    def __str__(self) -> str:
        return f"{self.case_id} {self.kind}"


class BrandClass(models.TextChoices):
    PREMIUM = "premium", _("豪华品牌")
    MAINSTREAM = "mainstream", _("合资主流品牌")
    DOMESTIC = "domestic", _("自主品牌")
    NEW_ENERGY = "new_energy", _("新能源品牌")


class GpsStatus(models.TextChoices):
    ONLINE = "online", _("在线")
    OFFLINE = "offline", _("离线")
    REMOVED = "removed", _("已被拆除")
    NO_DEVICE = "no_device", _("未安装")


class ExposureAssessment(models.Model):
    """Outstanding balance plus costs minus the car's current value (depreciation model
    ``depreciation.MODEL_VERSION``), with the car's mortgage registration and GPS status.
    Positive exposure is what the lender stands to lose if it recovers only the car."""

    report = models.ForeignKey(
        VehicleRiskReport, on_delete=models.PROTECT, related_name="assessments"
    )
    assessed_at = models.DateTimeField(_("评估时间"))
    assessed_by = models.CharField(_("评估人"), max_length=150)
    as_of = models.DateField(_("评估基准日"))
    outstanding_fen = models.BigIntegerField(_("欠款余额（分）"))
    costs_fen = models.BigIntegerField(_("费用（分）"))
    vehicle_value_fen = models.BigIntegerField(_("车辆估值（分）"))
    exposure_fen = models.BigIntegerField(_("风险敞口（分）"))
    model_version = models.CharField(_("折旧模型版本"), max_length=20)
    brand_class = models.CharField(_("品牌类别"), max_length=12, choices=BrandClass.choices)
    age_months = models.PositiveIntegerField(_("车龄（月）"))
    mileage_km = models.PositiveIntegerField(_("里程（公里）"), null=True, blank=True)
    retention_bp = models.PositiveIntegerField(_("车龄残值率（基点）"))
    mileage_bp = models.PositiveIntegerField(_("里程调整（基点）"))
    mortgage_status = models.CharField(
        _("抵押登记状态"), max_length=12, choices=MortgageStatus.choices
    )
    gps_status = models.CharField(_("GPS状态"), max_length=10, choices=GpsStatus.choices)
    note = models.TextField(_("说明"), blank=True)

    class Meta:
        verbose_name = _("风险敞口评估")
        verbose_name_plural = _("风险敞口评估")
        ordering = ["-assessed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.report_id} {self.exposure_fen}"
