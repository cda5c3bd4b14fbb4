"""Import benchmark: N loans with their schedules, then M payments, on SQLite and PostgreSQL.

    .venv/bin/python benchmarks/import_bench.py [--loans N] [--payments M]
        [--database-url postgres://user@host:5432/any] [--sqlite]

Generates valid, deterministic CSV files in a temporary folder, then for each database runs
a child process that migrates a fresh database and imports both files end to end (read,
validate, write, commit) through the public ``import_loans`` / ``import_payments``. For
PostgreSQL the scratch database ``autocollect_bench`` is created on the given server and
dropped afterwards. Phase timings come from the importers' DEBUG log.
"""

from __future__ import annotations

import argparse
import csv
import json
import logging
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BENCH_DB = "autocollect_bench"
SEED = 20241115
# The documented formats (docs/import-formats.md), column for column.
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
)
PAYMENT_COLUMNS = ("payment_ref", "contract_no", "paid_on", "amount", "channel")

PROVINCES = [
    ("粤", "广东", "深圳", "440305"),
    ("粤", "广东", "广州", "440106"),
    ("京", "北京", "北京", "110105"),
    ("沪", "上海", "上海", "310115"),
    ("浙", "浙江", "杭州", "330106"),
    ("苏", "江苏", "南京", "320102"),
    ("川", "四川", "成都", "510104"),
    ("鄂", "湖北", "武汉", "420106"),
]
VEHICLES = [
    ("比亚迪", "秦PLUS DM-i", 129800),
    ("大众", "朗逸", 119900),
    ("丰田", "卡罗拉", 129800),
    ("本田", "雅阁", 179800),
    ("吉利", "星越L", 139700),
    ("特斯拉", "Model 3", 231900),
    ("长安", "CS75 PLUS", 115900),
]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英"
MOBILE_PREFIXES = ["138", "139", "158", "186", "188", "177", "135", "150"]
TERMS = [12, 24, 36, 48, 60]
METHODS = ["equal_installment", "equal_installment", "equal_principal", "interest_first"]
RATES = ["0.0488", "0.0688", "0.0788", "0.0988"]


