"""Who may do what on the workbench: the refusal predicates shared by the pages and the
services, each "" when the user may go ahead, else the translated reason. The services raise
it (``core.errors.refuse``); the pages ask it to hide a form and say why."""

from __future__ import annotations

from django.utils.translation import gettext as _

from autocollect.accounts.access import has_permission
from autocollect.accounts.models import Team, User
from autocollect.cases.models import CollectionCase
from autocollect.cases.selectors import visible_cases
from autocollect.core.errors import refuse


def outcome_log_refusal(agent: User) -> str:
    """Logging the outcome of a contact is for those who work cases."""
    if not has_permission(agent, "work_cases"):
        return _("没有处理案件的权限")
    return ""


def lead_refusal(actor: User, case: CollectionCase) -> str:
    """Why ``actor`` may not act as the team lead of ``case`` ("" when they may)."""
    if not has_permission(actor, "view_team"):
        return _("只有组长可以执行此操作")
    if not visible_cases(actor).filter(pk=case.pk).exists():
        return _("该案件不属于您的团队")
    return ""


def require_lead_of(actor: User, case: CollectionCase) -> None:
    """Raise ``lead_refusal`` (reassigning, resolving alerts, releasing pauses)."""
    refuse(lead_refusal(actor, case))


def reassign_target_refusal(actor: User, agent: User) -> str:
    """A lead gives cases only to the collectors of their own teams (an administrator: to
    anyone)."""
    if has_permission(actor, "admin"):
        return ""
    if not Team.objects.filter(lead=actor, agents=agent).exists():
        return _("只能分配给您团队中的催收员")
    return ""
