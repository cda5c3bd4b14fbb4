"""The loan book as the core lending system has it: borrowers, contacts, loans, schedules,
payments and vehicles. Money is integer fen in every column whose name ends in ``_fen``."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from autocollect.core import crypto
from autocollect.core.calendar import HolidayRule
from autocollect.core.fields import StampField
from autocollect.engine.loanmath import DEFAULT_ALLOCATION_ORDER, Component, RepaymentMethod
from autocollect.privacy.fields import (
    BlindIndexField,
    EncryptedTextField,
    MaskedField,
    mask_contact_value,
)

REPAYMENT_METHOD_CHOICES = [
    (RepaymentMethod.EQUAL_INSTALLMENT.value, _("等额本息")),
    (RepaymentMethod.EQUAL_PRINCIPAL.value, _("等额本金")),
    (RepaymentMethod.INTEREST_FIRST.value, _("先息后本")),
]


def default_allocation_order() -> list[str]:
    return [c.value for c in DEFAULT_ALLOCATION_ORDER]


class Gender(models.TextChoices):
    MALE = "M", _("男")
    FEMALE = "F", _("女")


class Borrower(models.Model):
    name = models.CharField(_("姓名"), max_length=100)
    # Encrypted at rest; found by its blind index, shown by its masked copy (docs/privacy.md).
    national_id = EncryptedTextField(_("身份证号"))
    national_id_index = BlindIndexField(source="national_id", purpose=crypto.NATIONAL_ID)
    national_id_masked = MaskedField(
        _("身份证号（脱敏）"), source="national_id", masker="national_id"
    )
    gender = models.CharField(_("性别"), max_length=1, choices=Gender.choices)
    birth_date = models.DateField(_("出生日期"))
    created_at = StampField(auto_now_add=True)

    class Meta:
        verbose_name = _("借款人")
        verbose_name_plural = _("借款人")
        # One borrower per national ID. A constraint rather than ``unique=True``: on PostgreSQL
        # that would add a second, pattern-matching index, useless on a hash and a cost on
        # every import.
        constraints = [
            models.UniqueConstraint(
                fields=["national_id_index"], name="borrower_unique_national_id"
            )
        ]

    def __str__(self) -> str:
        return self.name


class ContactKind(models.TextChoices):
    MOBILE = "mobile", _("手机")
    LANDLINE = "landline", _("固定电话")
    EMAIL = "email", _("电子邮件")
    ADDRESS = "address", _("地址")


class ContactOwner(models.TextChoices):
    BORROWER = "borrower", _("借款人")
    GUARANTOR = "guarantor", _("担保人")
    EMERGENCY = "emergency", _("紧急联系人")


class ContactStatus(models.TextChoices):
    VALID = "valid", _("有效")
    INVALID = "invalid", _("无效")
    UNVERIFIED = "unverified", _("未核实")


class Channel(models.TextChoices):
    CALL = "call", _("人工外呼")
    ROBOT_CALL = "robot_call", _("机器人外呼")
    SMS = "sms", _("短信")
    EMAIL = "email", _("电子邮件")
    LETTER = "letter", _("信函")
    VISIT = "visit", _("上门")


class ContactPoint(models.Model):
    borrower = models.ForeignKey(Borrower, on_delete=models.CASCADE, related_name="contacts")
    kind = models.CharField(_("类型"), max_length=10, choices=ContactKind.choices)
    # Encrypted at rest; the blind index dedupes and finds a number, the masked copy is what
    # screens and exports show (docs/privacy.md).
    value = EncryptedTextField(_("号码/地址"))
    value_index = BlindIndexField(source="value", purpose=crypto.CONTACT)
    masked = MaskedField(_("号码/地址（脱敏）"), source="value", masker="contact")
    owner = models.CharField(
        _("归属"), max_length=10, choices=ContactOwner.choices, default=ContactOwner.BORROWER
    )
    owner_name = models.CharField(_("联系人姓名"), max_length=100, blank=True)
    relationship = models.CharField(_("与借款人关系"), max_length=50, blank=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=ContactStatus.choices, default=ContactStatus.UNVERIFIED
    )
    # Channels this party refused (opt-out), as values of ``Channel``.
    opted_out_channels = models.JSONField(_("拒绝的渠道"), default=list, blank=True)
    created_at = StampField(auto_now_add=True)

    class Meta:
        verbose_name = _("联系方式")
        verbose_name_plural = _("联系方式")
        constraints = [
            models.UniqueConstraint(
                fields=["borrower", "kind", "value_index", "owner"],
                name="contact_unique_per_owner",
            )
        ]
        # Finding a contact by number (an inbound call, the admin search). Declared here, not
        # with ``db_index=True``, for the reason given on ``Borrower.Meta``.
        indexes = [models.Index(fields=["value_index"], name="contact_value_index")]

    def __str__(self) -> str:
        shown = self.masked or mask_contact_value(self.kind, self.value or "")
        return f"{self.get_kind_display()} {shown}"


class PenaltyBasis(models.TextChoices):
    OVERDUE_PRINCIPAL = "overdue_principal", _("逾期本金")
    OVERDUE_INSTALLMENT = "overdue_installment", _("逾期应还金额")


class DayCount(models.TextChoices):
    ACT_360 = "ACT/360", "ACT/360"
    ACT_365 = "ACT/365", "ACT/365"


class Product(models.Model):
    code = models.CharField(_("产品代码"), max_length=40, unique=True)
    name = models.CharField(_("产品名称"), max_length=100)
    repayment_method = models.CharField(
        _("还款方式"),
        max_length=20,
        choices=REPAYMENT_METHOD_CHOICES,
        default=RepaymentMethod.EQUAL_INSTALLMENT,
    )
    penalty_annual_rate = models.DecimalField(
        _("罚息年利率"), max_digits=8, decimal_places=6, default=0
    )
    penalty_basis = models.CharField(
        _("罚息计算基数"),
        max_length=20,
        choices=PenaltyBasis.choices,
        default=PenaltyBasis.OVERDUE_PRINCIPAL,
    )
    day_count = models.CharField(
        _("计息天数基准"), max_length=8, choices=DayCount.choices, default=DayCount.ACT_360
    )
    grace_days = models.PositiveSmallIntegerField(_("宽限期（天）"), default=3)
    tolerance_fen = models.PositiveIntegerField(_("容差（分）"), default=100)
    allocation_order = models.JSONField(_("还款冲销顺序"), default=default_allocation_order)
    holiday_rule = models.CharField(
        _("节假日规则"),
        max_length=20,
        choices=[(r.value, r.value) for r in HolidayRule],
        default=HolidayRule.NONE,
    )
    is_default = models.BooleanField(_("默认产品"), default=False)

    class Meta:
        verbose_name = _("产品")
        verbose_name_plural = _("产品")
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"],
                condition=models.Q(is_default=True),
                name="product_single_default",
            )
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def clean_allocation_order(self) -> list[Component]:
        return [Component(c) for c in self.allocation_order]


class LoanStatus(models.TextChoices):
    ACTIVE = "active", _("还款中")
    SETTLED = "settled", _("已结清")
    WRITTEN_OFF = "written_off", _("已核销")


class Loan(models.Model):
    contract_no = models.CharField(_("合同编号"), max_length=64, unique=True)
    borrower = models.ForeignKey(Borrower, on_delete=models.PROTECT, related_name="loans")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="loans")
    principal_fen = models.BigIntegerField(_("贷款本金（分）"))
    annual_rate = models.DecimalField(_("年利率"), max_digits=8, decimal_places=6)
    term_months = models.PositiveSmallIntegerField(_("期数（月）"))
    repayment_method = models.CharField(
        _("还款方式"), max_length=20, choices=REPAYMENT_METHOD_CHOICES
    )
    disbursed_on = models.DateField(_("放款日"))
    first_due_on = models.DateField(_("首期还款日"))
    dealer = models.CharField(_("经销商"), max_length=200, blank=True)
    branch = models.CharField(_("分支机构"), max_length=100, blank=True)
    province = models.CharField(_("省份"), max_length=20)
    city = models.CharField(_("城市"), max_length=50)
    timezone = models.CharField(_("时区"), max_length=40, default="Asia/Shanghai")
    status = models.CharField(
        _("状态"), max_length=12, choices=LoanStatus.choices, default=LoanStatus.ACTIVE
    )
    # Overpayment not owed on any installment: kept, never dropped (loan math docs).
    credit_fen = models.BigIntegerField(_("溢缴款（分）"), default=0)
    # Principal repaid so far, kept with every allocation (the sum of the installments'
    # paid principal): outstanding principal is principal_fen minus this, read per loan.
    paid_principal_fen = models.BigIntegerField(_("已还本金（分）"), default=0, db_default=0)
    # SHA-256 of the normalised import row: a re-import of the same row changes nothing, a
    # different row under the same contract number is refused rather than silently applied.
    source_hash = models.CharField(max_length=64, blank=True)
    created_at = StampField(auto_now_add=True)

    class Meta:
        verbose_name = _("贷款合同")
        verbose_name_plural = _("贷款合同")
        indexes = [models.Index(fields=["province", "city"])]

    def __str__(self) -> str:
        return self.contract_no


class MortgageStatus(models.TextChoices):
    REGISTERED = "registered", _("已办理抵押登记")
    PENDING = "pending", _("抵押登记办理中")
    NONE = "none", _("未登记")
    RELEASED = "released", _("已解押")


class Vehicle(models.Model):
    loan = models.OneToOneField(Loan, on_delete=models.CASCADE, related_name="vehicle")
    vin = models.CharField(_("车架号"), max_length=17, unique=True)
    plate = models.CharField(_("车牌号"), max_length=10, blank=True)
    brand = models.CharField(_("品牌"), max_length=50)
    model = models.CharField(_("车型"), max_length=100)
    year = models.PositiveSmallIntegerField(_("年款"))
    price_fen = models.BigIntegerField(_("车价（分）"))
    mortgage_status = models.CharField(
        _("抵押登记状态"),
        max_length=12,
        choices=MortgageStatus.choices,
        default=MortgageStatus.REGISTERED,
    )
    gps_tracker_id = models.CharField(_("GPS设备号"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("车辆")
        verbose_name_plural = _("车辆")

    def __str__(self) -> str:
        return f"{self.brand} {self.model} {self.plate}"


class Installment(models.Model):
    # No separate index on loan: the unique (loan, seq) constraint already serves it, and each
    # index on this, the largest table, slows every schedule import.
    loan = models.ForeignKey(
        Loan, on_delete=models.CASCADE, related_name="installments", db_index=False
    )
    seq = models.PositiveSmallIntegerField(_("期次"))
    due_on = models.DateField(_("应还日"))
    principal_fen = models.BigIntegerField(_("应还本金（分）"))
    interest_fen = models.BigIntegerField(_("应还利息（分）"))
    # Penalty interest accrued by the daily cycle; zero until then.
    penalty_fen = models.BigIntegerField(_("罚息（分）"), default=0)
    paid_principal_fen = models.BigIntegerField(default=0)
    paid_interest_fen = models.BigIntegerField(default=0)
    paid_penalty_fen = models.BigIntegerField(default=0)
    # Principal and interest not yet fully paid; kept by the database itself.
    owing = models.GeneratedField(
        expression=models.ExpressionWrapper(
            models.Q(
                principal_fen__gt=models.F("paid_principal_fen")
                + models.F("paid_interest_fen")
                - models.F("interest_fen")
            ),
            output_field=models.BooleanField(),
        ),
        output_field=models.BooleanField(),
        db_persist=True,
    )
    # Some payment reached this installment after its due date (set by payment allocation).
    paid_late = models.BooleanField(default=False, db_default=False)

    class Meta:
        verbose_name = _("还款计划")
        verbose_name_plural = _("还款计划")
        ordering = ["loan_id", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["loan", "seq"], name="installment_unique_seq"),
        ]
        indexes = [
            models.Index(fields=["due_on"]),
            # The daily cycle reads only installments still owing or paid after their due date;
            # those paid in full on time are settled for good (docs/delinquency.md). Flags with
            # real column statistics let the planner see how few rows these are.
            models.Index(
                fields=["due_on"], condition=models.Q(owing=True), name="installment_owing"
            ),
            models.Index(
                fields=["due_on"], condition=models.Q(paid_late=True), name="installment_paid_late"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.loan_id}#{self.seq}"

    @property
    def amount_fen(self) -> int:
        return self.principal_fen + self.interest_fen

    @property
    def outstanding_fen(self) -> int:
        return (
            self.principal_fen
            + self.interest_fen
            + self.penalty_fen
            - self.paid_principal_fen
            - self.paid_interest_fen
            - self.paid_penalty_fen
        )


class Payment(models.Model):
    payment_ref = models.CharField(_("支付流水号"), max_length=64, unique=True)
    loan = models.ForeignKey(Loan, on_delete=models.PROTECT, related_name="payments")
    paid_on = models.DateField(_("还款日期"))
    amount_fen = models.BigIntegerField(_("金额（分）"))
    channel = models.CharField(_("渠道"), max_length=40, blank=True)
    # Part of this payment not owed on any installment; it went to the loan's credit.
    credit_fen = models.BigIntegerField(_("转入溢缴款（分）"), default=0)
    source_hash = models.CharField(max_length=64, blank=True)
    created_at = StampField(auto_now_add=True)

    class Meta:
        verbose_name = _("还款记录")
        verbose_name_plural = _("还款记录")
        indexes = [models.Index(fields=["loan", "paid_on"]), models.Index(fields=["paid_on"])]

    def __str__(self) -> str:
        return self.payment_ref


class Allocation(models.Model):
    payment = models.ForeignKey(Payment, on_delete=models.CASCADE, related_name="allocations")
    installment = models.ForeignKey(
        Installment, on_delete=models.CASCADE, related_name="allocations"
    )
    component = models.CharField(max_length=10, choices=[(c.value, c.value) for c in Component])
    amount_fen = models.BigIntegerField()
    # Paid after the installment's due date: the only allocations that change penalty accrual
    # or that a past as-of date must not see yet, so the daily cycle reads just these.
    is_late = models.BooleanField(default=False, db_default=False)

    class Meta:
        verbose_name = _("冲销明细")
        verbose_name_plural = _("冲销明细")
        indexes = [
            models.Index(
                fields=["installment"], condition=models.Q(is_late=True), name="allocation_late"
            )
        ]

    def __str__(self) -> str:
        return f"{self.payment_id}→{self.installment_id} {self.component} {self.amount_fen}"


class LoanDocumentKind(models.TextChoices):
    CONTRACT = "contract", _("贷款合同副本")
    MORTGAGE = "mortgage", _("抵押登记证明")
    OTHER = "other", _("其他贷款材料")


class LoanDocument(models.Model):
    """A document of the loan itself, kept in the case archive (案件档案): above all the copy
    of the signed loan contract (贷款合同副本). The file is in the document store
    (``documents.storage``), named by its SHA-256; this row says which loan it belongs to."""

    loan = models.ForeignKey(Loan, on_delete=models.PROTECT, related_name="documents")
    kind = models.CharField(_("类型"), max_length=12, choices=LoanDocumentKind.choices)
    original_name = models.CharField(_("文件名"), max_length=255)
    stored_path = models.CharField(_("存储路径"), max_length=500)
    sha256 = models.CharField(max_length=64)
    size_bytes = models.PositiveIntegerField(_("大小（字节）"))
    content_type = models.CharField(max_length=100)
    note = models.TextField(_("说明"), blank=True)
    uploaded_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(_("上传时间"))

    class Meta:
        verbose_name = _("贷款档案文件")
        verbose_name_plural = _("贷款档案文件")
        ordering = ["loan", "uploaded_at", "pk"]

    def __str__(self) -> str:
        return f"{self.loan_id} {self.kind} {self.original_name}"


class ImportKind(models.TextChoices):
    LOANS = "loans", _("贷款")
    PAYMENTS = "payments", _("还款")


class ImportBatch(models.Model):
    """One run of ``autocollect import``: what came in, from whom, and what became of it."""

    kind = models.CharField(_("类型"), max_length=10, choices=ImportKind.choices)
    file_name = models.CharField(_("文件"), max_length=500)
    file_sha256 = models.CharField(max_length=64)
    actor = models.CharField(_("操作人"), max_length=150)
    rows = models.PositiveIntegerField(default=0)
    accepted = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    rejects_file = models.CharField(max_length=500, blank=True)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("导入批次")
        verbose_name_plural = _("导入批次")

    def __str__(self) -> str:
        return f"{self.kind} {self.file_name}"
