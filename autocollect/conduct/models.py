"""The misconduct channel (违规举报): a report that a colleague broke the collection rules, and
compliance's investigation of it (docs/misconduct.md).

The source document asks for it in its emergency plans: "催收人员违规操作：建立举报机制和内部监督
渠道，及时发现和纠正问题".
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from autocollect.cases.models import CollectionCase
from autocollect.core.fields import StampField


class Category(models.TextChoices):
    """What the conduct broke, in the words of the rules (NIFA convention 2018 arts. 13–21, the
    national collection standard, the contact policy)."""

    HARASSMENT = "harassment", _("骚扰：频繁联系或在禁止时段联系")
    THREAT_ABUSE = "threat_abuse", _("威胁、恐吓或辱骂")
    THIRD_PARTY_DISCLOSURE = "third_party_disclosure", _("向第三方透露债务")
    PRIVACY = "privacy", _("违规查询、使用或泄露个人信息")
    IMPERSONATION = "impersonation", _("冒充公检法、律师或虚构身份")
    FALSE_CLAIMS = "false_claims", _("虚假陈述法律后果")
    EXTRA_FEES = "extra_fees", _("收取合同外费用或私下收款")
    RECORDS = "records", _("伪造、篡改或不如实记录")
    OTHER = "other", _("其他违规行为")


class ReportState(models.TextChoices):
    SUBMITTED = "submitted", _("已提交")
    UNDER_INVESTIGATION = "under_investigation", _("调查中")
    SUBSTANTIATED = "substantiated", _("查证属实")
    UNSUBSTANTIATED = "unsubstantiated", _("查无实据")
    CLOSED = "closed", _("已结案")


class MisconductReport(models.Model):
    """One report about one colleague. ``reporter`` is empty when the report is anonymous: the
    reporter is then not stored anywhere (the audit event of the filing names no actor), so
    that nobody — compliance, an administrator with database access, a court order — can learn
    it from autocollect. The description is the reporter's and never changes."""

    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="misconduct_reports_filed",
        verbose_name=_("举报人"),
    )
    anonymous = models.BooleanField(_("匿名举报"), default=False)
    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",  # no reverse accessor: a user's reports are not one attribute away
        verbose_name=_("被举报人"),
    )
    case = models.ForeignKey(
        CollectionCase,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("相关案件"),
    )
    category = models.CharField(_("违规类型"), max_length=24, choices=Category.choices)
    description = models.TextField(_("情况描述"))
    state = models.CharField(
        _("状态"), max_length=20, choices=ReportState.choices, default=ReportState.SUBMITTED
    )
    investigator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="misconduct_investigations",
        verbose_name=_("调查人"),
    )
    outcome = models.TextField(_("处理结果"), blank=True)
    submitted_at = models.DateTimeField(_("提交时间"))
    investigation_started_at = models.DateTimeField(_("开始调查时间"), null=True, blank=True)
    concluded_at = models.DateTimeField(_("调查结论时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("结案时间"), null=True, blank=True)
    updated_at = StampField(_("更新时间"), auto_now=True)
    # An anonymous reporter follows the report with a code shown to them once, at filing; only
    # its keyed hash is stored (autocollect.conduct.followup). Empty for a named report.
    followup_digest = models.CharField(
        _("查询码摘要"), max_length=64, null=True, blank=True, unique=True, editable=False
    )

    # The clear follow-up code, on the instance ``report_file`` returns and nowhere else: it is
    # shown to the reporter once and never saved.
    followup_code: str = ""

    class Meta:
        verbose_name = _("违规举报")
        verbose_name_plural = _("违规举报")
        ordering = ["-submitted_at", "-pk"]
        constraints = [
            # Anonymous means no reporter stored, and a named report has its reporter.
            models.CheckConstraint(
                condition=models.Q(anonymous=True, reporter__isnull=True)
                | models.Q(anonymous=False, reporter__isnull=False),
                name="misconduct_anonymous_has_no_reporter",
            ),
            # Only an anonymous report has a follow-up code: a named reporter has their list.
            models.CheckConstraint(
                condition=models.Q(followup_digest__isnull=True) | models.Q(anonymous=True),
                name="misconduct_followup_only_anonymous",
            ),
        ]
        indexes = [models.Index(fields=["state", "submitted_at"], name="misconduct_state")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.category} ({self.state})"


class InvestigationNote(models.Model):
    """A note of the investigation (an interview, a recording listened to, a decision). Notes
    are added, never edited or deleted."""

    report = models.ForeignKey(
        MisconductReport, on_delete=models.PROTECT, related_name="notes", verbose_name=_("举报")
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("记录人"),
    )
    body = models.TextField(_("内容"))
    created_at = StampField(_("记录时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("调查记录")
        verbose_name_plural = _("调查记录")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"note {self.pk} on report {self.report_id}"


class ReporterMessage(models.Model):
    """A message between the investigators and the reporter, separate from the investigation's
    notes: investigators choose what the reporter may read (``from_reporter`` false, written by
    ``author``), and an anonymous reporter answers through their follow-up code
    (``from_reporter`` true, no author: nothing names them). Never edited or deleted."""

    report = models.ForeignKey(
        MisconductReport,
        on_delete=models.PROTECT,
        related_name="messages",
        verbose_name=_("举报"),
    )
    from_reporter = models.BooleanField(_("举报人留言"), default=False)
    # The investigator who wrote a message to the reporter; shown to investigators only.
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("撰写人"),
    )
    body = models.TextField(_("内容"))
    created_at = StampField(_("时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("与举报人的沟通")
        verbose_name_plural = _("与举报人的沟通")
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(from_reporter=True, author__isnull=True)
                | models.Q(from_reporter=False, author__isnull=False),
                name="reporter_message_author_unless_from_reporter",
            ),
        ]

    def __str__(self) -> str:
        return f"message {self.pk} on report {self.report_id}"


class FollowUpFailure(models.Model):
    """One wrong follow-up code, for the throttle (autocollect.conduct.followup). ``user_key``
    is a keyed hash of the user's id, not a foreign key, so that the table names nobody; rows
    older than the cool-down are deleted at the next attempt, so it keeps no history. A right
    code leaves no row."""

    user_key = models.CharField(_("用户摘要"), max_length=64, db_index=True)
    at = models.DateTimeField(_("时间"))

    class Meta:
        verbose_name = _("查询码错误记录")
        verbose_name_plural = _("查询码错误记录")

    def __str__(self) -> str:
        return f"wrong follow-up code at {self.at:%Y-%m-%d %H:%M}"
