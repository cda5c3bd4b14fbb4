"""Django admin for the loan book.

The loan book is the core lending system's: it arrives by import and changes through services
that write audit events, so the admin shows it read-only. Products are the exception, they are
this system's own settings. Personal data is shown masked everywhere, lists and detail pages
alike (PIPL art. 51), from the stored masked copies: the admin never decrypts a national ID or
a contact value. Seeing one in clear is a reveal, with a permission and a stated reason, in the
workbench (docs/privacy.md). A borrower is found by the exact national ID through its blind
index.
"""

from __future__ import annotations

import re
from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from autocollect.core.crypto import contact_index, national_id_index
from autocollect.core.money import format_yuan
from autocollect.portfolio.models import (
    Allocation,
    Borrower,
    ContactPoint,
    ImportBatch,
    Installment,
    Loan,
    Payment,
    Product,
    Vehicle,
)

_NATIONAL_ID = re.compile(r"^\d{17}[\dXx]$")
_MAINLAND_MOBILE = re.compile(r"^1\d{10}$")


class ReadOnlyMixin:
    """View permission only: no add, change or delete from the admin."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReadOnlyAdmin(ReadOnlyMixin, admin.ModelAdmin):
    pass


class ReadOnlyTabularInline(ReadOnlyMixin, admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = (
        "code",
        "name",
        "repayment_method",
        "penalty_annual_rate",
        "penalty_basis",
        "grace_days",
        "tolerance_fen",
        "holiday_rule",
        "is_default",
    )
    search_fields = ("code", "name")
    list_filter = ("repayment_method", "is_default")


class ContactPointInline(ReadOnlyTabularInline):
    model = ContactPoint
    fields = ("kind", "masked", "owner", "owner_name", "relationship", "status")
    readonly_fields = fields


class LoanOfBorrowerInline(ReadOnlyTabularInline):
    model = Loan
    fields = ("contract_no", "product", "principal_fen", "disbursed_on", "status")
    readonly_fields = fields
    show_change_link = True


@admin.register(Borrower)
class BorrowerAdmin(ReadOnlyAdmin):
    list_display = ("name", "national_id_masked", "gender", "birth_date", "created_at")
    # The encrypted ID and its index never reach a form.
    fields = ("name", "national_id_masked", "gender", "birth_date", "created_at")
    readonly_fields = fields
    search_fields = ("name",)
    search_help_text = _("姓名，或完整的身份证号")
    list_filter = ("gender",)
    inlines = (ContactPointInline, LoanOfBorrowerInline)

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Borrower], search_term: str
    ) -> tuple[QuerySet[Borrower], bool]:
        found, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        term = search_term.strip()
        if _NATIONAL_ID.match(term):
            found |= queryset.filter(national_id_index=national_id_index(term))
        return found, may_have_duplicates


@admin.register(ContactPoint)
class ContactPointAdmin(ReadOnlyAdmin):
    list_display = ("borrower", "kind", "masked", "owner", "relationship", "status")
    fields = (
        "borrower",
        "kind",
        "masked",
        "owner",
        "owner_name",
        "relationship",
        "status",
        "opted_out_channels",
        "created_at",
    )
    readonly_fields = fields
    list_select_related = ("borrower",)
    search_fields = ("borrower__name", "borrower__loans__contract_no")
    search_help_text = _("借款人姓名、合同编号，或完整的号码/地址")
    list_filter = ("kind", "owner", "status")

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[ContactPoint], search_term: str
    ) -> tuple[QuerySet[ContactPoint], bool]:
        found, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        term = search_term.strip()
        if term:
            candidates = {contact_index(term)}
            if _MAINLAND_MOBILE.match(term):
                candidates.add(contact_index("+86" + term))
            found |= queryset.filter(value_index__in=candidates)
        return found, may_have_duplicates


class InstallmentInline(ReadOnlyTabularInline):
    model = Installment
    fields = (
        "seq",
        "due_on",
        "principal_fen",
        "interest_fen",
        "penalty_fen",
        "paid_principal_fen",
        "paid_interest_fen",
        "paid_penalty_fen",
        "outstanding",
    )
    readonly_fields = fields
    ordering = ("seq",)

    @admin.display(description=_("未还金额"))
    def outstanding(self, obj: Installment) -> str:
        return format_yuan(obj.outstanding_fen)


class VehicleInline(ReadOnlyTabularInline):
    model = Vehicle
    fields = ("vin", "plate", "brand", "model", "year", "mortgage_status")
    readonly_fields = fields


@admin.register(Loan)
class LoanAdmin(ReadOnlyAdmin):
    list_display = (
        "contract_no",
        "borrower",
        "product",
        "principal",
        "term_months",
        "disbursed_on",
        "province",
        "city",
        "status",
    )
    list_select_related = ("borrower", "product")
    search_fields = ("contract_no", "borrower__name")
    list_filter = ("status", "repayment_method", "product", "province")
    date_hierarchy = "disbursed_on"
    inlines = (VehicleInline, InstallmentInline)

    @admin.display(description=_("贷款本金"), ordering="principal_fen")
    def principal(self, obj: Loan) -> str:
        return format_yuan(obj.principal_fen)


@admin.register(Installment)
class InstallmentAdmin(ReadOnlyAdmin):
    list_display = ("loan", "seq", "due_on", "principal_fen", "interest_fen", "penalty_fen")
    list_select_related = ("loan",)
    search_fields = ("=loan__contract_no", "loan__borrower__name")
    date_hierarchy = "due_on"


class AllocationInline(ReadOnlyTabularInline):
    model = Allocation
    fields = ("installment", "component", "amount_fen")
    readonly_fields = fields


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = ("payment_ref", "loan", "paid_on", "amount", "channel", "credit_fen")
    list_select_related = ("loan",)
    search_fields = ("=payment_ref", "loan__contract_no", "loan__borrower__name")
    list_filter = ("channel",)
    date_hierarchy = "paid_on"
    inlines = (AllocationInline,)

    @admin.display(description=_("金额"), ordering="amount_fen")
    def amount(self, obj: Payment) -> str:
        return format_yuan(obj.amount_fen)


@admin.register(Allocation)
class AllocationAdmin(ReadOnlyAdmin):
    list_display = ("payment", "installment", "component", "amount_fen")
    list_select_related = ("payment", "installment__loan")
    search_fields = ("=payment__payment_ref", "installment__loan__contract_no")


@admin.register(Vehicle)
class VehicleAdmin(ReadOnlyAdmin):
    list_display = ("vin", "plate", "brand", "model", "year", "loan", "mortgage_status")
    list_select_related = ("loan",)
    search_fields = ("=vin", "plate", "loan__contract_no", "loan__borrower__name")
    list_filter = ("mortgage_status", "brand")


@admin.register(ImportBatch)
class ImportBatchAdmin(ReadOnlyAdmin):
    list_display = (
        "started_at",
        "kind",
        "file_name",
        "actor",
        "rows",
        "created",
        "unchanged",
        "rejected",
        "finished_at",
    )
    list_filter = ("kind",)
    search_fields = ("file_name", "actor")
