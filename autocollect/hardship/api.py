"""Read API for hardship claims: the list and one claim with its documents, their
verification and the decision (docs/api.md, docs/hardship.md).

Mounted at ``/api/hardship``. Who reads what follows the pages: every signed-in user, for the
cases they see (docs/roles.md); a claim on a case the caller may not see is a 404 exactly like
a missing one, and lists leave it out. Claims change through the pages and services only.
"""

# Ninja resolves annotations at import time: no ``from __future__ import annotations``.
from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router
from ninja.errors import HttpError
from ninja.pagination import paginate

from autocollect.cases.selectors import visible_cases
from autocollect.hardship.models import ClaimDocument, HardshipClaim
from autocollect.hardship.schemas import ClaimDetailOut, ClaimFilters, ClaimOut
from autocollect.ui.api_common import NOT_FOUND, ObjectId, Pagination

router = Router(tags=["hardship"])


def _visible(request: HttpRequest) -> QuerySet[HardshipClaim]:
    """The claims of the cases the caller sees (as the claim pages find them)."""
    return HardshipClaim.objects.filter(
        case__in=visible_cases(request.user).values("pk")
    ).select_related("case__loan", "filed_by")


@router.get("/claims", response=list[ClaimOut], summary="困难申请列表")
@paginate(Pagination)
def list_claims(request: HttpRequest, filters: Query[ClaimFilters]) -> QuerySet[HardshipClaim]:
    claims = _visible(request)
    if filters.case is not None:
        claims = claims.filter(case_id=filters.case)
    if filters.state is not None:
        claims = claims.filter(state=filters.state)
    return claims.order_by("-filed_at", "-id")


@router.get(
    "/claims/{claim_id}",
    response={200: ClaimDetailOut, **NOT_FOUND},
    summary="困难申请详情（证明材料及核验、决定）",
)
def get_claim(request: HttpRequest, claim_id: ObjectId) -> HardshipClaim:
    documents = ClaimDocument.objects.select_related("uploaded_by", "verified_by").order_by(
        "uploaded_at", "id"
    )
    claim = (
        _visible(request)
        .select_related("decided_by")
        .prefetch_related(Prefetch("documents", documents))
        .filter(pk=claim_id)
        .first()
    )
    if claim is None:
        raise HttpError(404, _("困难申请 %(id)s 不存在") % {"id": claim_id})
    return claim
