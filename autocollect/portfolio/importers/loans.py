"""``autocollect import loans``: borrowers, contacts, loans, vehicles and their schedules.

Flow: read every cell as text → validate each row on its own → cross-row and database checks
(duplicates, known contracts, VINs, borrower names) → write the accepted rows in bulk, in the
transaction opened by :func:`run_import`. The format is documented in docs/import-formats.md.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path

import polars as pl
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.utils import timezone

from autocollect.core import bulk
from autocollect.core.calendar import HolidayRule, adjust_due_date
from autocollect.core.crypto import contact_index, encrypt, national_id_index
from autocollect.core.ids import NationalId, parse_national_id, parse_plate, parse_vin
from autocollect.core.masking import mask_national_id
from autocollect.engine.loanmath import RepaymentMethod, due_dates, principal_interest_split
from autocollect.portfolio.importers.common import (
    MobileParser,
    Outcome,
    PhaseTimer,
    RowErrors,
    clean_text,
    fetch_by_keys,
    parse_int,
    parse_iso_date,
    parse_positive_fen,
    row_hash,
    run_import,
)
from autocollect.portfolio.importers.readers import SourceTable
from autocollect.portfolio.importers.result import ImportResult
from autocollect.portfolio.models import (
    Borrower,
    ContactKind,
    ContactOwner,
    ContactPoint,
    ContactStatus,
    ImportKind,
    Installment,
    Loan,
    LoanStatus,
    MortgageStatus,
    Product,
    Vehicle,
)
from autocollect.privacy.fields import mask_contact_value

LOAN_COLUMNS = (
    "contract_no",
    "borrower_name",
    "national_id",
    "mobile",
    "email",
    "province",
    "city",
    "product_code",
    "principal",
    "annual_rate",
    "term_months",
    "repayment_method",
    "disbursed_on",
    "first_due_on",
    "vin",
    "plate",
    "vehicle_brand",
    "vehicle_model",
    "vehicle_year",
    "vehicle_price",
    "dealer",
    "emergency_contact_name",
    "emergency_contact_mobile",
    "emergency_contact_relation",
    "address",
)
OPTIONAL_COLUMNS = (
    "email",
    "product_code",
    "dealer",
    "emergency_contact_name",
    "emergency_contact_mobile",
    "emergency_contact_relation",
    "address",
)
REQUIRED_COLUMNS = tuple(c for c in LOAN_COLUMNS if c not in OPTIONAL_COLUMNS)

MAX_TERM_MONTHS = 360
FIRST_VEHICLE_YEAR = 1990
REQUIRED = "required / 必填"
KIND = ImportKind.LOANS
LOAN_TIMEZONE = "Asia/Shanghai"

_RATE_RE = re.compile(r"^[+-]?\d+(\.\d+)?$")
_METHODS = {m.value for m in RepaymentMethod}
_METHOD_LIST = ", ".join(m.value for m in RepaymentMethod)
_email_validator = EmailValidator()


@dataclass(slots=True)
class LoanRow:
    """One valid row, normalised."""

    index: int
    contract_no: str
    borrower_name: str
    national_id: NationalId
    mobile: str
    email: str
    province: str
    city: str
    product: Product
    principal_fen: int
    annual_rate: Decimal
    term_months: int
    repayment_method: str
    disbursed_on: date
    first_due_on: date
    vin: str
    plate: str
    vehicle_brand: str
    vehicle_model: str
    vehicle_year: int
    vehicle_price_fen: int
    dealer: str
    emergency_name: str
    emergency_mobile: str
    emergency_relation: str
    source_hash: str
    # Blind index of the national ID (core.crypto): how the borrower is found on file.
    national_id_index: str = ""
    address: str = ""


def import_loans(
    source: Path | pl.DataFrame,
    *,
    rejects_path: Path | None = None,
    encoding: str | None = None,
    actor: str = "system",
) -> ImportResult:
    """Import loans from a CSV/xlsx/parquet file or a DataFrame with the same columns.

    Raises :class:`ImportFileError` when the source cannot be read at all (nothing written).
    """
    return run_import(
        KIND,
        source,
        required=REQUIRED_COLUMNS,
        optional=OPTIONAL_COLUMNS,
        encoding=encoding,
        rejects_path=rejects_path,
        actor=actor,
        process=_process,
    )


def parse_rate(text: str) -> Decimal:
    """An annual rate as a decimal fraction, 0 <= r < 1, at most six decimals."""
    value = text.strip()
    if not _RATE_RE.match(value):
        raise ValueError(f"'{value}' is not a decimal rate such as 0.0688")
    try:
        rate = Decimal(value)
    except InvalidOperation:  # pragma: no cover - the regex already guards this
        raise ValueError(f"'{value}' is not a number") from None
    if rate < 0:
        raise ValueError(f"{value} is negative")
    if rate >= 1:
        raise ValueError(f"{value} must be below 1 (write 6.88% as 0.0688)")
    normalised = rate.normalize()
    exponent = normalised.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -6:
        raise ValueError(f"{value} has more than six decimals")
    return normalised


def parse_email(text: str) -> str:
    value = text.strip()
    if len(value) > 254:
        raise ValueError("longer than 254 characters")
    try:
        _email_validator(value)
    except ValidationError:
        raise ValueError(f"'{value}' is not a valid email address") from None
    return value.lower()


def _decimal_text(value: Decimal) -> str:
    return format(value, "f")


@lru_cache(maxsize=65536)
def schedule_dates(first_due_on: date, term: int, holiday_rule: str) -> tuple[date, ...]:
    """Due dates after the product's holiday rule; loans share them, so they are cached."""
    rule = HolidayRule(holiday_rule)
    adjust: Callable[[date], date] | None = None
    if rule is not HolidayRule.NONE:

        def adjust(day: date) -> date:
            return adjust_due_date(day, rule)

    return tuple(due_dates(first_due_on, term, adjust))


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


