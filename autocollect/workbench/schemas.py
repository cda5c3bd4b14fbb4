"""Shapes of the book's read API (``/api/portfolio/``, ``api.py``).

Money is integer fen in fields named ``*_fen``; where a person reads the figure a ``*_yuan``
string with two decimals (``"1234.56"``) comes beside it. Never a float. Personal data leaves
the server masked (national ID, phone numbers, e-mail, addresses): see ``core.masking``.
"""

from __future__ import annotations

from datetime import date

from ninja import Field, Schema

from autocollect.core.masking import mask_contact, mask_national_id
from autocollect.engine.loanmath import Component, RepaymentMethod
from autocollect.portfolio.models import (
    Borrower,
    ContactKind,
    ContactOwner,
    ContactPoint,
    ContactStatus,
    Gender,
    Installment,
    Loan,
    LoanStatus,
    MortgageStatus,
    Payment,
    Vehicle,
)
from autocollect.ui.api_common import AnyDate, ObjectId, yuan

# -- filters (query strings); an invalid value is answered with 422 by Ninja ------------------


class BorrowerFilters(Schema):
    name: str | None = Field(None, description="姓名包含（不区分大小写）")
    national_id: str | None = Field(None, description="身份证号（精确匹配）")
    province: str | None = Field(None, description="有贷款在该省份")
    city: str | None = Field(None, description="有贷款在该城市")


class LoanFilters(Schema):
    contract_no: str | None = Field(None, description="合同编号（精确匹配）")
    borrower_id: ObjectId | None = None
    product_code: str | None = None
    province: str | None = None
    city: str | None = None
    status: LoanStatus | None = None
    repayment_method: RepaymentMethod | None = None
    disbursed_from: AnyDate | None = Field(None, description="放款日不早于（含）")
    disbursed_to: AnyDate | None = Field(None, description="放款日不晚于（含）")
    overdue: bool | None = Field(
        None, description="有今天之前到期、未还金额超过产品容差的期次（true）或没有（false）"
    )


class VehicleFilters(Schema):
    brand: str | None = Field(None, description="品牌（精确匹配，不区分大小写）")
    vin: str | None = Field(None, description="车架号（精确匹配）")
    plate: str | None = Field(None, description="车牌号（精确匹配）")
    mortgage_status: MortgageStatus | None = None


# -- borrowers ---------------------------------------------------------------------------------


class BorrowerRef(Schema):
    id: int
    name: str


class BorrowerOut(Schema):
    id: int
    name: str
    national_id_masked: str
    gender: Gender
    birth_date: date

    @staticmethod
    def resolve_national_id_masked(obj: Borrower) -> str:
        # The stored masked copy: listing borrowers decrypts nothing (docs/privacy.md).
        return obj.national_id_masked or mask_national_id(obj.national_id)


class BorrowerListOut(BorrowerOut):
    loan_count: int


class ContactPointOut(Schema):
    id: int
    kind: ContactKind
    value_masked: str
    owner: ContactOwner
    owner_name: str
    relationship: str
    status: ContactStatus
    opted_out_channels: list[str]

    @staticmethod
    def resolve_value_masked(obj: ContactPoint) -> str:
        return obj.masked or mask_contact(obj.kind, obj.value)


class BorrowerLoanOut(Schema):
    contract_no: str
    principal_fen: int
    principal_yuan: str
    status: LoanStatus

    @staticmethod
    def resolve_principal_yuan(obj: Loan) -> str:
        return yuan(obj.principal_fen)


class BorrowerDetailOut(BorrowerOut):
    """``loans`` and ``loan_count``: only the loans the caller may see (``visible_loans``, set
    by the endpoint), never all of the borrower's loans."""

    loan_count: int
    contacts: list[ContactPointOut]
    loans: list[BorrowerLoanOut]

    @staticmethod
    def resolve_loans(obj: Borrower) -> list[Loan]:
        return list(obj.visible_loans)  # type: ignore[attr-defined]

    @staticmethod
    def resolve_loan_count(obj: Borrower) -> int:
        return len(obj.visible_loans)  # type: ignore[attr-defined]


