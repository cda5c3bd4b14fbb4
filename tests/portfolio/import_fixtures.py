"""Valid import rows for tests: national IDs, VINs and mobiles built with real check digits."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from datetime import date
from pathlib import Path

from django.db import models

from autocollect.core.ids import national_id_check_digit, vin_check_digit
from autocollect.portfolio.importers.loan_rows import LOAN_COLUMNS
from autocollect.portfolio.importers.payments import PAYMENT_COLUMNS
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

DATA_TABLES: tuple[type[models.Model], ...] = (
    Borrower,
    ContactPoint,
    Product,
    Loan,
    Vehicle,
    Installment,
    Payment,
    Allocation,
)


def national_id(n: int, born: date = date(1985, 3, 12), male: bool = True) -> str:
    """A valid 18-digit ID from Beijing Dongcheng; the sequence code's parity sets the gender."""
    sequence = (2 * n + (1 if male else 0)) % 1000
    body = f"110101{born:%Y%m%d}{sequence:03d}"
    return body + national_id_check_digit(body)


def bad_check_digit(number: str) -> str:
    wrong = "0" if number[-1] != "0" else "1"
    return number[:-1] + wrong


def vin(n: int) -> str:
    """A valid VIN (ISO 3779 check digit in position 9)."""
    body = f"LSVAU2180{n:08d}"
    return body[:8] + vin_check_digit(body) + body[9:]


def mobile(n: int) -> str:
    return f"138{n:08d}"


def loan_row(n: int, **overrides: str) -> dict[str, str]:
    row = {
        "contract_no": f"HT2024{n:05d}",
        "borrower_name": f"张{'三四五六七八九十'[n % 8]}{n}",
        "national_id": national_id(n),
        "mobile": mobile(n),
        "email": f"user{n}@example.cn",
        "province": "广东",
        "city": "深圳",
        "product_code": "",
        "principal": "98000.00",
        "annual_rate": "0.0688",
        "term_months": "36",
        "repayment_method": "equal_installment",
        "disbursed_on": "2024-01-15",
        "first_due_on": "2024-02-15",
        "vin": vin(n),
        "plate": f"粤B{n % 100000:05d}",
        "vehicle_brand": "比亚迪",
        "vehicle_model": "秦PLUS DM-i",
        "vehicle_year": "2023",
        "vehicle_price": "129800.00",
        "dealer": "深圳比亚迪南山店",
        "emergency_contact_name": f"李{n}",
        "emergency_contact_mobile": f"139{n:08d}",
        "emergency_contact_relation": "配偶",
        "address": f"广东省深圳市南山区科技路{n}号",
    }
    row.update(overrides)
    return row


def payment_row(ref: str, contract_no: str, paid_on: str, amount: str, channel: str = "银联"):
    return {
        "payment_ref": ref,
        "contract_no": contract_no,
        "paid_on": paid_on,
        "amount": amount,
        "channel": channel,
    }


def write_csv(
    path: Path,
    rows: Iterable[Mapping[str, str]],
    columns: Iterable[str] = LOAN_COLUMNS,
    encoding: str = "utf-8",
) -> Path:
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(columns))
        writer.writeheader()
        writer.writerows(rows)
    return path


def write_payments_csv(path: Path, rows: Iterable[Mapping[str, str]]) -> Path:
    return write_csv(path, rows, PAYMENT_COLUMNS)


def read_rejects(path: str | Path) -> list[dict[str, str]]:
    with Path(path).open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def table_counts() -> dict[str, int]:
    return {model.__name__: model._default_manager.count() for model in DATA_TABLES}


def batch_count() -> int:
    return ImportBatch.objects.count()
