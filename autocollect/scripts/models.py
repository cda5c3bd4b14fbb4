"""The script library (话术库): what a collector says at each stage of a call (docs/scripts.md)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from autocollect.core.fields import StampField


class Stage(models.TextChoices):
    """The stages of a collection call, in the order a call goes through them. The first four
    are the source document's (车贷催收的实用话术 1–4); the last two are for a borrower who cannot
    be reached and for the people who answer instead of them."""

    TRUST = "trust", _("建立信任")
    LIABILITY = "liability", _("明确债务责任")
    SOLUTIONS = "solutions", _("提供灵活解决方案")
    CONSEQUENCES = "consequences", _("强调后果和时间紧迫性")
    LOST_CONTACT = "lost_contact", _("失联")
    THIRD_PARTY = "third_party", _("第三方")


STAGE_ORDER: dict[str, int] = {value: index for index, value in enumerate(Stage.values)}


class Language(models.TextChoices):
    ZH_HANS = "zh-hans", _("简体中文")
    EN = "en", _("English")


class Audience(models.TextChoices):
    """Who may hear the script: the content checker applies the rules for that audience. A
    script that someone other than the verified borrower may hear (a voicemail, the first words
    on a number that may have changed hands) is a third-party script."""

    BORROWER = "borrower", _("借款人本人")
    THIRD_PARTY = "third_party", _("第三方")


class ScriptStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    ACTIVE = "active", _("已启用")
    RETIRED = "retired", _("已停用")


class Script(models.Model):
    """One version of one script in one language. Collectors see only active versions; a
    version becomes active only through ``script_activate`` (content checker passed, audited)
    and its text never changes afterwards: an edit is a new version."""

    code = models.SlugField(_("话术代码"), max_length=60)
    stage = models.CharField(_("阶段"), max_length=16, choices=Stage.choices)
    language = models.CharField(_("语言"), max_length=8, choices=Language.choices)
    audience = models.CharField(
        _("对象"), max_length=12, choices=Audience.choices, default=Audience.BORROWER
    )
    position = models.PositiveSmallIntegerField(_("排序"), default=0)
    version = models.PositiveIntegerField(_("版本"), default=1)
    # "Title" here; the same Chinese is "Subject" for a message template (channels).
    title = models.CharField(pgettext_lazy("script", "标题"), max_length=120)
    body = models.TextField(_("话术正文"))
    # Instructions for the collector (when to use it, what to check first); never read aloud.
    notes = models.TextField(_("使用提示"), blank=True)
    status = models.CharField(
        _("状态"), max_length=8, choices=ScriptStatus.choices, default=ScriptStatus.DRAFT
    )
    created_by = models.CharField(_("创建人"), max_length=150, blank=True)
    created_at = StampField(_("创建时间"), auto_now_add=True)
    activated_by = models.CharField(_("启用人"), max_length=150, blank=True)
    activated_at = models.DateTimeField(_("启用时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("话术")
        verbose_name_plural = _("话术库")
        # Stage order is the order of a call (``STAGE_ORDER``), applied by the selectors.
        ordering = ["position", "code", "language", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["code", "language", "version"], name="script_unique_version"
            ),
            # At most one active version of a script per language.
            models.UniqueConstraint(
                fields=["code", "language"],
                condition=models.Q(status="active"),
                name="script_one_active",
            ),
            # What is said to a third party is checked as such (NIFA convention 2018 art. 18).
            models.CheckConstraint(
                condition=~models.Q(stage="third_party") | models.Q(audience="third_party"),
                name="script_third_party_audience",
            ),
        ]
        indexes = [models.Index(fields=["language", "status"], name="script_lang_status")]

    def __str__(self) -> str:
        return f"{self.code} {self.language} v{self.version} ({self.status})"
