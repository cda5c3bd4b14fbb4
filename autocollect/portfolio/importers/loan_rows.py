"""The rows of a loan file: its columns, and each row validated and normalised on its own.

Every cell of a row is parsed, so that the rejects file names every problem of the row at once,
not only the first. The format is documented in docs/import-formats.md.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator

from autocollect.core import clock
from autocollect.core.crypto import national_id_index
from autocollect.core.ids import NationalId, parse_national_id, parse_plate, parse_vin
from autocollect.core.money import NumberError, parse_decimal
from autocollect.engine.loanmath import RepaymentMethod
from autocollect.portfolio.importers.common import (
    MobileParser,
    RowErrors,
    clean_text,
    dated,
    in_both_languages,
    parse_int,
    parse_positive_fen,
    row_hash,
)
from autocollect.portfolio.models import Product

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


def parse_rate(text: str) -> Decimal:
    """An annual rate as a decimal fraction, 0 <= r < 1, at most six decimals (trailing zeros
    aside), in core.money's grammar (no separators)."""
    value = text.strip()
    try:
        rate = parse_decimal(value, places=15, negative=True, grouping=False)
    except NumberError as exc:
        raise ValueError(in_both_languages(exc.__str__)) from None
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


def _parse_method(text: str) -> str:
    value = text.strip().lower()
    if value not in _METHODS:
        raise ValueError(f"'{text.strip()}' is not one of {_METHOD_LIST}")
    return value


class _Cells:
    """One row's cells by column; each parsed value is returned, each problem kept."""

    def __init__(self, cells: Sequence[str], errors: RowErrors) -> None:
        self.text = dict(zip(LOAN_COLUMNS, cells, strict=True))
        self.errors = errors

    def parsed(self, column: str, parser: Callable[[str], object]) -> object:
        """The cell through ``parser``; ``None`` when it refuses the cell."""
        try:
            return parser(self.text[column])
        except ValueError as exc:
            self.errors.append((column, str(exc)))
            return None

    def required(self, column: str, parser: Callable[[str], object]) -> object:
        if not self.text[column].strip():
            self.errors.append((column, REQUIRED))
            return None
        return self.parsed(column, parser)

    def optional(self, column: str, parser: Callable[[str], object]) -> object:
        if not self.text[column].strip():
            return ""
        return self.required(column, parser)


class LoanRowParser:
    """Validates single rows; holds what is shared between rows (products, caches)."""

    def __init__(self) -> None:
        self.products = {p.code: p for p in Product.objects.all()}
        self.default_product = next((p for p in self.products.values() if p.is_default), None)
        self.mobile = MobileParser()
        self.latest_year = clock.localdate().year + 1

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
        """The row normalised, or ``None`` when it has problems (added to ``errors`` in
        column order)."""
        start = len(errors)
        row_cells = _Cells(cells, errors)
        values = {
            **self._borrower(row_cells),
            **self._terms(row_cells),
            **self._vehicle(row_cells),
            **self._contacts(row_cells),
        }
        if len(errors) > start:
            return None
        return _loan_row(index, row_cells.text, values)

    def _borrower(self, cells: _Cells) -> dict[str, object]:
        return {
            "contract_no": cells.required("contract_no", lambda t: clean_text(t, 64)),
            "borrower_name": cells.required("borrower_name", lambda t: clean_text(t, 100)),
            "national_id": cells.required("national_id", parse_national_id),
            "mobile": cells.required("mobile", self.mobile),
            "email": cells.optional("email", parse_email),
            "province": cells.required("province", lambda t: clean_text(t, 20)),
            "city": cells.required("city", lambda t: clean_text(t, 50)),
        }

    def _terms(self, cells: _Cells) -> dict[str, object]:
        values = {
            "product_code": cells.parsed("product_code", self.product),
            "principal": cells.required("principal", parse_positive_fen),
            "annual_rate": cells.required("annual_rate", parse_rate),
            "term_months": cells.required(
                "term_months", lambda t: parse_int(t, 1, MAX_TERM_MONTHS)
            ),
            "repayment_method": cells.required("repayment_method", _parse_method),
            "disbursed_on": cells.required("disbursed_on", dated("loan.disbursed_on")),
            "first_due_on": cells.required("first_due_on", dated("loan.due_on")),
        }
        disbursed, first_due = values["disbursed_on"], values["first_due_on"]
        if isinstance(disbursed, date) and isinstance(first_due, date) and first_due <= disbursed:
            cells.errors.append(
                ("first_due_on", f"{first_due} is not after disbursed_on {disbursed}")
            )
        return values

    def _vehicle(self, cells: _Cells) -> dict[str, object]:
        return {
            "vin": cells.required("vin", parse_vin),
            # An empty plate is allowed: a new car is financed before it is registered (上牌).
            "plate": cells.optional("plate", parse_plate),
            "vehicle_brand": cells.required("vehicle_brand", lambda t: clean_text(t, 50)),
            "vehicle_model": cells.required("vehicle_model", lambda t: clean_text(t, 100)),
            "vehicle_year": cells.required(
                "vehicle_year", lambda t: parse_int(t, FIRST_VEHICLE_YEAR, self.latest_year)
            ),
            "vehicle_price": cells.required("vehicle_price", parse_positive_fen),
            "dealer": cells.optional("dealer", lambda t: clean_text(t, 200)),
        }

    def _contacts(self, cells: _Cells) -> dict[str, object]:
        values = {
            "emergency_contact_name": cells.optional(
                "emergency_contact_name", lambda t: clean_text(t, 100)
            ),
            "emergency_contact_mobile": cells.optional("emergency_contact_mobile", self.mobile),
            "emergency_contact_relation": cells.optional(
                "emergency_contact_relation", lambda t: clean_text(t, 50)
            ),
            "address": cells.optional("address", lambda t: clean_text(t, 255)),
        }
        _check_emergency_contact(cells)
        return values


