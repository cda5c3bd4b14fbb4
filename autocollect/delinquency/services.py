"""The daily cycle: load frames → engine → bulk write-back, one transaction per as-of date.

Interruption safety (docs/delinquency.md): a date's results and its ``CycleRun`` row commit
together or not at all, so a cycle killed at any point leaves the last committed date intact and
a rerun redoes the interrupted date from the same inputs. The engine computes every figure from
the inputs for that date (penalty in closed form), never by adding to what a half-finished run
left, so a rerun gives exactly what an uninterrupted run gives.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import polars as pl
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from autocollect.audit.services import audit_record
from autocollect.cases.models import CaseStatus, CloseReason, CollectionCase, PromiseStatus
from autocollect.core import clock, hooks
from autocollect.core.bounds import date_bounded
from autocollect.core.dbio import insert_frame, read_frame, update_from_frame
from autocollect.core.errors import ApplicationError
from autocollect.delinquency import loaders
from autocollect.delinquency.models import (
    CycleRun,
    DailySnapshot,
    LoanDelinquency,
    LoanPause,
    PauseReason,
)
from autocollect.engine.buckets import DEFAULT_BUCKETS
from autocollect.engine.delinquency import DelinquencyResult, compute_delinquency
from autocollect.engine.promises import (
    PROMISE_TOLERANCE_DAYS,
    PROMISE_TOLERANCE_FEN,
    evaluate_promises,
)
from autocollect.portfolio.models import Loan

logger = logging.getLogger(__name__)

CURRENT = DEFAULT_BUCKETS[0].name


class _Phases:
    """Seconds spent in each stage of a cycle date, reported in its stats (operations)."""

    def __init__(self) -> None:
        self.started = self.last = time.perf_counter()
        self.seconds: dict[str, float] = {}

    def mark(self, stage: str) -> None:
        now = time.perf_counter()
        self.seconds[stage] = round(now - self.last, 3)
        self.last = now
        _checkpoint(stage)

    @property
    def total(self) -> float:
        return round(time.perf_counter() - self.started, 3)


def _checkpoint(stage: str) -> None:
    """Test hook for the kill test: ``AUTOCOLLECT_CYCLE_STALL=stage:seconds`` sleeps there."""
    stall = os.environ.get("AUTOCOLLECT_CYCLE_STALL", "")
    if stall.startswith(stage + ":"):
        sys.stderr.write(f"cycle stalled at {stage}\n")
        sys.stderr.flush()
        time.sleep(float(stall.split(":", 1)[1]))


@dataclass(frozen=True, slots=True)
class CycleOutcome:
    runs: list[dict[str, Any]]  # the stats of each date, oldest first

    @property
    def last(self) -> dict[str, Any]:
        return self.runs[-1]


def cycle_run(
    *, as_of: date, force: bool = False, progress: Callable[[str], None] | None = None
) -> CycleOutcome:
    """Bring the book up to ``as_of``, one date at a time from the last completed date.

    A date already completed is not run again (its stored figures are returned) unless
    ``force``; with ``force`` it and every later completed date are recomputed in order, so the
    current state always reflects the latest date.
    """
    last = CycleRun.objects.aggregate(last=Max("as_of"))["last"]
    if last is not None and as_of <= last and not force:
        if as_of < last:
            raise ApplicationError(
                _(
                    "日终批处理已运行到 %(last)s；重算 %(as_of)s 会使账务倒退"
                    "（使用 --force 重算该日及其后各日）"
                )
                % {"last": last.isoformat(), "as_of": as_of.isoformat()}
            )
        return CycleOutcome(runs=[CycleRun.objects.get(as_of=as_of).stats])
    if last is None:
        dates = [as_of]
    elif force and as_of <= last:
        dates = _date_range(as_of, last)
    else:
        dates = _date_range(last + timedelta(days=1), as_of)
    runs = []
    for day in dates:
        stats = cycle_run_date(as_of=day)
        if progress:
            progress(f"{day.isoformat()}: {stats['delinquent']} delinquent, {stats['seconds']} s")
        runs.append(stats)
    return CycleOutcome(runs=runs)


def _date_range(start: date, end: date) -> list[date]:
    return [start + timedelta(days=k) for k in range((end - start).days + 1)]


@transaction.atomic
def cycle_run_date(*, as_of: date) -> dict[str, Any]:
    """Compute and store one as-of date. All-or-nothing."""
    started = clock.now()
    phases = _Phases()
    _checkpoint("start")
    installments, result = _compute(as_of, phases)
    state = result.loans
    owing = state.filter((pl.col("dpd") > 0) | (pl.col("overdue_total_fen") > 0))
    delinquent = state.filter(pl.col("bucket") != CURRENT)

    _write_state(owing, as_of)
    phases.mark("state")
    _write_snapshots(delinquent, as_of)
    phases.mark("snapshots")
    penalties_changed = _write_penalties(installments, result.installment_penalties)
    phases.mark("penalties")
    opened, closed = _open_and_close_cases(delinquent, as_of)
    phases.mark("cases")
    decided = _judge_promises(as_of)
    phases.mark("promises")

    by_bucket = dict(delinquent.group_by("bucket").len().iter_rows())
    stats: dict[str, Any] = {
        "as_of": as_of.isoformat(),
        "loans": state.height,
        "delinquent": delinquent.height,
        "by_bucket": {b.name: int(by_bucket.get(b.name, 0)) for b in DEFAULT_BUCKETS[1:]},
        "cases_opened": opened,
        "cases_closed": closed,
        "promises": decided,
        "penalty_accrued_fen": int(state["penalty_today_fen"].sum()),
        "installments_repriced": penalties_changed,
        "phases": phases.seconds,
        "seconds": phases.total,
    }
    stats.update(hooks.cycle_date_judged.call(as_of=as_of))
    CycleRun.objects.update_or_create(
        as_of=as_of,
        defaults={"started_at": started, "finished_at": clock.now(), "stats": stats},
    )
    _checkpoint("end")
    return stats


def _compute(as_of: date, phases: _Phases) -> tuple[pl.DataFrame, DelinquencyResult]:
    """Load the frames of ``as_of`` and run the engine; returns the installments as loaded
    (their stored penalties) and the engine's result."""
    loans = loaders.load_loans()
    phases.mark("load_loans")
    installments = loaders.load_installments(as_of)
    phases.mark("load_installments")
    late_allocations = loaders.load_late_allocations(as_of)
    phases.mark("load_late_allocations")
    previous = loaders.load_previous_state(as_of)
    result = compute_delinquency(
        installments=installments.lazy(),
        late_allocations=late_allocations.lazy(),
        loans=loans.lazy(),
        products=loaders.load_products().lazy(),
        pauses=loaders.load_pauses().lazy(),
        previous=previous.lazy(),
        as_of=as_of,
    )
    phases.mark("computed")
    return installments, result


