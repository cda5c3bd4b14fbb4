"""Writing accepted loan rows in bulk: borrowers, loans, vehicles, contact points and the
repayment schedules, in the transaction opened by ``run_import``."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache

from autocollect.core import bulk
from autocollect.core.calendar import HolidayRule, adjust_due_date
from autocollect.core.crypto import contact_index, encrypt
from autocollect.core.masking import mask_national_id
from autocollect.engine.loanmath import due_dates, principal_interest_split
from autocollect.portfolio.importers.common import PhaseTimer, fetch_by_keys
from autocollect.portfolio.importers.loan_rows import LoanRow
from autocollect.portfolio.models import (
    Borrower,
    ContactKind,
    ContactOwner,
    ContactPoint,
    ContactStatus,
    Installment,
    Loan,
    LoanStatus,
    MortgageStatus,
    Vehicle,
)
from autocollect.privacy.fields import mask_contact_value

LOAN_TIMEZONE = "Asia/Shanghai"


@lru_cache(maxsize=65536)
def schedule_dates(first_due_on: date, term: int, holiday_rule: str) -> tuple[date, ...]:
    """Due dates after the product's holiday rule; loans share them, so they are cached."""
    rule = HolidayRule(holiday_rule)
    adjust: Callable[[date], date] | None = None
    if rule is not HolidayRule.NONE:

        def adjust(day: date) -> date:
            return adjust_due_date(day, rule)

    return tuple(due_dates(first_due_on, term, adjust))


def schedule_problem(row: LoanRow) -> str:
    """ "" when the row's due dates can be computed, else why not (a schedule that runs past
    year 9999): such a row is rejected as a row, before anything is written."""
    try:
        schedule_dates(row.first_due_on, row.term_months, row.product.holiday_rule)
    except (ValueError, OverflowError) as exc:
        return f"the repayment schedule cannot be computed ({exc})"
    return ""


@lru_cache(maxsize=16384)
def schedule_splits(
    principal_fen: int, annual_rate: Decimal, term: int, method: str
) -> tuple[tuple[int, int], ...]:
    """(principal, interest) per period; loans with the same terms share them."""
    return tuple(
        principal_interest_split(
            principal_fen=principal_fen, annual_rate=annual_rate, term=term, method=method
        )
    )


def installment_rows(
    loans: Sequence[tuple[int, LoanRow]],
) -> Iterator[tuple[int, int, date, int, int, int, int, int, int]]:
    """Schedule rows for ``portfolio_installment``, identical to ``engine.loanmath.build_schedule``.

    ``build_schedule`` makes an object per installment and recomputes the dates per loan;
    for 3.6 million installments the same functions are called here with caching instead.
    """
    for loan_id, row in loans:
        dates = schedule_dates(row.first_due_on, row.term_months, row.product.holiday_rule)
        splits = schedule_splits(
            row.principal_fen, row.annual_rate, row.term_months, row.repayment_method
        )
        for seq, (due_on, (principal, interest)) in enumerate(
            zip(dates, splits, strict=True), start=1
        ):
            yield (loan_id, seq, due_on, principal, interest, 0, 0, 0, 0)


def write_loans(
    rows: list[LoanRow], existing_borrowers: dict[str, int], now: datetime, timer: PhaseTimer
) -> None:
    """Write the accepted rows: borrowers (new ones only), loans, vehicles, contact points
    and schedules, each phase timed."""
    if not rows:
        return
    borrower_ids = _write_borrowers(rows, existing_borrowers, now)
    timer.mark("write borrowers")
    loan_ids = bulk.allocate_ids(Loan._meta.db_table, len(rows))
    _write_loan_rows(rows, loan_ids, borrower_ids, now)
    timer.mark("write loans", len(rows))
    _write_vehicles(rows, loan_ids)
    timer.mark("write vehicles", len(rows))
    _write_contacts(rows, borrower_ids, set(existing_borrowers.values()), now)
    timer.mark("write contact points")
    count = _write_schedules(rows, loan_ids)
    timer.mark("build and write schedules", count)


def _write_borrowers(
    rows: list[LoanRow], existing: dict[str, int], now: datetime
) -> dict[str, int]:
    """Borrower id per national ID: existing borrowers reused, the others created."""
    ids = dict(existing)
    new: dict[str, LoanRow] = {}
    for row in rows:
        if row.national_id.number not in ids:
            new.setdefault(row.national_id.number, row)
    new_ids = bulk.allocate_ids(Borrower._meta.db_table, len(new))
    ids.update(zip(new, new_ids, strict=True))
    bulk.insert_rows(
        Borrower._meta.db_table,
        (
            "id",
            "name",
            "national_id",
            "national_id_index",
            "national_id_masked",
            "gender",
            "birth_date",
            "created_at",
        ),
        (
            (
                ids[number],
                row.borrower_name,
                encrypt(number),
                row.national_id_index,
                mask_national_id(number),
                row.national_id.gender,
                row.national_id.birth_date,
                now,
            )
            for number, row in new.items()
        ),
    )
    return ids


