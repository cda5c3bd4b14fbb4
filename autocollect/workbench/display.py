"""Display records for the workbench: rows turned into what templates lay out (amounts wrapped in
:class:`Yuan`, labels translated, personal data masked)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from autocollect.cases.models import FlagKind
from autocollect.core.money import format_yuan
from autocollect.engine.loanmath import Component
from autocollect.portfolio.models import (
    REPAYMENT_METHOD_CHOICES,
    Channel,
    Installment,
    Loan,
    Payment,
    Vehicle,
)

REPAYMENT_METHOD_LABELS = dict(REPAYMENT_METHOD_CHOICES)
CHANNEL_LABELS = dict(Channel.choices)
FLAG_LABELS = dict(FlagKind.choices)
COMPONENT_LABELS = {
    Component.PENALTY.value: gettext_lazy("罚息"),
    Component.INTEREST.value: gettext_lazy("利息"),
    Component.PRINCIPAL.value: gettext_lazy("本金"),
}


@dataclass(frozen=True, slots=True)
class Yuan:
    """An amount of fen that renders as ``¥1,234.56`` in a template."""

    fen: int

    def __str__(self) -> str:
        return format_yuan(self.fen)


@dataclass(frozen=True, slots=True)
class LoanRow:
    contract_no: str
    borrower_name: str
    product_code: str
    principal: Yuan
    outstanding_principal: Yuan
    overdue: Yuan
    is_overdue: bool
    status: str
    disbursed_on: date
    region: str

    @classmethod
    def of(cls, loan: Loan) -> LoanRow:
        return cls(
            contract_no=loan.contract_no,
            borrower_name=loan.borrower.name,
            product_code=loan.product.code,
            principal=Yuan(loan.principal_fen),
            outstanding_principal=Yuan(loan.outstanding_principal_fen),  # type: ignore[attr-defined]
            overdue=Yuan(loan.overdue_fen),  # type: ignore[attr-defined]
            is_overdue=bool(loan.is_overdue),  # type: ignore[attr-defined]
            status=loan.get_status_display(),
            disbursed_on=loan.disbursed_on,
            region=f"{loan.province} {loan.city}",
        )


@dataclass(frozen=True, slots=True)
class ScheduleRow:
    seq: int
    due_on: date
    principal: Yuan
    interest: Yuan
    penalty: Yuan
    paid_principal: Yuan
    paid_interest: Yuan
    paid_penalty: Yuan
    outstanding: Yuan
    state: str  # CSS modifier: paid, overdue, tolerance, open
    state_label: str

    @classmethod
    def of(cls, installment: Installment, *, today: date, tolerance_fen: int) -> ScheduleRow:
        outstanding = installment.outstanding_fen
        paid = (
            installment.paid_principal_fen
            + installment.paid_interest_fen
            + installment.paid_penalty_fen
        )
        if outstanding <= 0:
            state, label = "paid", _("已还清")
        elif installment.due_on < today and outstanding > tolerance_fen:
            state, label = "overdue", _("逾期")
        elif installment.due_on < today:
            state, label = "tolerance", _("容差内")
        elif paid > 0:
            state, label = "open", _("部分还款")
        else:
            state, label = "open", _("未到期")
        return cls(
            seq=installment.seq,
            due_on=installment.due_on,
            principal=Yuan(installment.principal_fen),
            interest=Yuan(installment.interest_fen),
            penalty=Yuan(installment.penalty_fen),
            paid_principal=Yuan(installment.paid_principal_fen),
            paid_interest=Yuan(installment.paid_interest_fen),
            paid_penalty=Yuan(installment.paid_penalty_fen),
            outstanding=Yuan(outstanding),
            state=state,
            state_label=label,
        )


@dataclass(frozen=True, slots=True)
class ScheduleTotals:
    principal: Yuan
    interest: Yuan
    penalty: Yuan
    paid_principal: Yuan
    paid_interest: Yuan
    paid_penalty: Yuan
    outstanding: Yuan

    @classmethod
    def of(cls, installments: list[Installment]) -> ScheduleTotals:
        return cls(
            principal=Yuan(sum(i.principal_fen for i in installments)),
            interest=Yuan(sum(i.interest_fen for i in installments)),
            penalty=Yuan(sum(i.penalty_fen for i in installments)),
            paid_principal=Yuan(sum(i.paid_principal_fen for i in installments)),
            paid_interest=Yuan(sum(i.paid_interest_fen for i in installments)),
            paid_penalty=Yuan(sum(i.paid_penalty_fen for i in installments)),
            outstanding=Yuan(sum(i.outstanding_fen for i in installments)),
        )


@dataclass(frozen=True, slots=True)
class AllocationRow:
    seq: int
    component: str
    amount: Yuan


@dataclass(frozen=True, slots=True)
class PaymentRow:
    ref: str
    paid_on: date
    amount: Yuan
    channel: str
    credit: Yuan
    allocations: list[AllocationRow]

    @classmethod
    def of(cls, payment: Payment) -> PaymentRow:
        return cls(
            ref=payment.payment_ref,
            paid_on=payment.paid_on,
            amount=Yuan(payment.amount_fen),
            channel=payment.channel,
            credit=Yuan(payment.credit_fen),
            allocations=[
                AllocationRow(
                    seq=a.installment_seq,  # type: ignore[attr-defined]
                    component=str(COMPONENT_LABELS.get(a.component, a.component)),
                    amount=Yuan(a.amount_fen),
                )
                for a in payment.allocations.all()
            ],
        )


@dataclass(frozen=True, slots=True)
class ContactRow:
    kind: str
    value: str
    owner: str
    owner_name: str
    relationship: str
    status: str


def percent(rate: Decimal) -> str:
    """Annual rate as a percentage with two decimals: ``0.068`` → ``6.80%``."""
    return f"{rate * 100:.2f}%"


def vehicle_of(loan: Loan) -> Vehicle | None:
    try:
        return loan.vehicle
    except Vehicle.DoesNotExist:
        return None
