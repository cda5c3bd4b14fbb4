"""Who may do what with a repayment arrangement: the refusal predicates shared by the pages
and the services, each "" when the user may go ahead, else the translated reason.

First the user (role, case), then the state (``*_state_refusal``). The services raise the
reason (``core.errors.refuse``); the pages show a form only when it is "", and in its place the
state reason when only the state refuses (docs/arrangements.md, "Pages"). Nobody approves their
own proposal; an approver approves only within the limits of their role (``conf.APPROVERS``).
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from autocollect.accounts.access import has_permission
from autocollect.accounts.models import User
from autocollect.accounts.roles import Perm
from autocollect.arrangements import selectors
from autocollect.arrangements.models import LIVE_STATES, Arrangement, ArrangementState
from autocollect.cases.models import CaseStatus, CollectionCase
from autocollect.cases.selectors import case_refusal
from autocollect.core.errors import refuse

S = ArrangementState


def arrangement_propose_state_refusal(case: CollectionCase) -> str:
    """Only an open case without a live (proposed, approved, active) arrangement."""
    if case.status != CaseStatus.OPEN:
        return _("案件已结案")
    if Arrangement.objects.filter(case=case, state__in=LIVE_STATES).exists():
        return _("该案件已有待审批或执行中的还款方案")
    return ""


def arrangement_propose_refusal(actor: User, case: CollectionCase) -> str:
    if not has_permission(actor, Perm.WORK_CASES):
        return _("只有催收人员可以提出还款方案")
    return case_refusal(actor, case) or arrangement_propose_state_refusal(case)


def arrangement_decide_state_refusal(arrangement: Arrangement) -> str:
    if arrangement.state != S.PROPOSED:
        return _("方案当前为“%(from)s”，不能审批") % {"from": S(arrangement.state).label}
    return ""


def arrangement_decide_refusal(actor: User, arrangement: Arrangement, *, approving: bool) -> str:
    """Approve (``approving``) or reject a proposal: an approver role of the matrix who sees
    the case, never on their own proposal; approving only within the role's limits."""
    if arrangement.proposed_by_id == actor.pk:
        return _("不能审批自己提出的方案")
    if not selectors.is_approver(actor):
        return _("您的角色不能审批还款方案")
    refusal = case_refusal(actor, arrangement.case) or arrangement_decide_state_refusal(arrangement)
    if refusal:
        return refusal
    if approving and not selectors.approver_may_approve(actor, arrangement):
        return _("减免 %(pct)s、金额超出您的审批权限，需由“%(role)s”审批") % {
            "pct": arrangement.discount_percent,
            "role": arrangement.approver_role,
        }
    return ""


def arrangement_withdraw_state_refusal(arrangement: Arrangement) -> str:
    """A proposal, or an approved arrangement the borrower has not signed yet."""
    if arrangement.state not in (S.PROPOSED, S.APPROVED):
        return _("方案当前为“%(from)s”，不能撤回") % {"from": S(arrangement.state).label}
    return ""


def arrangement_withdraw_refusal(actor: User, arrangement: Arrangement) -> str:
    """The proposer, or an approver who sees the case."""
    if arrangement.proposed_by_id != actor.pk:
        if not selectors.is_approver(actor):
            return _("只有提出人或审批人可以撤回方案")
        refusal = case_refusal(actor, arrangement.case)
        if refusal:
            return refusal
    return arrangement_withdraw_state_refusal(arrangement)


def arrangement_confirm_state_refusal(arrangement: Arrangement) -> str:
    if arrangement.state != S.APPROVED:
        return _("方案当前为“%(from)s”，不能上传签字确认") % {"from": S(arrangement.state).label}
    return ""


def arrangement_confirm_refusal(actor: User, arrangement: Arrangement) -> str:
    if not has_permission(actor, Perm.WORK_CASES):
        return _("只有催收人员可以上传签字确认")
    return case_refusal(actor, arrangement.case) or arrangement_confirm_state_refusal(arrangement)


def require_approver(actor: User, arrangement: Arrangement, *, approving: bool) -> None:
    """Raise ``arrangement_decide_refusal`` (approving, rejecting)."""
    refuse(arrangement_decide_refusal(actor, arrangement, approving=approving))
