"""Reads of the loan book for the API and the workbench.

Amounts that depend on the schedule (outstanding principal, amount past due, whether a loan is
overdue) are computed by the database as correlated subqueries rather than a ``GROUP BY`` over
the whole book: a page of 50 loans then costs 50 small index lookups, and ``count()`` can drop
the annotations it does not need.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import (
    BigIntegerField,
    Count,
    Exists,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.expressions import CombinedExpression
from django.db.models.functions import Coalesce

from autocollect.core import clock
from autocollect.core.crypto import national_id_index
from autocollect.portfolio.models import (
    Allocation,
    Borrower,
    ContactPoint,
    Installment,
    Loan,
    Payment,
    Vehicle,
)

# Encrypted columns these reads never need: pages and the API show the stored masked copies,
# so listing or showing a loan decrypts nothing (docs/privacy.md).
BORROWER_SEALED = ("borrower__national_id",)


def _outstanding_expr(prefix: str = "") -> CombinedExpression:
    """Outstanding of an installment (all components), as a database expression."""
    return (
        F(f"{prefix}principal_fen")
        + F(f"{prefix}interest_fen")
        + F(f"{prefix}penalty_fen")
        - F(f"{prefix}paid_principal_fen")
        - F(f"{prefix}paid_interest_fen")
        - F(f"{prefix}paid_penalty_fen")
    )


def _installment_sum(expression: CombinedExpression, *, where: Q | None = None) -> Coalesce:
    """Sum of ``expression`` over the installments of the outer loan; 0 when there are none."""
    installments = Installment.objects.filter(loan=OuterRef("pk"))
    if where is not None:
        installments = installments.filter(where)
    total = (
        installments.order_by()
        .values("loan")
        .annotate(total=Sum(expression, output_field=BigIntegerField()))
        .values("total")
    )
    return Coalesce(
        Subquery(total, output_field=BigIntegerField()),
        Value(0),
        output_field=BigIntegerField(),
    )


def _overdue_installments(*, as_of: date) -> QuerySet[Installment]:
    """Installments of the outer loan due before ``as_of`` with more than the product's
    tolerance outstanding: residues within tolerance do not make a loan overdue."""
    return (
        Installment.objects.filter(loan=OuterRef("pk"), due_on__lt=as_of)
        .alias(outstanding=_outstanding_expr())
        .filter(outstanding__gt=OuterRef("product__tolerance_fen"))
    )


def loan_annotated(*, as_of: date | None = None) -> QuerySet[Loan]:
    """Loans with ``outstanding_principal_fen``, ``overdue_fen`` (everything outstanding on
    installments due before ``as_of``, to the fen) and ``is_overdue`` (see
    :func:`_overdue_installments`). ``as_of`` defaults to today in ``TIME_ZONE``."""
    day = as_of or clock.localdate()
    return Loan.objects.annotate(
        outstanding_principal_fen=_installment_sum(F("principal_fen") - F("paid_principal_fen")),
        overdue_fen=_installment_sum(_outstanding_expr(), where=Q(due_on__lt=day)),
        is_overdue=Exists(_overdue_installments(as_of=day)),
    )


def loan_list(
    *,
    contract_no: str | None = None,
    borrower_id: int | None = None,
    product_code: str | None = None,
    province: str | None = None,
    city: str | None = None,
    status: str | None = None,
    repayment_method: str | None = None,
    disbursed_from: date | None = None,
    disbursed_to: date | None = None,
    overdue: bool | None = None,
    search: str | None = None,
    as_of: date | None = None,
) -> QuerySet[Loan]:
    """Loans matching every given filter, newest first; ``search`` matches a part of the
    contract number or of the borrower's name."""
    day = as_of or clock.localdate()
    loans = loan_annotated(as_of=day).select_related("borrower", "product").defer(*BORROWER_SEALED)
    if contract_no:
        loans = loans.filter(contract_no=contract_no.strip())
    # Text filters apply when not empty (an empty form field means "any"), the others when
    # given at all.
    texts = {
        "product__code": product_code,
        "province": province,
        "city": city,
        "status": status,
        "repayment_method": repayment_method,
    }
    values = {
        "borrower_id": borrower_id,
        "disbursed_on__gte": disbursed_from,
        "disbursed_on__lte": disbursed_to,
    }
    loans = loans.filter(
        **{lookup: text for lookup, text in texts.items() if text},
        **{lookup: value for lookup, value in values.items() if value is not None},
    )
    if overdue is not None:
        late = Exists(_overdue_installments(as_of=day))
        loans = loans.filter(late if overdue else ~late)
    if search and search.strip():
        term = search.strip()
        loans = loans.filter(Q(contract_no__icontains=term) | Q(borrower__name__icontains=term))
    return loans.order_by("-disbursed_on", "-id")


