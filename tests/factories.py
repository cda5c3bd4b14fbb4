"""Plain factory functions for the loan book.

Each returns a saved row with valid, unique identifiers (GB 11643 national IDs, ISO 3779 VINs,
mainland plates) and sensible Chinese auto-loan defaults; pass keyword arguments to set what a
test is about. Schedules come from ``engine.loanmath.build_schedule`` and payments are
allocated with ``engine.loanmath.allocate_payment``, exactly as the importers do, so amounts are
always consistent.
"""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction

from autocollect.accounts.models import Team, User
from autocollect.accounts.roles import Role
from autocollect.core.calendar import adjust_due_date
from autocollect.core.ids import national_id_check_digit, parse_national_id, vin_check_digit
from autocollect.engine.loanmath import (
    AllocationLine,
    Component,
    OpenInstallment,
    RepaymentMethod,
    allocate_payment,
    build_schedule,
)
from autocollect.portfolio.models import (
    Allocation,
    Borrower,
    ContactKind,
    ContactOwner,
    ContactPoint,
    ContactStatus,
    Installment,
    Loan,
    Payment,
    Product,
    Vehicle,
)

_sequence = itertools.count(1)


def next_number() -> int:
    """A number unique within the test run, for codes and identifiers."""
    return next(_sequence)


def make_national_id(
    *, region: str = "440305", birth_date: date | None = None, gender: str = "M"
) -> str:
    """A valid 18-digit resident ID; unique per call unless ``birth_date`` is given."""
    n = next_number()
    born = birth_date or date(1970, 1, 1) + timedelta(days=n % 12000)
    sequence = (n % 499) * 2 + (1 if gender == "M" else 2)  # odd for men, even for women
    body = f"{region}{born:%Y%m%d}{sequence:03d}"
    return body + national_id_check_digit(body)


def make_vin(*, wmi: str = "LSV") -> str:
    """A valid 17-character VIN (check digit in position 9), unique per call."""
    serial = f"{next_number():06d}"[-6:]
    # WMI (3), VDS (5), check digit placeholder, model year R = 2024, plant, serial (6).
    body = f"{wmi[:3]}AB2BJ0R1{serial}"
    return body[:8] + vin_check_digit(body) + body[9:]


def make_plate(*, prefix: str = "粤B") -> str:
    return f"{prefix}{next_number() % 100000:05d}"


def make_product(
    *,
    code: str | None = None,
    name: str = "测试车贷",
    tolerance_fen: int = 100,
    grace_days: int = 3,
    **fields: Any,
) -> Product:
    return Product.objects.create(
        code=code or f"TEST-{next_number()}",
        name=name,
        tolerance_fen=tolerance_fen,
        grace_days=grace_days,
        **fields,
    )


def default_product() -> Product:
    """The product the migrations create (``AUTO-STD``), as imports use it."""
    return Product.objects.get(is_default=True)


def make_borrower(
    *,
    name: str = "张伟",
    national_id: str | None = None,
    gender: str = "M",
    birth_date: date | None = None,
) -> Borrower:
    """A borrower whose gender and birth date agree with the national ID, as on import."""
    parsed = parse_national_id(
        national_id or make_national_id(birth_date=birth_date, gender=gender)
    )
    return Borrower.objects.create(
        name=name,
        national_id=parsed.number,
        gender=parsed.gender,
        birth_date=parsed.birth_date,
    )


def make_contact(
    borrower: Borrower,
    *,
    kind: str = ContactKind.MOBILE,
    value: str | None = None,
    owner: str = ContactOwner.BORROWER,
    owner_name: str = "",
    relationship: str = "",
    status: str = ContactStatus.VALID,
    opted_out_channels: list[str] | None = None,
) -> ContactPoint:
    """A contact point; mobiles default to a unique E.164 number like the importer stores."""
    if value is None:
        value = f"+86138{next_number() % 100_000_000:08d}"
    return ContactPoint.objects.create(
        borrower=borrower,
        kind=kind,
        value=value,
        owner=owner,
        owner_name=owner_name,
        relationship=relationship,
        status=status,
        opted_out_channels=opted_out_channels or [],
    )


def make_vehicle(
    loan: Loan,
    *,
    vin: str | None = None,
    plate: str | None = None,
    brand: str = "大众",
    model: str = "朗逸 1.5L",
    year: int = 2023,
    price_fen: int = 12_000_000,
    **fields: Any,
) -> Vehicle:
    return Vehicle.objects.create(
        loan=loan,
        vin=vin or make_vin(),
        plate=make_plate() if plate is None else plate,
        brand=brand,
        model=model,
        year=year,
        price_fen=price_fen,
        **fields,
    )