class _RowParser:
    """Validates single rows; holds what is shared between rows (products, caches)."""

    def __init__(self) -> None:
        self.products = {p.code: p for p in Product.objects.all()}
        self.default_product = next((p for p in self.products.values() if p.is_default), None)
        self.mobile = MobileParser()
        self.latest_year = timezone.localdate().year + 1

    def product(self, text: str) -> Product:
        code = text.strip()
        if not code:
            if self.default_product is None:
                raise ValueError("empty and no default product is configured")
            return self.default_product
        product = self.products.get(code)
        if product is None:
            raise ValueError(f"unknown product code '{code}'")
        return product

    def parse(self, index: int, cells: Sequence[str], errors: RowErrors) -> LoanRow | None:
        (
            contract_no,
            borrower_name,
            national_id,
            mobile,
            email,
            province,
            city,
            product_code,
            principal,
            annual_rate,
            term_months,
            repayment_method,
            disbursed_on,
            first_due_on,
            vin,
            plate,
            vehicle_brand,
            vehicle_model,
            vehicle_year,
            vehicle_price,
            dealer,
            em_name,
            em_mobile,
            em_relation,
            address,
        ) = cells
        start = len(errors)

        def required(column: str, text: str, parser: Callable[[str], object]) -> object:
            if not text.strip():
                errors.append((column, REQUIRED))
                return None
            try:
                return parser(text)
            except ValueError as exc:
                errors.append((column, str(exc)))
                return None

        def optional(column: str, text: str, parser: Callable[[str], object]) -> object:
            if not text.strip():
                return ""
            return required(column, text, parser)

        c_contract = required("contract_no", contract_no, lambda t: clean_text(t, 64))
        c_name = required("borrower_name", borrower_name, lambda t: clean_text(t, 100))
        c_nid = required("national_id", national_id, parse_national_id)
        c_mobile = required("mobile", mobile, self.mobile)
        c_email = optional("email", email, parse_email)
        c_province = required("province", province, lambda t: clean_text(t, 20))
        c_city = required("city", city, lambda t: clean_text(t, 50))
        try:
            c_product: Product | None = self.product(product_code)
        except ValueError as exc:
            errors.append(("product_code", str(exc)))
            c_product = None
        c_principal = required("principal", principal, parse_positive_fen)
        c_rate = required("annual_rate", annual_rate, parse_rate)
        c_term = required("term_months", term_months, lambda t: parse_int(t, 1, MAX_TERM_MONTHS))
        c_method = required("repayment_method", repayment_method, _parse_method)
        c_disbursed = required("disbursed_on", disbursed_on, parse_iso_date)
        c_first_due = required("first_due_on", first_due_on, parse_iso_date)
        if (
            isinstance(c_disbursed, date)
            and isinstance(c_first_due, date)
            and c_first_due <= c_disbursed
        ):
            errors.append(
                ("first_due_on", f"{c_first_due} is not after disbursed_on {c_disbursed}")
            )
        c_vin = required("vin", vin, parse_vin)
        # An empty plate is allowed: a new car is financed before it is registered (上牌).
        c_plate = optional("plate", plate, parse_plate)
        c_brand = required("vehicle_brand", vehicle_brand, lambda t: clean_text(t, 50))
        c_model = required("vehicle_model", vehicle_model, lambda t: clean_text(t, 100))
        c_year = required(
            "vehicle_year",
            vehicle_year,
            lambda t: parse_int(t, FIRST_VEHICLE_YEAR, self.latest_year),
        )
        c_price = required("vehicle_price", vehicle_price, parse_positive_fen)
        c_dealer = optional("dealer", dealer, lambda t: clean_text(t, 200))
        c_em_name = optional("emergency_contact_name", em_name, lambda t: clean_text(t, 100))
        c_em_mobile = optional("emergency_contact_mobile", em_mobile, self.mobile)
        c_em_relation = optional(
            "emergency_contact_relation", em_relation, lambda t: clean_text(t, 50)
        )
        c_address = optional("address", address, lambda t: clean_text(t, 255))
        has_name, has_mobile = bool(em_name.strip()), bool(em_mobile.strip())
        if has_name and not has_mobile:
            errors.append(
                ("emergency_contact_mobile", "required when emergency_contact_name is given")
            )
        elif has_mobile and not has_name:
            errors.append(
                ("emergency_contact_name", "required when emergency_contact_mobile is given")
            )
        elif em_relation.strip() and not has_name:
            errors.append(
                (
                    "emergency_contact_relation",
                    "given without emergency_contact_name and emergency_contact_mobile",
                )
            )
        if len(errors) > start:
            return None
        assert isinstance(c_nid, NationalId)
        assert c_product is not None
        normalised = [
            str(c_contract),
            str(c_name),
            c_nid.number,
            str(c_mobile),
            str(c_email),
            str(c_province),
            str(c_city),
            product_code.strip(),
            str(c_principal),
            _decimal_text(c_rate),  # type: ignore[arg-type]
            str(c_term),
            str(c_method),
            str(c_disbursed),
            str(c_first_due),
            str(c_vin),
            str(c_plate),
            str(c_brand),
            str(c_model),
            str(c_year),
            str(c_price),
            str(c_dealer),
            str(c_em_name),
            str(c_em_mobile),
            str(c_em_relation),
        ]
        return LoanRow(
            index=index,
            contract_no=normalised[0],
            borrower_name=normalised[1],
            national_id=c_nid,
            mobile=normalised[3],
            email=normalised[4],
            province=normalised[5],
            city=normalised[6],
            product=c_product,
            principal_fen=c_principal,  # type: ignore[arg-type]
            annual_rate=c_rate,  # type: ignore[arg-type]
            term_months=c_term,  # type: ignore[arg-type]
            repayment_method=normalised[11],
            disbursed_on=c_disbursed,  # type: ignore[arg-type]
            first_due_on=c_first_due,  # type: ignore[arg-type]
            vin=normalised[14],
            plate=normalised[15],
            vehicle_brand=normalised[16],
            vehicle_model=normalised[17],
            vehicle_year=c_year,  # type: ignore[arg-type]
            vehicle_price_fen=c_price,  # type: ignore[arg-type]
            dealer=normalised[20],
            emergency_name=normalised[21],
            emergency_mobile=normalised[22],
            emergency_relation=normalised[23],
            # A file without addresses hashes as it did before the column existed, so that
            # re-importing it still finds its rows unchanged.
            source_hash=row_hash(
                "loans", [*normalised, str(c_address)] if c_address else normalised
            ),
            address=str(c_address),
            national_id_index=national_id_index(c_nid.number),
        )