def _national_id(n: int, area: str) -> str:
    """Unique per ``n``: the birth date and the 3-digit sequence code both come from it."""
    from autocollect.core.ids import national_id_check_digit

    born = date(1965, 1, 1) + timedelta(days=(n // 1000) * 7 % (365 * 35) + n // 5_000_000)
    body = f"{area}{born:%Y%m%d}{n % 1000:03d}"
    return body + national_id_check_digit(body)


def _vin(n: int) -> str:
    from autocollect.core.ids import vin_check_digit

    body = f"LFV2A2180{n:08d}"
    return body[:8] + vin_check_digit(body) + body[9:]


def generate(folder: Path, n_loans: int, n_payments: int) -> tuple[Path, Path]:
    """Deterministic valid loans and payments; every payment is for a loan in the file."""
    # Pure modules only: Django is not set up in this (parent) process.
    from autocollect.engine.loanmath import add_months, principal_interest_split

    splits_cache: dict[tuple[int, str, int, str], tuple[tuple[int, int], ...]] = {}

    rng = random.Random(SEED)
    loans_path = folder / "loans.csv"
    payments_path = folder / "payments.csv"
    plans: list[tuple[str, date, int, tuple[tuple[int, int], ...]]] = []
    with loans_path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(LOAN_COLUMNS)
        for n in range(n_loans):
            short, province, city, area = PROVINCES[n % len(PROVINCES)]
            brand, model, price = VEHICLES[n % len(VEHICLES)]
            principal_yuan = rng.randrange(40, 200) * 1000
            rate, term, method = rng.choice(RATES), rng.choice(TERMS), rng.choice(METHODS)
            disbursed = date(2023, 1, 1) + timedelta(days=rng.randrange(700))
            first_due = add_months(disbursed, 1)
            contract = f"BJ{n:09d}"
            mobile = f"{MOBILE_PREFIXES[n % len(MOBILE_PREFIXES)]}{n:08d}"
            has_emergency = n % 3 != 0
            writer.writerow(
                [
                    contract,
                    rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN),
                    _national_id(n, area),
                    mobile,
                    f"c{n}@example.cn" if n % 4 == 0 else "",
                    province,
                    city,
                    "",
                    f"{principal_yuan}.00",
                    rate,
                    term,
                    method,
                    disbursed.isoformat(),
                    first_due.isoformat(),
                    _vin(n),
                    f"{short}A{n % 100000:05d}" if n % 10 else "",
                    brand,
                    model,
                    rng.choice([2022, 2023, 2024]),
                    f"{price}.00",
                    "",
                    rng.choice(SURNAMES) + rng.choice(GIVEN) if has_emergency else "",
                    f"137{n:08d}" if has_emergency else "",
                    rng.choice(["配偶", "父亲", "母亲", "朋友"]) if has_emergency else "",
                ]
            )
            key = (principal_yuan, rate, term, method)
            if key not in splits_cache:
                splits_cache[key] = tuple(
                    principal_interest_split(
                        principal_fen=principal_yuan * 100,
                        annual_rate=Decimal(rate),
                        term=term,
                        method=method,
                    )
                )
            splits = splits_cache[key]
            plans.append((contract, first_due, term, splits))
    with payments_path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(PAYMENT_COLUMNS)
        per_loan = max(1, -(-n_payments // max(1, n_loans)))
        written = 0
        for k in range(per_loan):
            for contract, first_due, term, splits in plans:
                if written >= n_payments:
                    break
                seq = min(k, term - 1)
                principal, interest = splits[seq]
                amount = principal + interest
                if rng.random() < 0.05:
                    amount += rng.randrange(1, 50000)  # some pay more, some less
                elif rng.random() < 0.05:
                    amount = max(1, amount - rng.randrange(1, amount))
                writer.writerow(
                    [
                        f"PAY{written:010d}",
                        contract,
                        add_months(first_due, seq).isoformat(),
                        f"{amount // 100}.{amount % 100:02d}",
                        "银联代扣",
                    ]
                )
                written += 1
    return loans_path, payments_path


def _server_url(url: str, database: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{database}"))


def _recreate_postgres(url: str) -> str:
    import psycopg

    admin = _server_url(url, "postgres").replace("postgres://", "postgresql://", 1)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}"')
        conn.execute(f'CREATE DATABASE "{BENCH_DB}"')
    return _server_url(url, BENCH_DB)


def _drop_postgres(url: str) -> None:
    import psycopg

    admin = _server_url(url, "postgres").replace("postgres://", "postgresql://", 1)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')


class _PhaseLog(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def run_child(database_url: str, loans_file: Path, payments_file: Path | None) -> dict:
    """In a fresh process: set Django up on ``database_url``, migrate, import, report."""
    os.environ["DATABASE_URL"] = database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.default"
    os.environ.setdefault("AUTOCOLLECT_DEBUG", "0")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from autocollect.portfolio.importers import import_loans, import_payments
    from autocollect.portfolio.models import Installment

    call_command("migrate", verbosity=0)
    handler = _PhaseLog()
    log = logging.getLogger("autocollect.portfolio.importers")
    log.addHandler(handler)
    log.setLevel(logging.DEBUG)
    rejects = Path(tempfile.mkdtemp(prefix="bench-rejects-"))
    report: dict = {"vendor": connection.vendor}
    start = time.perf_counter()
    loans = import_loans(loans_file, rejects_path=rejects / "loans.csv")
    report["loans"] = {
        "seconds": time.perf_counter() - start,
        "result": loans.to_json(),
        "installments": Installment.objects.count(),
        "phases": list(handler.lines),
    }
    if payments_file is not None:
        handler.lines.clear()
        start = time.perf_counter()
        payments = import_payments(payments_file, rejects_path=rejects / "payments.csv")
        report["payments"] = {
            "seconds": time.perf_counter() - start,
            "result": payments.to_json(),
            "phases": list(handler.lines),
        }
    return report


def _print_report(label: str, report: dict) -> None:
    print(f"\n== {label} ({report['vendor']}) ==")
    for phase in ("loans", "payments"):
        if phase not in report:
            continue
        data = report[phase]
        result = data["result"]
        rate = result["rows"] / data["seconds"] if data["seconds"] else 0.0
        extra = f", {data['installments']:,} installments" if "installments" in data else ""
        print(
            f"{phase}: {result['rows']:,} rows in {data['seconds']:.1f} s "
            f"= {rate:,.0f} rows/s (accepted {result['accepted']:,}, "
            f"rejected {result['rejected']:,}{extra})"
        )
        for line in data["phases"]:
            print(f"    {line}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loans", type=int, default=100_000)
    parser.add_argument("--payments", type=int, default=1_000_000)
    parser.add_argument("--database-url", help="PostgreSQL server to benchmark on")
    parser.add_argument("--sqlite", action="store_true", help="benchmark SQLite too")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        url, loans_file, payments_file = args.child
        report = run_child(url, Path(loans_file), Path(payments_file) if payments_file else None)
        print(json.dumps(report))
        return 0

    targets: list[tuple[str, str]] = []
    folder = Path(tempfile.mkdtemp(prefix="autocollect-bench-"))
    if args.sqlite or not args.database_url:
        targets.append(("SQLite", f"sqlite:///{folder / 'bench.sqlite3'}"))
    if args.database_url:
        targets.append(("PostgreSQL", args.database_url))

    start = time.perf_counter()
    loans_file, payments_file = generate(folder, args.loans, args.payments)
    print(
        f"generated {args.loans:,} loans and {args.payments:,} payments in "
        f"{time.perf_counter() - start:.1f} s under {folder}"
    )
    for label, url in targets:
        is_postgres = url.startswith(("postgres://", "postgresql://"))
        child_url = _recreate_postgres(url) if is_postgres else url
        try:
            completed = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--child",
                    child_url,
                    str(loans_file),
                    str(payments_file) if args.payments else "",
                ],
                capture_output=True,
                text=True,
                check=False,
            )
        finally:
            if is_postgres:
                _drop_postgres(url)
        if completed.returncode != 0:
            print(f"{label}: failed\n{completed.stderr}", file=sys.stderr)
            return 1
        _print_report(label, json.loads(completed.stdout.strip().splitlines()[-1]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