def make_loan(
    *,
    borrower: Borrower | None = None,
    product: Product | None = None,
    contract_no: str | None = None,
    principal_fen: int = 8_000_000,
    annual_rate: Decimal | str = Decimal("0.068"),
    term: int = 36,
    method: RepaymentMethod | str = RepaymentMethod.EQUAL_INSTALLMENT,
    first_due_on: date = date(2024, 2, 15),
    disbursed_on: date | None = None,
    province: str = "广东省",
    city: str = "深圳市",
    with_vehicle: bool = False,
    **fields: Any,
) -> Loan:
    """A loan with its full schedule (``build_schedule``, the product's holiday rule).

    ``disbursed_on`` defaults to one month before the first due date.
    """
    product = product or default_product()
    rate = Decimal(annual_rate)
    method = RepaymentMethod(method)
    loan = Loan.objects.create(
        contract_no=contract_no or f"HT{next_number():08d}",
        borrower=borrower or make_borrower(),
        product=product,
        principal_fen=principal_fen,
        annual_rate=rate,
        term_months=term,
        repayment_method=method.value,
        disbursed_on=disbursed_on or first_due_on - timedelta(days=31),
        first_due_on=first_due_on,
        province=province,
        city=city,
        **fields,
    )
    schedule = build_schedule(
        principal_fen=principal_fen,
        annual_rate=rate,
        term=term,
        method=method,
        first_due_on=first_due_on,
        adjust=lambda day: adjust_due_date(day, product.holiday_rule),
    )
    Installment.objects.bulk_create(
        Installment(
            loan=loan,
            seq=row.seq,
            due_on=row.due_on,
            principal_fen=row.principal_fen,
            interest_fen=row.interest_fen,
        )
        for row in schedule
    )
    if with_vehicle:
        make_vehicle(loan)
    return loan


def _open_installments(loan: Loan) -> list[OpenInstallment]:
    return [
        OpenInstallment(
            installment_id=i.pk,
            seq=i.seq,
            penalty_fen=i.penalty_fen - i.paid_penalty_fen,
            interest_fen=i.interest_fen - i.paid_interest_fen,
            principal_fen=i.principal_fen - i.paid_principal_fen,
        )
        for i in loan.installments.order_by("seq")
    ]


_PAID_FIELD = {
    Component.PENALTY: "paid_penalty_fen",
    Component.INTEREST: "paid_interest_fen",
    Component.PRINCIPAL: "paid_principal_fen",
}


@transaction.atomic
def make_payment(
    loan: Loan,
    *,
    amount_fen: int,
    paid_on: date,
    payment_ref: str | None = None,
    channel: str = "银行代扣",
) -> Payment:
    """A payment allocated oldest installment first in the product's order; what is left when
    everything is paid becomes credit on the payment and the loan (docs/loan-math.md)."""
    lines, credit = allocate_payment(
        amount_fen, _open_installments(loan), loan.product.allocation_order
    )
    due_on = dict(loan.installments.values_list("id", "due_on"))
    payment = Payment.objects.create(
        payment_ref=payment_ref or f"PAY{next_number():010d}",
        loan=loan,
        paid_on=paid_on,
        amount_fen=amount_fen,
        channel=channel,
        credit_fen=credit,
    )
    Allocation.objects.bulk_create(
        Allocation(
            payment=payment,
            installment_id=line.installment_id,
            component=line.component.value,
            amount_fen=line.amount_fen,
            is_late=paid_on > due_on[line.installment_id],
        )
        for line in lines
    )
    _apply_to_installments(lines)
    late = {line.installment_id for line in lines if paid_on > due_on[line.installment_id]}
    if late:
        Installment.objects.filter(pk__in=late).update(paid_late=True)
    principal = sum(line.amount_fen for line in lines if line.component is Component.PRINCIPAL)
    if credit or principal:
        loan.credit_fen += credit
        loan.paid_principal_fen += principal
        loan.save(update_fields=["credit_fen", "paid_principal_fen"])
    return payment


def _apply_to_installments(lines: list[AllocationLine]) -> None:
    by_installment: dict[int, list[AllocationLine]] = {}
    for line in lines:
        by_installment.setdefault(line.installment_id, []).append(line)
    for installment in Installment.objects.filter(pk__in=by_installment):
        for line in by_installment[installment.pk]:
            field = _PAID_FIELD[line.component]
            setattr(installment, field, getattr(installment, field) + line.amount_fen)
        installment.save(
            update_fields=["paid_penalty_fen", "paid_interest_fen", "paid_principal_fen"]
        )


def pay_installments(loan: Loan, *, through_seq: int, channel: str = "银行代扣") -> list[Payment]:
    """Pay installments 1…``through_seq`` in full, each on its due date."""
    payments = []
    for installment in loan.installments.filter(seq__lte=through_seq).order_by("seq"):
        installment.refresh_from_db()
        if installment.outstanding_fen > 0:
            payments.append(
                make_payment(
                    loan,
                    amount_fen=installment.outstanding_fen,
                    paid_on=installment.due_on,
                    channel=channel,
                )
            )
    return payments


def make_user(
    username: str,
    role: str = Role.COLLECTOR,
    *,
    password: str = "pw-Test-12345",  # noqa: S107 - a test password
    team: Team | None = None,
    lead_of: Team | None = None,
    authorised: bool = True,
) -> User:
    """A user with a role: a member (agent) of ``team`` and lead of ``lead_of`` when given;
    certified and authorised to collect unless ``authorised`` is false. The admin role is made
    a superuser (staff follows the role: only administrators use the admin site)."""
    if role == Role.ADMIN:
        user = User.objects.create_superuser(username=username, email="", password=password)
    else:
        user = User.objects.create_user(
            username=username,
            password=password,
            role=role,
            collection_certified=authorised,
            collection_authorised=authorised,
        )
    if team is not None:
        team.agents.add(user)
    if lead_of is not None:
        lead_of.lead = user
        lead_of.save(update_fields=["lead"])
    return user
