"""Message templates, the transactional outbox and delivery receipts (docs/channels.md)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from autocollect.cases.models import CollectionCase, Interaction
from autocollect.core.fields import StampField
from autocollect.privacy.fields import EncryptedTextField


class Channel(models.TextChoices):
    # The automated subset of ``portfolio.Channel``: every send becomes an interaction.
    SMS = "sms", _("短信")
    EMAIL = "email", _("电子邮件")
    ROBOT_CALL = "robot_call", _("机器人外呼")
    LETTER = "letter", _("信函")


class Language(models.TextChoices):
    ZH_HANS = "zh-hans", _("简体中文")
    EN = "en", _("English")


class Audience(models.TextChoices):
    BORROWER = "borrower", _("借款人")
    THIRD_PARTY = "third_party", _("第三方")


class TemplateStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    ACTIVE = "active", _("已启用")
    RETIRED = "retired", _("已停用")


class MessageTemplate(models.Model):
    """One version of one message in one language. Only an active version is sent; a version
    becomes active only through ``template_activate`` (content checker passed, audited), and
    its text never changes afterwards: an edit is a new version."""

    code = models.CharField(_("模板代码"), max_length=60)
    channel = models.CharField(_("渠道"), max_length=12, choices=Channel.choices)
    language = models.CharField(_("语言"), max_length=8, choices=Language.choices)
    audience = models.CharField(
        _("对象"), max_length=12, choices=Audience.choices, default=Audience.BORROWER
    )
    version = models.PositiveIntegerField(_("版本"), default=1)
    subject = models.CharField(_("标题"), max_length=200, blank=True)
    body = models.TextField(_("正文"))
    status = models.CharField(
        _("状态"), max_length=8, choices=TemplateStatus.choices, default=TemplateStatus.DRAFT
    )
    created_by = models.CharField(_("创建人"), max_length=150, blank=True)
    created_at = StampField(auto_now_add=True)
    activated_by = models.CharField(_("启用人"), max_length=150, blank=True)
    activated_at = models.DateTimeField(_("启用时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("消息模板")
        verbose_name_plural = _("消息模板")
        constraints = [
            models.UniqueConstraint(
                fields=["code", "language", "version"], name="template_unique_version"
            ),
            # At most one active version of a message per language.
            models.UniqueConstraint(
                fields=["code", "language"],
                condition=models.Q(status="active"),
                name="template_one_active",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.language} v{self.version} ({self.status})"


class OutboxStatus(models.TextChoices):
    PENDING = "pending", _("待发送")
    SENDING = "sending", _("发送中")
    SENT = "sent", _("已发送")
    DELIVERED = "delivered", _("已送达")
    FAILED = "failed", _("发送失败")
    DEAD = "dead", _("放弃重试")
    # The contact gate refused it at send time and names no moment it would allow it (a hold,
    # an opt-out, a lost-contact flag): not sent, and not retried.
    BLOCKED = "blocked", _("合规拦截")


class OutboxMessage(models.Model):
    """One outbound message, written in the transaction of the decision that causes it and
    dispatched by id. ``idempotency_key`` goes to the provider with every attempt, so that a
    message retried after a crash is still delivered once."""

    idempotency_key = models.CharField(_("幂等键"), max_length=100, unique=True)
    case = models.ForeignKey(
        CollectionCase, on_delete=models.PROTECT, related_name="outbox_messages"
    )
    channel = models.CharField(_("渠道"), max_length=12, choices=Channel.choices)
    party = models.CharField(
        _("对象"), max_length=12, choices=Audience.choices, default=Audience.BORROWER
    )
    # Encrypted at rest (docs/privacy.md); the dispatcher reads the clear value from the field.
    to = EncryptedTextField(_("号码/地址"))
    template = models.ForeignKey(
        MessageTemplate, on_delete=models.PROTECT, related_name="outbox_messages"
    )
    language = models.CharField(_("语言"), max_length=8, choices=Language.choices)
    subject = models.CharField(_("标题"), max_length=300, blank=True)
    body = models.TextField(_("正文"))
    payload = models.JSONField(_("附加数据"), default=dict, blank=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=OutboxStatus.choices, default=OutboxStatus.PENDING
    )
    attempts = models.PositiveIntegerField(_("尝试次数"), default=0)
    # For pending rows: when the next attempt is due; for sending rows: when the claim of the
    # dispatcher that holds it lapses (a dispatcher that died leaves its row to be taken over).
    next_attempt_at = models.DateTimeField(_("下次尝试时间"))
    provider_message_id = models.CharField(_("服务商消息号"), max_length=100, blank=True)
    last_error = models.TextField(_("最近错误"), blank=True)
    artifact = models.CharField(_("附件"), max_length=300, blank=True)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("送达时间"), null=True, blank=True)
    interactions = models.ManyToManyField(
        Interaction, blank=True, related_name="outbox_messages", verbose_name=_("联系记录")
    )
    created_at = StampField(auto_now_add=True)
    updated_at = StampField(auto_now=True)

    class Meta:
        verbose_name = _("待发消息")
        verbose_name_plural = _("待发消息")
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="outbox_due"),
            models.Index(fields=["provider_message_id"], name="outbox_provider_id"),
        ]

    def __str__(self) -> str:
        return f"{self.idempotency_key} {self.channel} {self.status}"


class DeliveryReceipt(models.Model):
    """A provider's report on a message. The same report arriving twice (providers resend
    until they get a 200) hits the unique constraint and changes nothing."""

    provider = models.CharField(_("服务商"), max_length=40)
    provider_message_id = models.CharField(_("服务商消息号"), max_length=100)
    status = models.CharField(_("状态"), max_length=20)
    message = models.ForeignKey(
        OutboxMessage,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="receipts",
    )
    reported_at = models.DateTimeField(_("回执时间"), null=True, blank=True)
    received_at = models.DateTimeField(_("接收时间"))
    raw = models.JSONField(_("原始数据"), default=dict)

    class Meta:
        verbose_name = _("送达回执")
        verbose_name_plural = _("送达回执")
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "provider_message_id", "status"], name="receipt_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.provider} {self.provider_message_id} {self.status}"