def _parse_method(text: str) -> str:
    value = text.strip().lower()
    if value not in _METHODS:
        raise ValueError(f"'{text.strip()}' is not one of {_METHOD_LIST}")
    return value


def _process(table: SourceTable, now: datetime, timer: PhaseTimer) -> Outcome:
    outcome = Outcome()
    parser = _RowParser()
    cells_by_row = zip(*(table.columns[name] for name in LOAN_COLUMNS), strict=True)
    lines = table.line_numbers
    parsed: dict[int, LoanRow] = {}
    first_contract: dict[str, int] = {}
    for index, cells in enumerate(cells_by_row):
        errors: RowErrors = list(table.row_errors.get(index, ()))
        row = parser.parse(index, cells, errors)
        contract = cells[0].strip()
        if contract:
            first = first_contract.setdefault(contract, index)
            if first != index:
                errors.append(("contract_no", f"duplicate of row {lines[first]}"))
        if errors:
            outcome.reject(index, errors)
        elif row is not None:
            parsed[index] = row
    timer.mark("validate rows", len(table))
    candidates = _drop_known(parsed, outcome)
    _check_vins(candidates, outcome, lines)
    existing_borrowers = _check_borrower_names(candidates, outcome, lines)
    accepted = [row for row in candidates if row.index not in outcome.rejects]
    timer.mark("check against the database", len(parsed))
    _write(accepted, existing_borrowers, now, timer)
    outcome.created = len(accepted)
    return outcome


