"""Shapes of the arrangements read API (``api.py``).

Money is integer fen in ``*_fen`` fields with a two-decimal ``*_yuan`` string beside it, as in
the portfolio API. A signed confirmation is described by its name, SHA-256 and size: where it
is stored never leaves the server.
"""

from __future__ import annotations

from datetime import date, datetime

from ninja import Field, Schema

from autocollect.arrangements.models import (
    Arrangement,
    ArrangementDocument,
    ArrangementInstallment,
    ArrangementKind,
    ArrangementState,
    InstallmentState,
)
from autocollect.ui.api_common import ObjectId, yuan


class ArrangementFilters(Schema):
    case: ObjectId | None = Field(None, description="案件编号")
    state: ArrangementState | None = None


class ArrangementOut(Schema):
    id: int
    case_id: int
    contract_no: str
    kind: ArrangementKind
    state: ArrangementState
    proposed_on: date
    proposed_at: datetime
    agreed_total_fen: int = Field(..., description="约定还款总额（分）")
    agreed_total_yuan: str
    installment_count: int
    first_due_on: date
    decided_at: datetime | None
    activated_at: datetime | None
    closed_on: date | None

    @staticmethod
    def resolve_contract_no(obj: Arrangement) -> str:
        return obj.loan.contract_no

    @staticmethod
    def resolve_agreed_total_yuan(obj: Arrangement) -> str:
        return yuan(obj.agreed_total_fen)


class ArrangementInstallmentOut(Schema):
    seq: int
    due_on: date
    amount_fen: int
    amount_yuan: str
    state: InstallmentState
    judged_on: date | None

    @staticmethod
    def resolve_amount_yuan(obj: ArrangementInstallment) -> str:
        return yuan(obj.amount_fen)


class DocumentOut(Schema):
    name: str
    sha256: str
    size_bytes: int
    content_type: str
    uploaded_by: str
    uploaded_at: datetime

    @staticmethod
    def resolve_name(obj: ArrangementDocument) -> str:
        return obj.original_name

    @staticmethod
    def resolve_uploaded_by(obj: ArrangementDocument) -> str:
        return obj.uploaded_by.get_username()


class ArrangementDetailOut(ArrangementOut):
    """The terms as proposed: the balance it covers by component, the discount on each, the
    agreed total and what had already been paid since ``counted_from``."""

    counted_from: date
    balance_fen: int = Field(..., description="方案覆盖的欠款余额（分）")
    balance_yuan: str
    balance_penalty_fen: int
    balance_penalty_yuan: str
    balance_interest_fen: int
    balance_interest_yuan: str
    balance_principal_fen: int
    balance_principal_yuan: str
    discount_fen: int
    discount_yuan: str
    discount_penalty_fen: int
    discount_penalty_yuan: str
    discount_interest_fen: int
    discount_interest_yuan: str
    discount_principal_fen: int
    discount_principal_yuan: str
    discount_bp: int = Field(..., description="减免占欠款余额的比例（基点，向上取整）")
    already_paid_fen: int
    already_paid_yuan: str
    deferral_months: int
    reason: str
    approver_role: str
    proposed_by: str
    decided_by: str | None
    decision_note: str
    closed_note: str
    schedule: list[ArrangementInstallmentOut]
    documents: list[DocumentOut]

    @staticmethod
    def resolve_balance_yuan(obj: Arrangement) -> str:
        return yuan(obj.balance_fen)

    @staticmethod
    def resolve_balance_penalty_yuan(obj: Arrangement) -> str:
        return yuan(obj.balance_penalty_fen)

    @staticmethod
    def resolve_balance_interest_yuan(obj: Arrangement) -> str:
        return yuan(obj.balance_interest_fen)

    @staticmethod
    def resolve_balance_principal_yuan(obj: Arrangement) -> str:
        return yuan(obj.balance_principal_fen)

    @staticmethod
    def resolve_discount_yuan(obj: Arrangement) -> str:
        return yuan(obj.discount_fen)

    @staticmethod
    def resolve_discount_penalty_yuan(obj: Arrangement) -> str:
        return yuan(obj.discount_penalty_fen)

    @staticmethod
    def resolve_discount_interest_yuan(obj: Arrangement) -> str:
        return yuan(obj.discount_interest_fen)

    @staticmethod
    def resolve_discount_principal_yuan(obj: Arrangement) -> str:
        return yuan(obj.discount_principal_fen)

    @staticmethod
    def resolve_already_paid_yuan(obj: Arrangement) -> str:
        return yuan(obj.already_paid_fen)

    @staticmethod
    def resolve_proposed_by(obj: Arrangement) -> str:
        return obj.proposed_by.get_username()

    @staticmethod
    def resolve_decided_by(obj: Arrangement) -> str | None:
        return obj.decided_by.get_username() if obj.decided_by else None

    @staticmethod
    def resolve_schedule(obj: Arrangement) -> list[ArrangementInstallment]:
        return list(obj.installments.all())

    @staticmethod
    def resolve_documents(obj: Arrangement) -> list[ArrangementDocument]:
        return list(obj.documents.all())
