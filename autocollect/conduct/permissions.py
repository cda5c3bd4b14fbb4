"""Who may investigate misconduct reports: the refusal predicates shared by the pages, the
reads and the services ("" when the user may go ahead, else the translated reason)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from autocollect.accounts.access import AnyUser, has_permission, permission_refusal
from autocollect.accounts.models import User
from autocollect.conduct.models import MisconductReport
from autocollect.core.errors import refuse

INVESTIGATE = "investigate_misconduct"


def is_investigator(user: AnyUser | None) -> bool:
    return has_permission(user, INVESTIGATE)


def investigate_refusal(actor: User, report: MisconductReport) -> str:
    """Why ``actor`` may not act on ``report`` ("" when they may): only compliance acts on a
    report, never on one about themselves, and never on one they filed under their name (a
    conflict of interest either way)."""
    refusal = permission_refusal(actor, INVESTIGATE)
    if refusal:
        return refusal
    if report.subject_id == actor.pk:
        return _("关于您本人的举报由其他调查人员处理")
    if report.reporter_id is not None and report.reporter_id == actor.pk:
        return _("您本人提交的举报由其他调查人员处理")
    return ""


def require_investigator(actor: User, report: MisconductReport) -> None:
    """Raise ``investigate_refusal`` (transitions, notes, messages to the reporter)."""
    refuse(investigate_refusal(actor, report))