# -- vehicles ----------------------------------------------------------------------------------


class VehicleOut(Schema):
    id: int
    vin: str
    plate: str
    brand: str
    model: str
    year: int
    price_fen: int
    price_yuan: str
    mortgage_status: MortgageStatus
    gps_tracker_id: str

    @staticmethod
    def resolve_price_yuan(obj: Vehicle) -> str:
        return yuan(obj.price_fen)


class VehicleLoanRef(Schema):
    contract_no: str
    borrower: BorrowerRef


class VehicleWithLoanOut(VehicleOut):
    loan: VehicleLoanRef


# -- loans -------------------------------------------------------------------------------------


class LoanOut(Schema):
    """A loan as the list shows it; the three amounts after ``credit_fen`` are computed from
    the schedule by the database as of today."""

    id: int
    contract_no: str
    borrower: BorrowerRef
    product_code: str
    principal_fen: int
    principal_yuan: str
    annual_rate: str = Field(..., description="年利率，小数（0.068000 即 6.8%）")
    term_months: int
    repayment_method: RepaymentMethod
    disbursed_on: date
    first_due_on: date
    dealer: str
    branch: str
    province: str
    city: str
    timezone: str
    status: LoanStatus
    credit_fen: int
    outstanding_principal_fen: int
    outstanding_principal_yuan: str
    overdue_fen: int = Field(..., description="今天之前到期的期次未还金额合计（分）")
    overdue_yuan: str
    overdue: bool = Field(..., description="有今天之前到期、未还金额超过产品容差的期次")

    @staticmethod
    def resolve_product_code(obj: Loan) -> str:
        return obj.product.code

    @staticmethod
    def resolve_principal_yuan(obj: Loan) -> str:
        return yuan(obj.principal_fen)

    @staticmethod
    def resolve_annual_rate(obj: Loan) -> str:
        return str(obj.annual_rate)

    @staticmethod
    def resolve_outstanding_principal_yuan(obj: Loan) -> str:
        return yuan(obj.outstanding_principal_fen)  # type: ignore[attr-defined]

    @staticmethod
    def resolve_overdue_yuan(obj: Loan) -> str:
        return yuan(obj.overdue_fen)  # type: ignore[attr-defined]

    @staticmethod
    def resolve_overdue(obj: Loan) -> bool:
        return bool(obj.is_overdue)  # type: ignore[attr-defined]


class LoanInstallmentOut(Schema):
    seq: int
    due_on: date
    principal_fen: int
    interest_fen: int
    penalty_fen: int
    paid_principal_fen: int
    paid_interest_fen: int
    paid_penalty_fen: int
    amount_fen: int = Field(..., description="应还本息（分），不含罚息")
    outstanding_fen: int = Field(..., description="未还本金+利息+罚息（分）")
    outstanding_yuan: str

    @staticmethod
    def resolve_outstanding_yuan(obj: Installment) -> str:
        return yuan(obj.outstanding_fen)


class AllocationOut(Schema):
    installment_seq: int
    component: Component
    amount_fen: int


class PaymentOut(Schema):
    payment_ref: str
    paid_on: date
    amount_fen: int
    amount_yuan: str
    channel: str
    credit_fen: int
    allocations: list[AllocationOut]

    @staticmethod
    def resolve_amount_yuan(obj: Payment) -> str:
        return yuan(obj.amount_fen)


class LoanDetailOut(LoanOut):
    schedule: list[LoanInstallmentOut]
    payments: list[PaymentOut]
    vehicle: VehicleOut | None

    @staticmethod
    def resolve_schedule(obj: Loan) -> list[Installment]:
        return list(obj.installments.all())

    @staticmethod
    def resolve_vehicle(obj: Loan) -> Vehicle | None:
        try:
            return obj.vehicle
        except Vehicle.DoesNotExist:
            return None
