"""Kill test: a cycle killed with SIGKILL at any stage, then rerun, ends in exactly the state of
an uninterrupted run (one transaction per as-of date; results computed from inputs only)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path

import pytest
from django.db import connection

from autocollect.cases.models import CollectionCase
from autocollect.delinquency.models import CycleRun, DailySnapshot, LoanDelinquency
from autocollect.delinquency.services import cycle_run
from autocollect.portfolio.models import Installment
from tests.delinquency.test_cycle import _state
from tests.factories import make_loan, make_payment, pay_installments

ROOT = Path(__file__).resolve().parent.parent.parent
STAGES = [
    "start",
    "load_installments",
    "computed",
    "state",
    "snapshots",
    "penalties",
    "cases",
    "promises",
    "end",
]


def _database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _cycle_process(as_of: str, stall: str | None) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "DJANGO_SETTINGS_MODULE": "config.settings.default",
        # The cycle writes an audit checkpoint per date: into a scratch file, not the
        # checkout's var/audit/ (whose checkpoints belong to the demo database).
        "AUTOCOLLECT_AUDIT_CHECKPOINT_PATH": str(
            Path(tempfile.gettempdir()) / f"autocollect-cycle-kill-{os.getpid()}.jsonl"
        ),
    }
    env.pop("AUTOCOLLECT_CYCLE_STALL", None)
    if stall:
        env["AUTOCOLLECT_CYCLE_STALL"] = f"{stall}:60"
    return subprocess.Popen(
        [sys.executable, "-m", "autocollect.cli", "cycle", "--as-of", as_of, "--json"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _build_book() -> None:
    for n in range(12):
        loan = make_loan(
            contract_no=f"K{n:03d}",
            principal_fen=2_400_000 + n * 1_003,
            term=12,
            first_due_on=date(2026, 1, 10),
        )
        if n % 3 == 0:
            pay_installments(loan, through_seq=2)
        elif n % 3 == 1:
            make_payment(loan, amount_fen=150_000, paid_on=date(2026, 1, 20))
        if n == 5:
            make_payment(loan, amount_fen=400_000, paid_on=date(2026, 2, 3))


def _reset_cycle_outputs() -> None:
    CycleRun.objects.all().delete()
    LoanDelinquency.objects.all().delete()
    DailySnapshot.objects.all().delete()
    CollectionCase.objects.all().delete()
    Installment.objects.update(penalty_fen=0)


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_killed_cycle_reruns_to_the_uninterrupted_state() -> None:
    _build_book()
    cycle_run(as_of=date(2026, 1, 25))
    cycle_run(as_of=date(2026, 2, 5))
    reference = _state()
    assert reference["cases"], "the book must have delinquency for the test to mean anything"

    _reset_cycle_outputs()
    first = _cycle_process("2026-01-25", None)
    out, err = first.communicate(timeout=120)
    assert first.returncode == 0, err
    killed_at = []
    for stage in STAGES:
        runs_before = CycleRun.objects.count()
        process = _cycle_process("2026-02-05", stage)
        assert process.stderr is not None
        line = process.stderr.readline()
        assert f"cycle stalled at {stage}" in line, line + process.stderr.read()
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        assert process.returncode == -signal.SIGKILL
        # The date being computed when the process died left nothing behind.
        assert CycleRun.objects.count() == runs_before
        killed_at.append(stage)
    assert killed_at == STAGES
    # Every kill hit 26 Jan, the first date after the last committed one; the rerun does all
    # eleven dates (26 Jan – 5 Feb).
    last = _cycle_process("2026-02-05", None)
    out, err = last.communicate(timeout=300)
    assert last.returncode == 0, err
    assert json.loads(out)["dates_run"] == 11
    assert _state() == reference
