"""Shapes of the hardship read API (``api.py``).

A claim's documents are described by type, name, SHA-256, size and verification: where a file
is stored never leaves the server. The claim's free-text description (health, income, family
circumstances) is not part of the API: it is read on the claim's page.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from ninja import Field, Schema

from autocollect.hardship.claim_types import ClaimType, DocumentType
from autocollect.hardship.models import OPEN_STATES, ClaimDocument, ClaimState, HardshipClaim
from autocollect.hardship.selectors import missing_documents
from autocollect.ui.api_common import ObjectId

Verification = Literal["pending", "passed", "refused"]


class ClaimFilters(Schema):
    case: ObjectId | None = Field(None, description="案件编号")
    state: ClaimState | None = None


class ClaimOut(Schema):
    id: int
    case_id: int
    contract_no: str
    claim_type: ClaimType
    state: ClaimState
    filed_by: str
    filed_at: datetime
    documents_due_on: date = Field(..., description="材料截止日期")

    @staticmethod
    def resolve_contract_no(obj: HardshipClaim) -> str:
        return obj.case.loan.contract_no

    @staticmethod
    def resolve_filed_by(obj: HardshipClaim) -> str:
        return obj.filed_by.get_username()


class ClaimDocumentOut(Schema):
    id: int
    doc_type: DocumentType
    name: str
    sha256: str
    size_bytes: int
    content_type: str
    uploaded_by: str
    uploaded_at: datetime
    verification: Verification = Field(
        ..., description="pending 待核验 / passed 通过 / refused 不通过"
    )
    verified_by: str | None
    verified_at: datetime | None
    verification_note: str

    @staticmethod
    def resolve_name(obj: ClaimDocument) -> str:
        return obj.original_name

    @staticmethod
    def resolve_uploaded_by(obj: ClaimDocument) -> str:
        return obj.uploaded_by.get_username()

    @staticmethod
    def resolve_verification(obj: ClaimDocument) -> Verification:
        if obj.verified_at is None:
            return "pending"
        return "passed" if obj.verified_ok else "refused"

    @staticmethod
    def resolve_verified_by(obj: ClaimDocument) -> str | None:
        return obj.verified_by.get_username() if obj.verified_by else None


class ClaimDecisionOut(Schema):
    """How the claim ended; ``decided_by`` is empty when the deadline lapsed it."""

    decided_by: str | None
    decided_at: datetime | None
    note: str
    pause_until: date | None = Field(None, description="暂停催收至（含）")


class ClaimDetailOut(ClaimOut):
    missing_documents: list[DocumentType] = Field(..., description="尚无核验通过材料的必需材料类型")
    documents: list[ClaimDocumentOut]
    decision: ClaimDecisionOut | None = Field(None, description="申请仍在处理中时为 null")

    @staticmethod
    def resolve_missing_documents(obj: HardshipClaim) -> list[str]:
        return missing_documents(obj)

    @staticmethod
    def resolve_documents(obj: HardshipClaim) -> list[ClaimDocument]:
        return list(obj.documents.all())

    @staticmethod
    def resolve_decision(obj: HardshipClaim) -> ClaimDecisionOut | None:
        if obj.state in OPEN_STATES:
            return None
        return ClaimDecisionOut(
            decided_by=obj.decided_by.get_username() if obj.decided_by else None,
            decided_at=obj.decided_at,
            note=obj.decision_note,
            pause_until=obj.pause_until,
        )