def _write_state(owing: pl.DataFrame, as_of: date) -> None:
    """The current state (``LoanDelinquency``): replaced by the loans owing on ``as_of``."""
    LoanDelinquency.objects.all().delete()
    insert_frame(
        "delinquency_loandelinquency",
        owing.with_columns(pl.lit(as_of).alias("as_of")).select(
            "loan_id",
            "as_of",
            "dpd",
            "bucket",
            "oldest_due_on",
            "overdue_principal_fen",
            "overdue_interest_fen",
            "overdue_penalty_fen",
            "overdue_total_fen",
            "penalty_today_fen",
            "movement",
        ),
    )


def _write_snapshots(delinquent: pl.DataFrame, as_of: date) -> None:
    """The date's snapshot of every delinquent loan, with its outstanding principal."""
    DailySnapshot.objects.filter(as_of=as_of).delete()
    outstanding = loaders.load_outstanding_principal(delinquent["loan_id"].to_list(), as_of)
    insert_frame(
        "delinquency_dailysnapshot",
        delinquent.join(outstanding, on="loan_id", how="left")
        .with_columns(
            pl.lit(as_of).alias("as_of"), pl.col("outstanding_principal_fen").fill_null(0)
        )
        .select(
            "as_of",
            "loan_id",
            "dpd",
            "bucket",
            "overdue_principal_fen",
            "overdue_interest_fen",
            "overdue_penalty_fen",
            "overdue_total_fen",
            "outstanding_principal_fen",
            "movement",
        ),
    )


def _write_penalties(installments: pl.DataFrame, penalties: pl.DataFrame) -> int:
    """Store each installment's cumulative penalty where it changed."""
    current = installments.select("loan_id", "seq", "stored_penalty_fen")
    changed = (
        current.join(penalties, on=["loan_id", "seq"], how="full", coalesce=True)
        .with_columns(pl.col("penalty_fen", "stored_penalty_fen").fill_null(0))
        .filter(pl.col("penalty_fen") != pl.col("stored_penalty_fen"))
        .select("loan_id", "seq", "penalty_fen")
    )
    return update_from_frame(
        "portfolio_installment", changed, key=["loan_id", "seq"], set_columns=["penalty_fen"]
    )