def _drop_known(parsed: dict[int, LoanRow], outcome: Outcome) -> list[LoanRow]:
    """Rows whose contract was imported before: identical → unchanged, different → rejected."""
    contracts = [row.contract_no for row in parsed.values()]
    known: dict[str, str] = {
        contract: stored
        for contract, stored in fetch_by_keys(
            Loan._meta.db_table, "contract_no", ("source_hash",), contracts
        )
    }
    fresh: list[LoanRow] = []
    for row in parsed.values():
        stored = known.get(row.contract_no)
        if stored is None:
            fresh.append(row)
        elif stored == row.source_hash:
            outcome.unchanged += 1
        else:
            outcome.reject(
                row.index,
                [
                    (
                        "contract_no",
                        "already imported with different data; corrections go through a loan "
                        "amendment, not a re-import (已导入且数据不同)",
                    )
                ],
            )
    return fresh


def _check_vins(rows: list[LoanRow], outcome: Outcome, lines: list[int]) -> None:
    """A vehicle finances one loan: a VIN seen before (in the file or the book) is refused."""
    financed = fetch_by_keys(Vehicle._meta.db_table, "vin", ("loan_id",), [row.vin for row in rows])
    contracts = dict(
        Loan.objects.filter(id__in=[loan_id for _, loan_id in financed]).values_list(
            "id", "contract_no"
        )
    )
    owners: dict[str, str] = {vin: contracts[loan_id] for vin, loan_id in financed}
    first_in_file: dict[str, int] = {}
    for row in rows:
        owner = owners.get(row.vin)
        if owner is not None:
            outcome.reject(row.index, [("vin", f"already financed by contract {owner}")])
            continue
        first = first_in_file.setdefault(row.vin, row.index)
        if first != row.index:
            outcome.reject(row.index, [("vin", f"same VIN as row {lines[first]}")])


def _check_borrower_names(
    rows: list[LoanRow], outcome: Outcome, lines: list[int]
) -> dict[str, int]:
    """One national ID, one person: a different name means a typo or a wrong ID.

    Returns the ids of the borrowers already on file, by national ID. National IDs are stored
    encrypted: borrowers are found by the blind index (docs/privacy.md).
    """
    index_of = {row.national_id.number: row.national_id_index for row in rows}
    number_of = {index: number for number, index in index_of.items()}
    found = [
        (number_of[index], borrower_id, name)
        for index, borrower_id, name in fetch_by_keys(
            Borrower._meta.db_table, "national_id_index", ("id", "name"), sorted(number_of)
        )
    ]
    known: dict[str, str] = {number: name for number, _, name in found}
    first_in_file: dict[str, LoanRow] = {}
    for row in rows:
        number = row.national_id.number
        stored = known.get(number)
        if stored is not None and stored != row.borrower_name:
            outcome.reject(
                row.index,
                [("borrower_name", f"national_id is already on file as borrower '{stored}'")],
            )
            continue
        first = first_in_file.setdefault(number, row)
        if first.borrower_name != row.borrower_name:
            outcome.reject(
                row.index,
                [
                    (
                        "borrower_name",
                        f"row {lines[first.index]} gives '{first.borrower_name}' "
                        "for the same national_id",
                    )
                ],
            )
    return {number: borrower_id for number, borrower_id, _ in found}


def _write(
    rows: list[LoanRow], existing_borrowers: dict[str, int], now: datetime, timer: PhaseTimer
) -> None:
    if not rows:
        return
    borrower_ids = _write_borrowers(rows, existing_borrowers, now)
    timer.mark("write borrowers")
    loan_ids = bulk.allocate_ids(Loan._meta.db_table, len(rows))
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
    timer.mark("write loans", len(rows))
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
    timer.mark("write vehicles", len(rows))
    _write_contacts(rows, borrower_ids, set(existing_borrowers.values()), now)
    timer.mark("write contact points")
    table = Installment._meta.db_table
    expected = sum(row.term_months for row in rows)
    with bulk.foreign_keys_checked_once(table, rows=expected):
        count = bulk.insert_rows(
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
        candidates = [(ContactKind.MOBILE.value, row.mobile, ContactOwner.BORROWER.value, "", "")]
        if row.email:
            candidates.append(
                (ContactKind.EMAIL.value, row.email, ContactOwner.BORROWER.value, "", "")
            )
        if row.address:
            candidates.append(
                (ContactKind.ADDRESS.value, row.address, ContactOwner.BORROWER.value, "", "")
            )
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
        for kind, value, owner, owner_name, relationship in candidates:
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
