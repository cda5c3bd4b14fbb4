"""Reads for hardship claims."""

from __future__ import annotations

from datetime import date

from django.db.models import QuerySet

from autocollect.hardship.claim_types import REQUIRED_DOCUMENTS
from autocollect.hardship.models import ClaimState, HardshipClaim


def missing_documents(claim: HardshipClaim) -> list[str]:
    """Required document types of the claim without a verified document, in the order the
    type lists them."""
    verified = set(claim.documents.filter(verified_ok=True).values_list("doc_type", flat=True))
    return [t for t in REQUIRED_DOCUMENTS[claim.claim_type] if t not in verified]


def claims_overdue(*, as_of: date) -> QuerySet[HardshipClaim]:
    """Claims still waiting for documents after their deadline."""
    return (
        HardshipClaim.objects.filter(
            state=ClaimState.AWAITING_DOCUMENTS, documents_due_on__lt=as_of
        )
        .select_related("case__loan", "filed_by")
        .order_by("documents_due_on", "pk")
    )


def claims_for_case(case_id: int) -> QuerySet[HardshipClaim]:
    return HardshipClaim.objects.filter(case_id=case_id).order_by("-filed_at")
