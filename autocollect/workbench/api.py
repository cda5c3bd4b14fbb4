"""Read API for the loan book (``/api/portfolio/``): borrowers, loans (with schedules and
payments), vehicles. It lives here, beside the book's pages, rather than in the portfolio app,
because what a caller may see is decided by their cases (``cases.selectors``).

Every endpoint needs a token or a session (``config/api.py``) and shows only what the caller may
see: the loans of the cases visible to them, and those loans' borrowers and vehicles (all of
them for risk, compliance and administrators; docs/roles.md). Anything else is a 404, exactly
as if it did not exist. Endpoints only parse, call one selector and return; the shapes are in
``workbench/schemas.py``.
"""

# No ``from __future__ import annotations`` here: Ninja reads the parameter annotations
# (``Query[...]``) at import time and cannot resolve them from strings.

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router
from ninja.errors import HttpError
from ninja.pagination import paginate

from autocollect.accounts import access
from autocollect.cases import selectors as case_selectors
from autocollect.portfolio import selectors
from autocollect.portfolio.models import Borrower, Loan, Vehicle
from autocollect.ui.api_common import NOT_FOUND, ObjectId, Pagination
from autocollect.workbench.schemas import (
    BorrowerDetailOut,
    BorrowerFilters,
    BorrowerListOut,
    LoanDetailOut,
    LoanFilters,
    LoanOut,
    VehicleFilters,
    VehicleWithLoanOut,
)

router = Router(tags=["portfolio"])


@router.get("/borrowers", response=list[BorrowerListOut], summary="借款人列表")
@paginate(Pagination)
def list_borrowers(request: HttpRequest, filters: Query[BorrowerFilters]) -> QuerySet[Borrower]:
    visible_loans = case_selectors.restrict_loans(request.user, Loan.objects.all())
    return case_selectors.restrict_borrowers(
        request.user, selectors.borrower_list(**filters.model_dump(), counted=visible_loans)
    )


@router.get(
    "/borrowers/{borrower_id}",
    response={200: BorrowerDetailOut, **NOT_FOUND},
    summary="借款人详情（联系方式、贷款）",
)
def get_borrower(request: HttpRequest, borrower_id: ObjectId) -> Borrower:
    try:
        if case_selectors.borrower_hidden(request.user, borrower_id):
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
    visible = set(case_selectors.restrict_loans(user, mine).values_list("pk", flat=True))
    return [loan for loan in loans if loan.pk in visible]


@router.get("/loans", response=list[LoanOut], summary="贷款合同列表")
@paginate(Pagination)
def list_loans(request: HttpRequest, filters: Query[LoanFilters]) -> QuerySet[Loan]:
    return case_selectors.restrict_loans(request.user, selectors.loan_list(**filters.model_dump()))


@router.get(
    "/loans/{contract_no}",
    response={200: LoanDetailOut, **NOT_FOUND},
    summary="贷款合同详情（还款计划、还款记录、车辆）",
)
def get_loan(request: HttpRequest, contract_no: str) -> Loan:
    try:
        if case_selectors.loan_hidden(request.user, contract_no=contract_no):
            raise Loan.DoesNotExist
        return selectors.loan_get(contract_no=contract_no)
    except Loan.DoesNotExist:
        raise HttpError(
            404, _("合同编号 %(contract_no)s 不存在") % {"contract_no": contract_no}
        ) from None


@router.get("/vehicles", response=list[VehicleWithLoanOut], summary="车辆列表")
@paginate(Pagination)
def list_vehicles(request: HttpRequest, filters: Query[VehicleFilters]) -> QuerySet[Vehicle]:
    return case_selectors.restrict_vehicles(
        request.user, selectors.vehicle_list(**filters.model_dump())
    )


@router.get(
    "/vehicles/{vehicle_id}",
    response={200: VehicleWithLoanOut, **NOT_FOUND},
    summary="车辆详情",
)
def get_vehicle(request: HttpRequest, vehicle_id: ObjectId) -> Vehicle:
    try:
        if case_selectors.vehicle_hidden(request.user, vehicle_id):
            raise Vehicle.DoesNotExist
        return selectors.vehicle_get(vehicle_id=vehicle_id)
    except Vehicle.DoesNotExist:
        raise HttpError(404, _("车辆 %(id)s 不存在") % {"id": vehicle_id}) from None