def loan_get(*, contract_no: str, as_of: date | None = None) -> Loan:
    """One loan with its schedule, payments (with allocations) and vehicle.

    Raises ``Loan.DoesNotExist`` for an unknown contract number.
    """
    allocations = Allocation.objects.annotate(installment_seq=F("installment__seq")).order_by(
        "installment__seq", "id"
    )
    payments = Payment.objects.order_by("paid_on", "payment_ref").prefetch_related(
        Prefetch("allocations", queryset=allocations)
    )
    contacts = ContactPoint.objects.order_by("owner", "kind", "id").defer("value")
    return (
        loan_annotated(as_of=as_of)
        .select_related("borrower", "product", "vehicle")
        .defer(*BORROWER_SEALED)
        .prefetch_related(
            Prefetch("installments", queryset=Installment.objects.order_by("seq")),
            Prefetch("payments", queryset=payments),
            Prefetch("borrower__contacts", queryset=contacts),
        )
        .get(contract_no=contract_no)
    )


def borrower_list(
    *,
    name: str | None = None,
    national_id: str | None = None,
    province: str | None = None,
    city: str | None = None,
    counted: QuerySet[Loan] | None = None,
) -> QuerySet[Borrower]:
    """Borrowers with ``loan_count``, the number of their loans among ``counted`` (default:
    all loans; the API passes the loans the caller may see); ``province``/``city`` select
    borrowers with a loan there (a borrower has no address of their own in the loan book)."""
    loan_count = (
        (Loan.objects.all() if counted is None else counted)
        .filter(borrower=OuterRef("pk"))
        .order_by()
        .values("borrower")
        .annotate(n=Count("pk"))
        .values("n")
    )
    borrowers = Borrower.objects.defer("national_id").annotate(
        loan_count=Coalesce(Subquery(loan_count), Value(0), output_field=BigIntegerField())
    )
    if name and name.strip():
        borrowers = borrowers.filter(name__icontains=name.strip())
    if national_id:
        # Stored encrypted: found by its blind index (docs/privacy.md).
        borrowers = borrowers.filter(national_id_index=national_id_index(national_id))
    if province or city:
        located = Loan.objects.filter(borrower=OuterRef("pk"))
        if province:
            located = located.filter(province=province)
        if city:
            located = located.filter(city=city)
        borrowers = borrowers.filter(Exists(located))
    return borrowers.order_by("-id")


def borrower_get(*, borrower_id: int) -> Borrower:
    """One borrower with contact points and loans. Raises ``Borrower.DoesNotExist``."""
    return (
        Borrower.objects.defer("national_id")
        .prefetch_related(
            Prefetch(
                "contacts",
                queryset=ContactPoint.objects.order_by("owner", "kind", "id").defer("value"),
            ),
            Prefetch("loans", queryset=Loan.objects.order_by("-disbursed_on", "-id")),
        )
        .get(pk=borrower_id)
    )


def vehicle_list(
    *,
    brand: str | None = None,
    vin: str | None = None,
    plate: str | None = None,
    mortgage_status: str | None = None,
) -> QuerySet[Vehicle]:
    """Vehicles with their loan and borrower; VIN and plate match exactly after the same
    normalisation as the importer (upper case, no spaces or separators in plates)."""
    vehicles = Vehicle.objects.select_related("loan__borrower").defer(
        *(f"loan__{name}" for name in BORROWER_SEALED)
    )
    if brand and brand.strip():
        vehicles = vehicles.filter(brand__iexact=brand.strip())
    if vin:
        vehicles = vehicles.filter(vin=vin.strip().upper())
    if plate:
        normalised = plate.strip().upper().replace(" ", "").replace("·", "").replace("-", "")
        vehicles = vehicles.filter(plate=normalised)
    if mortgage_status:
        vehicles = vehicles.filter(mortgage_status=mortgage_status)
    return vehicles.order_by("-id")


def vehicle_get(*, vehicle_id: int) -> Vehicle:
    """One vehicle with its loan and borrower. Raises ``Vehicle.DoesNotExist``."""
    return (
        Vehicle.objects.select_related("loan__borrower")
        .defer(*(f"loan__{name}" for name in BORROWER_SEALED))
        .get(pk=vehicle_id)
    )


@dataclass(frozen=True, slots=True)
class PortfolioOverview:
    borrowers: int
    loans: int
    installments: int
    payments: int
    outstanding_principal_fen: int
    overdue_loans: int


def portfolio_overview(*, as_of: date | None = None) -> PortfolioOverview:
    """Head counts and totals of the whole book, for the home page."""
    day = as_of or clock.localdate()
    totals = Installment.objects.aggregate(
        count=Count("pk"),
        outstanding=Coalesce(
            Sum(F("principal_fen") - F("paid_principal_fen")),
            Value(0),
            output_field=BigIntegerField(),
        ),
    )
    return PortfolioOverview(
        borrowers=Borrower.objects.count(),
        loans=Loan.objects.count(),
        installments=totals["count"],
        payments=Payment.objects.count(),
        outstanding_principal_fen=int(totals["outstanding"]),
        overdue_loans=Loan.objects.filter(Exists(_overdue_installments(as_of=day))).count(),
    )
