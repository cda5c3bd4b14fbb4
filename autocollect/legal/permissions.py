"""Who may act on legal referrals, and what the state of a case or referral refuses: each
predicate returns the reason ("" when the user may go ahead). The services raise it
(``core.errors.refuse``); the pages hide the form and show the reason in its place
(docs/legal.md, "Pages"); the API and the pages check the same permission tuples."""

from __future__ import annotations

from datetime import date, timedelta

from django.utils.translation import gettext as _

from autocollect.accounts.access import permission_refusal
from autocollect.accounts.models import User
from autocollect.accounts.roles import Perm
from autocollect.cases.models import CaseStatus, CollectionCase
from autocollect.legal.models import JC_APPLICATION_DAYS, LegalReferral, Stage
from autocollect.legal.selectors import open_referral

# Who reads referrals (the pages and the API): legal, who works them, and team leads.
READERS = (Perm.VIEW_LEGAL, Perm.VIEW_TEAM)
# Who refers a case to legal: team leads and legal (the hard-case pages and services use the
# same tuple).
REFERRERS = (Perm.VIEW_TEAM, Perm.VIEW_LEGAL)
# Who works a referral (moves its stage, records sessions, rulings, costs, deadlines): legal.
WORKERS = (Perm.VIEW_LEGAL,)


def referral_work_refusal(user: User) -> str:
    """Only legal works a referral; team leads refer and read."""
    return permission_refusal(user, *WORKERS)


def referrer_refusal(user: User) -> str:
    """Only team leads and legal refer a case (a collector is refused)."""
    return permission_refusal(user, *REFERRERS)


def referral_create_refusal(case: CollectionCase) -> str:
    """Only an open case, and only one open referral per case."""
    if case.status != CaseStatus.OPEN:
        return _("只有处理中的案件可以转法务")
    if open_referral(case.pk) is not None:
        return _("该案件已在法务处理中")
    return ""


def referral_act_refusal(referral: LegalReferral) -> str:
    """No action on a closed referral (its deadlines no longer apply, its hold is released)."""
    if referral.stage == Stage.CLOSED:
        return _("法务案件已结案，不能再办理")
    return ""


def litigation_file_refusal(referral: LegalReferral, *, filed_on: date) -> str:
    """Not while the 30-day window to apply for judicial confirmation of a mediation agreement
    is open, nor while a confirmation is pending or after it was confirmed."""
    if referral.stage == Stage.MEDIATION and referral.mediation_agreement_on is not None:
        last_day = referral.mediation_agreement_on + timedelta(days=JC_APPLICATION_DAYS)
        if filed_on <= last_day:
            return _("已达成调解协议：请在30日内申请司法确认，期限届满后方可起诉")
    if referral.stage == Stage.JUDICIAL_CONFIRMATION and referral.jc_confirmed is not False:
        return _("司法确认尚未被法院驳回，不能转入诉讼")
    return ""


def enforcement_apply_refusal(referral: LegalReferral) -> str:
    """Only a confirmed mediation agreement or an effective judgment is enforceable."""
    if referral.stage == Stage.JUDICIAL_CONFIRMATION and referral.jc_confirmed is not True:
        return _("调解协议未经法院裁定确认，不能申请执行")
    if referral.stage == Stage.LITIGATION and referral.judgment_effective_on is None:
        return _("判决尚未生效，不能申请执行")
    return ""