def _check_emergency_contact(cells: _Cells) -> None:
    """An emergency contact is a name and a mobile together; a relation needs both."""
    has_name = bool(cells.text["emergency_contact_name"].strip())
    has_mobile = bool(cells.text["emergency_contact_mobile"].strip())
    if has_name and not has_mobile:
        cells.errors.append(
            ("emergency_contact_mobile", "required when emergency_contact_name is given")
        )
    elif has_mobile and not has_name:
        cells.errors.append(
            ("emergency_contact_name", "required when emergency_contact_mobile is given")
        )
    elif cells.text["emergency_contact_relation"].strip() and not has_name:
        cells.errors.append(
            (
                "emergency_contact_relation",
                "given without emergency_contact_name and emergency_contact_mobile",
            )
        )


def _hashed_texts(text: Mapping[str, str], values: Mapping[str, Any]) -> dict[str, str]:
    """Every column but the address as normalised text, in file order: what the row's source
    hash covers."""
    texts = {column: str(values[column]) for column in LOAN_COLUMNS if column != "address"}
    texts["national_id"] = values["national_id"].number
    texts["product_code"] = text["product_code"].strip()
    texts["annual_rate"] = _decimal_text(values["annual_rate"])
    return texts


def _loan_row(index: int, text: Mapping[str, str], values: Mapping[str, Any]) -> LoanRow:
    """The row from its parsed ``values`` (by column), once none of them has a problem."""
    texts = _hashed_texts(text, values)
    hashed = list(texts.values())
    address = str(values["address"])
    return LoanRow(
        index=index,
        contract_no=texts["contract_no"],
        borrower_name=texts["borrower_name"],
        national_id=values["national_id"],
        mobile=texts["mobile"],
        email=texts["email"],
        province=texts["province"],
        city=texts["city"],
        product=values["product_code"],
        principal_fen=values["principal"],
        annual_rate=values["annual_rate"],
        term_months=values["term_months"],
        repayment_method=texts["repayment_method"],
        disbursed_on=values["disbursed_on"],
        first_due_on=values["first_due_on"],
        vin=texts["vin"],
        plate=texts["plate"],
        vehicle_brand=texts["vehicle_brand"],
        vehicle_model=texts["vehicle_model"],
        vehicle_year=values["vehicle_year"],
        vehicle_price_fen=values["vehicle_price"],
        dealer=texts["dealer"],
        emergency_name=texts["emergency_contact_name"],
        emergency_mobile=texts["emergency_contact_mobile"],
        emergency_relation=texts["emergency_contact_relation"],
        # A file without addresses hashes as it did before the column existed, so that
        # re-importing it still finds its rows unchanged.
        source_hash=row_hash("loans", [*hashed, address] if address else hashed),
        address=address,
        national_id_index=national_id_index(values["national_id"].number),
    )
