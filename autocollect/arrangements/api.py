"""Read API for repayment arrangements: the list and one arrangement with its terms, schedule
and signed confirmations (docs/api.md, docs/arrangements.md).

Mounted at ``/api/arrangements``. Who reads what follows the pages: every signed-in user, for
the cases they see (docs/roles.md); an arrangement of a case the caller may not see is a 404
exactly like a missing one, and lists leave it out. Arrangements change through the pages and
services, never here.
"""

# Ninja resolves annotations at import time: no ``from __future__ import annotations``.
from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router
from ninja.errors import HttpError
from ninja.pagination import paginate

from autocollect.accounts.models import User
from autocollect.arrangements.models import Arrangement, ArrangementDocument
from autocollect.arrangements.schemas import (
    ArrangementDetailOut,
    ArrangementFilters,
    ArrangementOut,
)
from autocollect.arrangements.selectors import visible_arrangements
from autocollect.ui.api_common import NOT_FOUND, ObjectId, Pagination

router = Router(tags=["arrangements"])


def _visible(request: HttpRequest) -> QuerySet[Arrangement]:
    user = request.user
    assert isinstance(user, User)  # the API authenticated the caller
    return visible_arrangements(user).select_related("loan")


@router.get("", response=list[ArrangementOut], summary="还款方案列表")
@paginate(Pagination)
def list_arrangements(
    request: HttpRequest, filters: Query[ArrangementFilters]
) -> QuerySet[Arrangement]:
    arrangements = _visible(request)
    if filters.case is not None:
        arrangements = arrangements.filter(case_id=filters.case)
    if filters.state is not None:
        arrangements = arrangements.filter(state=filters.state)
    return arrangements.order_by("-proposed_at", "-id")


@router.get(
    "/{arrangement_id}",
    response={200: ArrangementDetailOut, **NOT_FOUND},
    summary="还款方案详情（方案条款、新还款计划、签字确认文件）",
)
def get_arrangement(request: HttpRequest, arrangement_id: ObjectId) -> Arrangement:
    found = (
        _visible(request)
        .select_related("proposed_by", "decided_by")
        .prefetch_related(
            "installments",
            Prefetch(
                "documents",
                ArrangementDocument.objects.select_related("uploaded_by").order_by(
                    "uploaded_at", "id"
                ),
            ),
        )
        .filter(pk=arrangement_id)
        .first()
    )
    if found is None:
        raise HttpError(404, _("还款方案 %(id)s 不存在") % {"id": arrangement_id})
    return found
