"""Who may do what with a hardship claim: the refusal predicates shared by the pages and the
services, each "" when the user may go ahead, else the translated reason.

First the user (role, case), then the state of the case, claim or document
(``*_state_refusal``). The services raise the reason (``core.errors.refuse``); the pages show a
form only when it is "", and in its place the state reason when only the state refuses
(docs/hardship.md, "Pages").
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from autocollect.accounts.access import has_permission
from autocollect.accounts.models import User
from autocollect.accounts.roles import Perm
from autocollect.cases.models import CaseStatus, CollectionCase
from autocollect.cases.selectors import case_refusal
from autocollect.hardship.models import (
    OPEN_STATES,
    TRANSITIONS,
    ClaimDocument,
    ClaimState,
    HardshipClaim,
)


def claim_file_state_refusal(case: CollectionCase) -> str:
    """Only an open case, and one open claim per case."""
    if case.status != CaseStatus.OPEN:
        return _("案件已结案")
    if HardshipClaim.objects.filter(case=case, state__in=OPEN_STATES).exists():
        return _("该案件已有处理中的困难申请")
    return ""


def claim_file_refusal(actor: User, case: CollectionCase) -> str:
    if not has_permission(actor, Perm.WORK_CASES):
        return _("只有催收人员可以登记困难申请")
    return case_refusal(actor, case) or claim_file_state_refusal(case)


def document_upload_state_refusal(claim: HardshipClaim) -> str:
    if claim.state not in OPEN_STATES:
        return _("申请已有决定，不能再上传材料")
    return ""


def document_upload_refusal(actor: User, claim: HardshipClaim) -> str:
    if not has_permission(actor, Perm.WORK_CASES):
        return _("只有催收人员可以上传材料")
    return case_refusal(actor, claim.case) or document_upload_state_refusal(claim)


def document_verify_state_refusal(document: ClaimDocument) -> str:
    if document.verified_at is not None:
        return _("该材料已核验")
    if document.claim.state not in OPEN_STATES:
        return _("申请已有决定，不能再核验材料")
    return ""


def document_verify_refusal(actor: User, document: ClaimDocument) -> str:
    if document.uploaded_by_id == actor.pk:
        return _("不能核验自己上传的材料")
    if not (has_permission(actor, Perm.WORK_CASES) or has_permission(actor, Perm.VIEW_TEAM)):
        return _("您的角色不能核验材料")
    return case_refusal(actor, document.claim.case) or document_verify_state_refusal(document)


def claim_decide_state_refusal(claim: HardshipClaim, decision: str) -> str:
    """A decision the claim's state allows: no favourable one (arrangement, pause) before the
    documents are complete, none after a final state."""
    if decision in TRANSITIONS[claim.state]:
        return ""
    if claim.state in OPEN_STATES:
        return _("材料尚未核验齐全，不能同意协商还款或暂停催收")
    return _("申请已办结，不能再作决定")


def claim_decider_refusal(actor: User, claim: HardshipClaim, decision: str) -> str:
    """Who decides, whatever the claim's state: a team lead who sees the case; the filer may
    also withdraw their own claim."""
    if decision == ClaimState.WITHDRAWN:
        if claim.filed_by_id != actor.pk and not has_permission(actor, Perm.VIEW_TEAM):
            return _("只有登记人或组长可以撤回申请")
    elif not has_permission(actor, Perm.VIEW_TEAM):
        return _("只有组长可以决定困难申请")
    return case_refusal(actor, claim.case)


def claim_decide_refusal(actor: User, claim: HardshipClaim, decision: str) -> str:
    return claim_decider_refusal(actor, claim, decision) or claim_decide_state_refusal(
        claim, decision
    )
