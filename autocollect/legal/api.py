"""Read API for legal referrals: the list and one referral with its stage history, deadlines,
costs and recoveries (docs/api.md, docs/legal.md).

Mounted at ``/api/legal``. Who reads what follows the pages: ``view_legal`` or ``view_team``
(legal and team leads), for the cases they see (docs/roles.md); a referral of a case the
caller may not see is a 404 exactly like a missing one, and lists leave it out. Referrals move
through the pages and services only.
"""

# Ninja resolves annotations at import time: no ``from __future__ import annotations``.
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router
from ninja.errors import HttpError
from ninja.pagination import paginate

from autocollect.accounts.api_auth import require_api_permission
from autocollect.accounts.models import User
from autocollect.audit.models import AuditEvent
from autocollect.cases.selectors import visible_cases
from autocollect.legal import selectors
from autocollect.legal.models import LegalCost, LegalDeadline, LegalReferral, Stage
from autocollect.legal.permissions import READERS
from autocollect.legal.schemas import ReferralDetailOut, ReferralFilters, ReferralOut
from autocollect.ui.api_common import NOT_FOUND, ObjectId, Pagination, yuan

router = Router(tags=["legal"])


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # the API authenticated the caller
    return user


def referral_history(referral: LegalReferral) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The stage changes (the referral itself first) and the recoveries, oldest first, from the
    audit log: ``services.stages.stage_move`` writes one ``legal.stage`` event per change and
    ``services.litigation.recovery_record`` one ``legal.recovery`` event per amount. A referral
    whose events are missing (loaded from elsewhere) still shows its current stage."""
    stages: list[dict[str, Any]] = [
        {
            "stage": Stage.REFERRAL,
            "from_stage": None,
            "at": referral.referred_at,
            "actor": referral.referred_by.get_username(),
            "reason": referral.reason_note,
        }
    ]
    recoveries: list[dict[str, Any]] = []
    events = AuditEvent.objects.filter(
        object_type=LegalReferral._meta.label_lower,
        object_id=str(referral.pk),
        action__in=("legal.stage", "legal.recovery"),
    ).order_by("id")
    for event in events:
        before, after = event.before or {}, event.after or {}
        if event.action == "legal.stage":
            stages.append(
                {
                    "stage": after.get("stage"),
                    "from_stage": before.get("stage"),
                    "at": event.at,
                    "actor": event.actor,
                    "reason": event.reason,
                }
            )
        else:
            amount = int(after.get("recovered_fen", 0)) - int(before.get("recovered_fen", 0))
            recoveries.append(
                {
                    "at": event.at,
                    "amount_fen": amount,
                    "amount_yuan": yuan(amount),
                    "recorded_by": event.actor,
                }
            )
    if stages[-1]["stage"] != referral.stage:
        stages.append(
            {
                "stage": referral.stage,
                "from_stage": stages[-1]["stage"],
                "at": referral.stage_changed_at,
                "actor": "",
                "reason": "",
            }
        )
    return stages, recoveries


@router.get("/referrals", response=list[ReferralOut], summary="法务案件列表")
@paginate(Pagination)
def list_referrals(
    request: HttpRequest, filters: Query[ReferralFilters]
) -> QuerySet[LegalReferral]:
    require_api_permission(request, *READERS)
    return selectors.referral_list(_user(request), stage=filters.stage or "")


@router.get(
    "/referrals/{referral_id}",
    response={200: ReferralDetailOut, **NOT_FOUND},
    summary="法务案件详情（阶段记录、期限、费用、执行回收）",
)
def get_referral(request: HttpRequest, referral_id: ObjectId) -> LegalReferral:
    require_api_permission(request, *READERS)
    referral = (
        LegalReferral.objects.filter(pk=referral_id, case__in=visible_cases(request.user))
        .select_related("case__loan", "referred_by")
        .prefetch_related(
            "defendants",
            "mediation_sessions",
            "hearings",
            Prefetch("costs", LegalCost.objects.order_by("incurred_on", "id")),
            Prefetch("deadlines", LegalDeadline.objects.order_by("due_on", "id")),
        )
        .first()
    )
    if referral is None:
        raise HttpError(404, _("法务案件 %(id)s 不存在") % {"id": referral_id})
    stages, recoveries = referral_history(referral)
    referral.stage_history = stages  # type: ignore[attr-defined]
    referral.recoveries = recoveries  # type: ignore[attr-defined]
    return referral
