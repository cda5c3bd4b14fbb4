"""Workbench pages: portfolio overview, loan search and the loan page.

Views read through ``portfolio.selectors`` and turn rows into small display records
(``display.py``) so that templates only lay things out. The collector's pages (queue, case,
team) are in ``case_views.py``.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django_htmx.middleware import HtmxDetails

from autocollect.cases.selectors import loan_hidden, restrict_loans
from autocollect.core import clock
from autocollect.core.errors import ApplicationError, refuse
from autocollect.core.masking import mask_contact, mask_national_id
from autocollect.portfolio import selectors
from autocollect.portfolio.models import Loan, LoanDocument, LoanDocumentKind
from autocollect.portfolio.permissions import loan_document_add_refusal
from autocollect.portfolio.services import loan_document_add, loan_document_download
from autocollect.workbench.display import (
    REPAYMENT_METHOD_LABELS,
    ContactRow,
    LoanRow,
    PaymentRow,
    ScheduleRow,
    ScheduleTotals,
    Yuan,
    percent,
    vehicle_of,
)

LOANS_PER_PAGE = 50


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    overview = selectors.portfolio_overview()
    return render(
        request,
        "workbench/home.html",
        {
            "overview": overview,
            "outstanding_principal": Yuan(overview.outstanding_principal_fen),
            "today": clock.localdate(),
        },
    )


@login_required
@require_GET
def loan_list(request: HtmxHttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()
    loans = restrict_loans(request.user, selectors.loan_list(search=query or None))
    paginator = Paginator(loans, LOANS_PER_PAGE)
    page = paginator.get_page(request.GET.get("page"))
    context = {
        "query": query,
        "page": page,
        "rows": [LoanRow.of(loan) for loan in page.object_list],
    }
    # A live search (htmx) replaces only the results, not the whole page.
    template = "workbench/_loan_results.html" if request.htmx else "workbench/loan_list.html"
    return render(request, template, context)


@login_required
@require_GET
def loan_detail(request: HttpRequest, contract_no: str) -> HttpResponse:
    try:
        if loan_hidden(request.user, contract_no=contract_no):  # not theirs: as if missing
            raise Loan.DoesNotExist
        loan = selectors.loan_get(contract_no=contract_no)
    except Loan.DoesNotExist:
        raise Http404(_("合同编号 %(contract_no)s 不存在") % {"contract_no": contract_no}) from None
    today = clock.localdate()
    installments = list(loan.installments.all())
    borrower = loan.borrower
    contacts = [
        ContactRow(
            kind=c.get_kind_display(),
            # The stored masked copy: the page decrypts nothing (docs/privacy.md).
            value=c.masked or mask_contact(c.kind, c.value),
            owner=c.get_owner_display(),
            owner_name=c.owner_name,
            relationship=c.relationship,
            status=c.get_status_display(),
        )
        for c in borrower.contacts.all()
    ]
    vehicle = vehicle_of(loan)
    context = {
        "loan": loan,
        "row": LoanRow.of(loan),
        "borrower": borrower,
        "national_id": borrower.national_id_masked or mask_national_id(borrower.national_id),
        "contacts": contacts,
        "annual_rate": percent(loan.annual_rate),
        "repayment_method": REPAYMENT_METHOD_LABELS.get(
            loan.repayment_method, loan.repayment_method
        ),
        "credit": Yuan(loan.credit_fen),
        "vehicle": vehicle,
        "vehicle_price": Yuan(vehicle.price_fen) if vehicle else None,
        "schedule": [
            ScheduleRow.of(i, today=today, tolerance_fen=loan.product.tolerance_fen)
            for i in installments
        ],
        "totals": ScheduleTotals.of(installments),
        "payments": [PaymentRow.of(p) for p in loan.payments.all()],
        "today": today,
        "documents": list(loan.documents.select_related("uploaded_by")),
        "document_kinds": LoanDocumentKind.choices,
        "document_refused": loan_document_add_refusal(request.user),  # type: ignore[arg-type]
    }
    return render(request, "workbench/loan_detail.html", context)


def _visible_loan(request: HttpRequest, contract_no: str) -> Loan:
    loan = Loan.objects.filter(contract_no=contract_no).first()
    if loan is None or loan_hidden(request.user, loan_id=loan.pk):
        raise Http404(_("合同编号 %(contract_no)s 不存在") % {"contract_no": contract_no})
    return loan


@login_required
@require_POST
def loan_document_upload(request: HttpRequest, contract_no: str) -> HttpResponse:
    """Add a document (the contract copy …) to the loan's archive, from the loan page."""
    loan = _visible_loan(request, contract_no)
    refuse(loan_document_add_refusal(request.user))  # type: ignore[arg-type]
    upload = request.FILES.get("document")
    if upload is None:
        messages.error(request, _("请选择文件"))
    else:
        try:
            loan_document_add(
                loan=loan,
                kind=request.POST.get("kind", ""),
                upload=upload,
                actor=request.user,  # type: ignore[arg-type]
                note=request.POST.get("note", ""),
            )
            messages.success(request, _("文件已存入贷款档案"))
        except ApplicationError as exc:
            messages.error(request, exc.message)
    return redirect("workbench:loan_detail", contract_no=contract_no)


@login_required
@require_GET
def loan_document(request: HttpRequest, contract_no: str, document_id: int) -> HttpResponseBase:
    """A document of the loan as stored, to whoever sees the loan (404 otherwise); refused with
    a message when the file no longer matches its SHA-256."""
    loan = _visible_loan(request, contract_no)
    document = get_object_or_404(LoanDocument, pk=document_id, loan=loan)
    try:
        return loan_document_download(document=document, actor=request.user)  # type: ignore[arg-type]
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("workbench:loan_detail", contract_no=contract_no)
