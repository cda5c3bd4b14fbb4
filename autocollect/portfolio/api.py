"""Read API for the loan book: borrowers, loans (with schedules and payments), vehicles.

Every endpoint needs a token or a session (``config/api.py``) and shows only what the caller may
see: the loans of the cases visible to them, and those loans' borrowers and vehicles (all of
them for risk, compliance and administrators; docs/roles.md). Anything else is a 404, exactly
as if it did not exist. Endpoints only parse, call one selector and return; the shapes are in
``schemas.py``.
"""

# No ``from __future__ import annotations`` here: Ninja reads the parameter annotations
# (``Query[...]``) at import time and cannot resolve them from strings.
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError
from ninja.pagination import LimitOffsetPagination, paginate

from autocollect.accounts import access
from autocollect.portfolio import selectors
from autocollect.portfolio.models import Borrower, Loan, Vehicle
from autocollect.portfolio.schemas import (
    BorrowerDetailOut,
    BorrowerFilters,
    BorrowerListOut,
    ErrorOut,
    LoanDetailOut,
    LoanFilters,
    LoanOut,
    VehicleFilters,
    VehicleWithLoanOut,
)

router = Router(tags=["portfolio"])

PAGE_DEFAULT = 50
PAGE_MAX = 500


class PortfolioPagination(LimitOffsetPagination):
    """``limit``/``offset`` with 50 rows by default; a ``limit`` above 500 is refused (422)
    rather than silently cut, so that a client never believes it has read everything."""

    class Input(Schema):
        limit: int = Field(PAGE_DEFAULT, ge=1, le=PAGE_MAX)
        offset: int = Field(0, ge=0)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_limit=PAGE_MAX, **kwargs)


NOT_FOUND: dict[int | str, Any] = {404: ErrorOut}


@router.get("/borrowers", response=list[BorrowerListOut], summary="借款人列表")
@paginate(PortfolioPagination)
def list_borrowers(request: HttpRequest, filters: Query[BorrowerFilters]) -> QuerySet[Borrower]:
    visible_loans = access.restrict_loans(request.user, Loan.objects.all())
    return access.restrict_borrowers(
        request.user, selectors.borrower_list(**filters.model_dump(), counted=visible_loans)
    )


@router.get(
    "/borrowers/{borrower_id}",
    response={200: BorrowerDetailOut, **NOT_FOUND},
    summary="借款人详情（联系方式、贷款）",
)
def get_borrower(request: HttpRequest, borrower_id: int) -> Borrower:
    try:
        if access.borrower_hidden(request.user, borrower_id):
            raise Borrower.DoesNotExist
        borrower = selectors.borrower_get(borrower_id=borrower_id)
    except Borrower.DoesNotExist:
        raise HttpError(404, _("借款人 %(id)s 不存在") % {"id": borrower_id}) from None
    borrower.visible_loans = _visible_loans(request.user, borrower)  # type: ignore[attr-defined]
    return borrower


def _visible_loans(user: access.AnyUser, borrower: Borrower) -> list[Loan]:
    """The borrower's loans (prefetched by the selector, newest first) that ``user`` may see.
    Seeing one loan's case opens the borrower, not their other loans: a collector is shown only
    the loans of the cases assigned to them (docs/roles.md)."""
    loans = list(borrower.loans.all())
    if access.sees_all_cases(user):
        return loans
    mine = Loan.objects.filter(borrower=borrower)
    visible = set(access.restrict_loans(user, mine).values_list("pk", flat=True))
    return [loan for loan in loans if loan.pk in visible]


@router.get("/loans", response=list[LoanOut], summary="贷款合同列表")
@paginate(PortfolioPagination)
def list_loans(request: HttpRequest, filters: Query[LoanFilters]) -> QuerySet[Loan]:
    return access.restrict_loans(request.user, selectors.loan_list(**filters.model_dump()))


@router.get(
    "/loans/{contract_no}",
    response={200: LoanDetailOut, **NOT_FOUND},
    summary="贷款合同详情（还款计划、还款记录、车辆）",
)
def get_loan(request: HttpRequest, contract_no: str) -> Loan:
    try:
        if access.loan_hidden(request.user, contract_no=contract_no):
            raise Loan.DoesNotExist
        return selectors.loan_get(contract_no=contract_no)
    except Loan.DoesNotExist:
        raise HttpError(
            404, _("合同编号 %(contract_no)s 不存在") % {"contract_no": contract_no}
        ) from None


@router.get("/vehicles", response=list[VehicleWithLoanOut], summary="车辆列表")
@paginate(PortfolioPagination)
def list_vehicles(request: HttpRequest, filters: Query[VehicleFilters]) -> QuerySet[Vehicle]:
    return access.restrict_vehicles(request.user, selectors.vehicle_list(**filters.model_dump()))


@router.get(
    "/vehicles/{vehicle_id}",
    response={200: VehicleWithLoanOut, **NOT_FOUND},
    summary="车辆详情",
)
def get_vehicle(request: HttpRequest, vehicle_id: int) -> Vehicle:
    try:
        if access.vehicle_hidden(request.user, vehicle_id):
            raise Vehicle.DoesNotExist
        return selectors.vehicle_get(vehicle_id=vehicle_id)
    except Vehicle.DoesNotExist:
        raise HttpError(404, _("车辆 %(id)s 不存在") % {"id": vehicle_id}) from None