def _write_loan_rows(
    rows: list[LoanRow], loan_ids: Sequence[int], borrower_ids: dict[str, int], now: datetime
) -> None:
    bulk.insert_rows(
        Loan._meta.db_table,
        (
            "id",
            "contract_no",
            "borrower_id",
            "product_id",
            "principal_fen",
            "annual_rate",
            "term_months",
            "repayment_method",
            "disbursed_on",
            "first_due_on",
            "dealer",
            "branch",
            "province",
            "city",
            "timezone",
            "status",
            "credit_fen",
            "source_hash",
            "created_at",
        ),
        (
            (
                loan_id,
                row.contract_no,
                borrower_ids[row.national_id.number],
                row.product.pk,
                row.principal_fen,
                row.annual_rate,
                row.term_months,
                row.repayment_method,
                row.disbursed_on,
                row.first_due_on,
                row.dealer,
                "",
                row.province,
                row.city,
                LOAN_TIMEZONE,
                LoanStatus.ACTIVE.value,
                0,
                row.source_hash,
                now,
            )
            for loan_id, row in zip(loan_ids, rows, strict=True)
        ),
    )


def _write_vehicles(rows: list[LoanRow], loan_ids: Sequence[int]) -> None:
    bulk.insert_rows(
        Vehicle._meta.db_table,
        (
            "loan_id",
            "vin",
            "plate",
            "brand",
            "model",
            "year",
            "price_fen",
            "mortgage_status",
            "gps_tracker_id",
        ),
        (
            (
                loan_id,
                row.vin,
                row.plate,
                row.vehicle_brand,
                row.vehicle_model,
                row.vehicle_year,
                row.vehicle_price_fen,
                # Without a plate the car is not registered yet, so neither is the mortgage.
                (MortgageStatus.REGISTERED if row.plate else MortgageStatus.PENDING).value,
                "",
            )
            for loan_id, row in zip(loan_ids, rows, strict=True)
        ),
    )


def _write_schedules(rows: list[LoanRow], loan_ids: Sequence[int]) -> int:
    """Every loan's installments; returns how many were written."""
    table = Installment._meta.db_table
    expected = sum(row.term_months for row in rows)
    with bulk.foreign_keys_checked_once(table, rows=expected):
        return bulk.insert_rows(
            table,
            (
                "loan_id",
                "seq",
                "due_on",
                "principal_fen",
                "interest_fen",
                "penalty_fen",
                "paid_principal_fen",
                "paid_interest_fen",
                "paid_penalty_fen",
            ),
            installment_rows(list(zip(loan_ids, rows, strict=True))),
        )


def _write_contacts(
    rows: list[LoanRow], borrower_ids: dict[str, int], existing_ids: set[int], now: datetime
) -> None:
    """Mobile, email and emergency contact of each row, skipping those already on file.

    Values are stored encrypted, with their blind index (which the dedupe compares) and a
    masked copy (docs/privacy.md).
    """
    existing: set[tuple[int, str, str, str]] = {
        (borrower_id, kind, value_index, owner)
        for borrower_id, kind, value_index, owner in fetch_by_keys(
            ContactPoint._meta.db_table,
            "borrower_id",
            ("kind", "value_index", "owner"),
            sorted(existing_ids),
            key_type="bigint",
        )
    }
    contacts: list[tuple[object, ...]] = []
    unverified = ContactStatus.UNVERIFIED.value
    for row in rows:
        borrower_id = borrower_ids[row.national_id.number]
        for kind, value, owner, owner_name, relationship in _contact_candidates(row):
            index = contact_index(value)
            key = (borrower_id, kind, index, owner)
            if key in existing:
                continue
            existing.add(key)
            contacts.append(
                (
                    borrower_id,
                    kind,
                    encrypt(value),
                    index,
                    mask_contact_value(kind, value),
                    owner,
                    owner_name,
                    relationship,
                    unverified,
                    [],
                    now,
                )
            )
    bulk.insert_rows(
        ContactPoint._meta.db_table,
        (
            "borrower_id",
            "kind",
            "value",
            "value_index",
            "masked",
            "owner",
            "owner_name",
            "relationship",
            "status",
            "opted_out_channels",
            "created_at",
        ),
        contacts,
    )


def _contact_candidates(row: LoanRow) -> list[tuple[str, str, str, str, str]]:
    """(kind, value, owner, owner name, relationship) of each contact point the row gives."""
    borrower = ContactOwner.BORROWER.value
    candidates = [(ContactKind.MOBILE.value, row.mobile, borrower, "", "")]
    if row.email:
        candidates.append((ContactKind.EMAIL.value, row.email, borrower, "", ""))
    if row.address:
        candidates.append((ContactKind.ADDRESS.value, row.address, borrower, "", ""))
    if row.emergency_mobile:
        candidates.append(
            (
                ContactKind.MOBILE.value,
                row.emergency_mobile,
                ContactOwner.EMERGENCY.value,
                row.emergency_name,
                row.emergency_relation,
            )
        )
    return candidates