def _open_and_close_cases(delinquent: pl.DataFrame, as_of: date) -> tuple[int, int]:
    open_cases = read_frame(
        "SELECT loan_id, id FROM cases_collectioncase WHERE status = %s",
        [CaseStatus.OPEN.value],
        {"loan_id": pl.Int64(), "case_id": pl.Int64()},
    )
    to_close = open_cases.join(delinquent, on="loan_id", how="anti")
    if to_close.height:
        ids = to_close["case_id"].to_list()
        for start in range(0, len(ids), 900):
            CollectionCase.objects.filter(pk__in=ids[start : start + 900]).update(
                status=CaseStatus.CLOSED, closed_on=as_of, close_reason=CloseReason.CURED
            )
    to_open = delinquent.join(open_cases, on="loan_id", how="anti")
    if to_open.height:
        last_cases = read_frame(
            "SELECT loan_id, MAX(id) FROM cases_collectioncase GROUP BY loan_id",
            [],
            {"loan_id": pl.Int64(), "previous_case_id": pl.Int64()},
        )
        insert_frame(
            "cases_collectioncase",
            to_open.join(last_cases, on="loan_id", how="left").select(
                "loan_id",
                pl.lit(CaseStatus.OPEN.value).alias("status"),
                pl.lit(as_of).alias("opened_on"),
                pl.col("dpd").alias("opened_dpd"),
                pl.col("bucket").alias("opened_bucket"),
                pl.lit("").alias("close_reason"),
                "previous_case_id",
            ),
        )
    return to_open.height, to_close.height


def _judge_promises(as_of: date) -> dict[str, int]:
    pending = loaders.load_pending_promises()
    counts = {
        PromiseStatus.KEPT.value: 0,
        PromiseStatus.PARTLY_KEPT.value: 0,
        PromiseStatus.BROKEN.value: 0,
    }
    if pending.height == 0:
        return counts
    judged = evaluate_promises(
        promises=pending.lazy(),
        payments=loaders.load_promise_payments(as_of).lazy(),
        as_of=as_of,
        tolerance_days=PROMISE_TOLERANCE_DAYS,
        tolerance_fen=PROMISE_TOLERANCE_FEN,
    )
    decided = judged.filter(pl.col("status") != PromiseStatus.PENDING.value)
    update_from_frame(
        "cases_promise",
        decided.select(
            pl.col("promise_id").alias("id"),
            "status",
            "paid_fen",
            "paid_share_bp",
            pl.lit(as_of).alias("evaluated_on"),
        ),
        key=["id"],
        set_columns=["status", "paid_fen", "paid_share_bp", "evaluated_on"],
    )
    for status, n in decided.group_by("status").len().iter_rows():
        counts[status] = int(n)
    return counts


@transaction.atomic
def loan_pause(
    *,
    loan: Loan,
    start_on: date,
    end_on: date,
    reason: str,
    actor: str,
    note: str = "",
    case: CollectionCase | None = None,
) -> LoanPause:
    """Stop a loan's delinquency from counting between two dates (inclusive), both in the
    plausible window of a pause (``core.bounds``, field ``"pause"``). Audited."""
    date_bounded(start_on, "pause", name="start_on")
    date_bounded(end_on, "pause", name="end_on")
    if end_on < start_on:
        raise ApplicationError(
            _("暂停结束日（%(end)s）早于开始日（%(start)s）") % {"end": end_on, "start": start_on},
            extra={"field": "end_on"},
        )
    if reason not in PauseReason.values:
        raise ApplicationError(
            _("未知的暂停原因“%(reason)s”（可选：%(choices)s）")
            % {"reason": reason, "choices": ", ".join(PauseReason.values)},
            extra={"field": "reason"},
        )
    if case is not None and case.loan_id != loan.pk:
        raise ApplicationError(_("该案件属于另一笔贷款"), extra={"field": "case"})
    overlapping = LoanPause.objects.filter(
        loan=loan, start_on__lte=end_on, end_on__gte=start_on
    ).first()
    if overlapping:
        raise ApplicationError(
            _("与该贷款已有的暂停（%(start)s–%(end)s）重叠")
            % {"start": overlapping.start_on, "end": overlapping.end_on}
        )
    pause = LoanPause.objects.create(
        loan=loan,
        case=case,
        start_on=start_on,
        end_on=end_on,
        reason=reason,
        note=note,
        created_by=actor,
    )
    audit_record(
        actor=actor,
        action="loan.pause",
        obj=pause,
        after={
            "contract_no": loan.contract_no,
            "start_on": start_on.isoformat(),
            "end_on": end_on.isoformat(),
            "reason": reason,
            "case": case.pk if case else None,
        },
        reason=note or reason,
    )
    return pause


@transaction.atomic
def loan_pause_lift(*, pause: LoanPause, actor: str, reason: str) -> None:
    """Remove a pause (e.g. the dispute was resolved against the borrower). Audited."""
    before = {
        "contract_no": pause.loan.contract_no,
        "start_on": str(pause.start_on),
        "end_on": str(pause.end_on),
    }
    audit_record(actor=actor, action="loan.pause_lift", obj=pause, before=before, reason=reason)
    pause.delete()
