"""What the web layer keeps: the claims of submitted forms (``ui.submissions``)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from autocollect.core.fields import StampField


class SubmissionClaim(models.Model):
    """One form submission, claimed by its token before the view runs.

    A second request with the same user and token does not run the view again: it is answered
    with the first one's result (the page it was sent to), or waits for it while it runs."""

    user_id = models.BigIntegerField(_("用户"))
    token = models.CharField(_("提交令牌"), max_length=64)
    path = models.CharField(_("地址"), max_length=300)
    location = models.CharField(_("结果页"), max_length=2000, blank=True)
    done = models.BooleanField(_("已完成"), default=False)
    claimed_at = StampField(_("提交时间"))

    class Meta:
        verbose_name = _("表单提交")
        verbose_name_plural = _("表单提交")
        constraints = [
            models.UniqueConstraint(fields=["user_id", "token"], name="ui_submission_once"),
        ]
        indexes = [models.Index(fields=["user_id", "claimed_at"], name="ui_submission_age")]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.token} {self.path}"
