"""Delinquency of a book at its as-of date, measured from the data alone.

Used to calibrate and to check the demo (tests, ``docs/demo-data.md``): the schedule of every
loan is rebuilt from its import row with :func:`~autocollect.engine.loanmath.build_schedule`,
and payments are applied as the importer applies them (oldest installment first, also to
installments not yet due; no penalty exists at import time, so within an installment interest
goes before principal). A loan's days past due (DPD) is the age of its oldest installment due on
or before as-of that still owes more than the product's tolerance (¥1.00).

Buckets, counted on days past due: ``M1`` 4–30 (the first three days are the product's grace
period and do not count as delinquent), ``M2`` 31–60, ``M3`` 61–90, ``M4+`` over 90 — the
non-performing loans (NPL). Shares are of the loans still outstanding at as-of (settled loans
cannot be late), by count and by outstanding principal.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from itertools import accumulate

import polars as pl

from autocollect.core.money import yuan_to_fen
from autocollect.engine.loanmath import build_schedule

GRACE_DAYS = 3
TOLERANCE_FEN = 100
BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    ("M1", GRACE_DAYS + 1, 30),
    ("M2", 31, 60),
    ("M3", 61, 90),
    ("M4+", 91, None),
)


def bucket_of(dpd: int) -> str | None:
    """The delinquency bucket of a DPD, or ``None`` when the loan is not delinquent."""
    for name, low, high in BUCKETS:
        if dpd >= low and (high is None or dpd <= high):
            return name
    return None


@dataclass(frozen=True, slots=True)
class DelinquencyReport:
    as_of: date
    loans: int
    outstanding_loans: int
    outstanding_principal_fen: int
    # Bucket name → (loans, outstanding principal in fen).
    buckets: dict[str, tuple[int, int]] = field(default_factory=dict)
    dpd: dict[str, int] = field(default_factory=dict)  # contract_no → DPD for late loans

    def share(self, bucket: str) -> float:
        return self.buckets.get(bucket, (0, 0))[0] / max(self.outstanding_loans, 1)

    def balance_share(self, bucket: str) -> float:
        return self.buckets.get(bucket, (0, 0))[1] / max(self.outstanding_principal_fen, 1)

    @property
    def delinquent_loans(self) -> int:
        return sum(count for count, _ in self.buckets.values())

    @property
    def delinquent_share(self) -> float:
        return self.delinquent_loans / max(self.outstanding_loans, 1)

    def share_over(self, days: int) -> float:
        """Share of outstanding loans more than ``days`` past due (60 → "60+")."""
        return sum(1 for d in self.dpd.values() if d > days) / max(self.outstanding_loans, 1)

    def balance_share_over(self, days: int) -> float:
        return sum(
            self.buckets[name][1] for name, low, _ in BUCKETS if low > days and name in self.buckets
        ) / max(self.outstanding_principal_fen, 1)

    def summary(self) -> str:
        parts = [f"{name} {self.share(name):.2%}" for name, _, _ in BUCKETS if name in self.buckets]
        return (
            f"delinquent (DPD>{GRACE_DAYS}) {self.delinquent_share:.2%} of "
            f"{self.outstanding_loans} outstanding loans"
            + (f" ({', '.join(parts)})" if parts else "")
            + f"; 60+ {self.share_over(60):.2%}; NPL 90+ {self.share_over(90):.2%}"
        )


def measure_delinquency(
    loans: pl.DataFrame, payments: pl.DataFrame, as_of: date
) -> DelinquencyReport:
    """DPD and buckets at ``as_of`` for frames in the import formats."""
    paid: dict[str, int] = defaultdict(int)
    for contract_no, paid_on, amount in payments.select(
        "contract_no", "paid_on", "amount"
    ).iter_rows():
        if date.fromisoformat(paid_on) <= as_of:
            paid[contract_no] += yuan_to_fen(amount)

    outstanding_loans = 0
    outstanding_principal = 0
    buckets: dict[str, tuple[int, int]] = {}
    late: dict[str, int] = {}
    for contract_no, principal, rate, term, method, first_due in loans.select(
        "contract_no", "principal", "annual_rate", "term_months", "repayment_method", "first_due_on"
    ).iter_rows():
        schedule = build_schedule(
            principal_fen=yuan_to_fen(principal),
            annual_rate=Decimal(rate),
            term=int(term),
            method=method,
            first_due_on=date.fromisoformat(first_due),
        )
        amounts = [s.amount_fen for s in schedule]
        cumulative = list(accumulate(amounts))
        total_paid = paid.get(contract_no, 0)
        if cumulative[-1] - total_paid <= TOLERANCE_FEN:
            continue  # settled
        outstanding_loans += 1
        # Installments fully covered by the payments, oldest first.
        covered = bisect_right(cumulative, total_paid + TOLERANCE_FEN)
        principal_left = 0
        before = cumulative[covered - 1] if covered else 0
        for s in schedule[covered:]:
            # Interest is paid before principal within the first partly paid installment.
            towards = max(min(total_paid - before, s.amount_fen), 0)
            principal_left += s.principal_fen - max(towards - s.interest_fen, 0)
            before += s.amount_fen
        outstanding_principal += principal_left
        if covered < len(schedule) and schedule[covered].due_on <= as_of:
            dpd = (as_of - schedule[covered].due_on).days
            name = bucket_of(dpd)
            if name is not None:
                late[contract_no] = dpd
                count, balance = buckets.get(name, (0, 0))
                buckets[name] = (count + 1, balance + principal_left)
    return DelinquencyReport(
        as_of=as_of,
        loans=loans.height,
        outstanding_loans=outstanding_loans,
        outstanding_principal_fen=outstanding_principal,
        buckets=buckets,
        dpd=late,
    )
