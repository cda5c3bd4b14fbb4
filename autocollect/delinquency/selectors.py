"""Reads over the cycle's results: roll rates (迁徙率)."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date

from django.db.models import Max

from autocollect.delinquency.models import CycleRun, DailySnapshot
from autocollect.engine.buckets import DEFAULT_BUCKETS

BUCKETS = [b.name for b in DEFAULT_BUCKETS]


@dataclass(frozen=True, slots=True)
class RollRateMatrix:
    from_date: date
    to_date: date
    buckets: list[str]
    counts: dict[str, dict[str, int]]
    balances_fen: dict[str, dict[str, int]]
    # Share of each delinquent bucket's count that rolled to a worse bucket, in basis points.
    roll_forward_bp: dict[str, int]


def _month_end_run(year: int, month: int) -> date | None:
    """The last completed cycle date in a month (month-end snapshot)."""
    first = date(year, month, 1)
    last = date(year, month, calendar.monthrange(year, month)[1])
    return CycleRun.objects.filter(as_of__gte=first, as_of__lte=last).aggregate(m=Max("as_of"))["m"]


def roll_rate_matrix(*, year: int, month: int) -> RollRateMatrix | None:
    """Bucket transitions from the previous month's last cycle date to this month's.

    Rows are the bucket at the earlier date, columns the bucket at the later one. Loans without
    a snapshot were current (M0); the M0 → M0 cell is left out (it would need every loan in
    the book, and no roll rate uses it). Balances are outstanding principal at the earlier date
    (at the later date for loans that were current before).
    """
    prev_year, prev_month = (year - 1, 12) if month == 1 else (year, month - 1)
    from_date = _month_end_run(prev_year, prev_month)
    to_date = _month_end_run(year, month)
    if from_date is None or to_date is None:
        return None
    before = {
        s["loan_id"]: s
        for s in DailySnapshot.objects.filter(as_of=from_date).values(
            "loan_id", "bucket", "outstanding_principal_fen"
        )
    }
    after = {
        s["loan_id"]: s
        for s in DailySnapshot.objects.filter(as_of=to_date).values(
            "loan_id", "bucket", "outstanding_principal_fen"
        )
    }
    counts = {b: dict.fromkeys(BUCKETS, 0) for b in BUCKETS}
    balances = {b: dict.fromkeys(BUCKETS, 0) for b in BUCKETS}
    current = BUCKETS[0]
    for loan_id in before.keys() | after.keys():
        was = before.get(loan_id)
        now = after.get(loan_id)
        src = was["bucket"] if was else current
        dst = now["bucket"] if now else current
        source = was if was is not None else now
        balance = int(source["outstanding_principal_fen"]) if source is not None else 0
        counts[src][dst] += 1
        balances[src][dst] += balance
    roll_forward = {}
    for i, src in enumerate(BUCKETS[1:], start=1):
        total = sum(counts[src].values())
        worse = sum(counts[src][dst] for dst in BUCKETS[i + 1 :])
        roll_forward[src] = worse * 10_000 // total if total else 0
    return RollRateMatrix(from_date, to_date, BUCKETS, counts, balances, roll_forward)
