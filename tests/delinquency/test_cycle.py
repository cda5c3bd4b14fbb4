"""The daily cycle against the real database: state, snapshots, cases, promises, catch-up."""

from __future__ import annotations

import io
import json
from datetime import date, timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from autocollect.audit.models import AuditEvent
from autocollect.audit.services import audit_verify
from autocollect.cases.models import CaseStatus, CollectionCase, Promise
from autocollect.core.errors import ApplicationError
from autocollect.delinquency.models import CycleRun, DailySnapshot, LoanDelinquency, LoanPause
from autocollect.delinquency.services import cycle_run, loan_pause
from autocollect.delinquency.tasks import nightly_cycle
from autocollect.portfolio.models import Installment, Loan
from tests.factories import make_loan, make_payment, pay_installments

pytestmark = pytest.mark.django_db

FIRST_DUE = date(2026, 1, 15)


def _book() -> dict[str, Loan]:
    """Three loans due on the 15th: one always on time, one that misses, one that pays late."""
    on_time = make_loan(
        contract_no="ONTIME", principal_fen=3_600_000, term=12, first_due_on=FIRST_DUE
    )
    missed = make_loan(
        contract_no="MISSED", principal_fen=3_600_000, term=12, first_due_on=FIRST_DUE
    )
    late = make_loan(contract_no="LATE", principal_fen=3_600_000, term=12, first_due_on=FIRST_DUE)
    pay_installments(on_time, through_seq=3)
    return {"on_time": on_time, "missed": missed, "late": late}


def _state() -> dict[str, object]:
    """Everything the cycle writes, in comparable form."""
    return {
        "delinquency": sorted(
            LoanDelinquency.objects.values_list(
                "loan__contract_no", "as_of", "dpd", "bucket", "overdue_total_fen", "movement"
            )
        ),
        "snapshots": sorted(
            DailySnapshot.objects.values_list(
                "as_of", "loan__contract_no", "dpd", "bucket", "outstanding_principal_fen"
            )
        ),
        "cases": sorted(
            CollectionCase.objects.values_list(
                "loan__contract_no", "status", "opened_on", "closed_on"
            )
        ),
        "penalties": sorted(
            Installment.objects.filter(penalty_fen__gt=0).values_list(
                "loan__contract_no", "seq", "penalty_fen"
            )
        ),
        "promises": sorted(Promise.objects.values_list("id", "status", "paid_fen")),
        "runs": sorted(CycleRun.objects.values_list("as_of", flat=True)),
    }


def test_missed_installment_is_delinquent_and_opens_a_case() -> None:
    book = _book()
    stats = cycle_run(as_of=date(2026, 2, 1)).last
    missed = LoanDelinquency.objects.get(loan=book["missed"])
    assert (missed.dpd, missed.bucket, missed.movement) == (17, "M1", "new")
    first = Installment.objects.get(loan=book["missed"], seq=1)
    assert missed.overdue_principal_fen == first.principal_fen
    assert missed.overdue_interest_fen == first.interest_fen
    # 18% a year ACT/360 on the overdue principal, from the day after the 3 grace days: 14 days.
    daily = (2 * first.principal_fen * 180_000 + 360_000_000) // 720_000_000
    assert missed.overdue_penalty_fen == 14 * daily
    assert first.penalty_fen == 14 * daily
    assert stats["delinquent"] == 2
    assert stats["by_bucket"]["M1"] == 2
    assert stats["cases_opened"] == 2
    assert set(
        CollectionCase.objects.filter(status=CaseStatus.OPEN).values_list(
            "loan__contract_no", flat=True
        )
    ) == {
        "MISSED",
        "LATE",
    }
    assert not LoanDelinquency.objects.filter(loan=book["on_time"]).exists()
    snapshot = DailySnapshot.objects.get(as_of=date(2026, 2, 1), loan=book["missed"])
    assert snapshot.outstanding_principal_fen == 3_600_000


def test_cure_closes_the_case_and_a_new_spell_opens_a_new_linked_case() -> None:
    book = _book()
    cycle_run(as_of=date(2026, 2, 1))
    pay_installments(book["late"], through_seq=1)  # paid on the first installment's due date...
    late_payment = book["late"].payments.get()
    late_payment.paid_on = date(2026, 2, 2)  # ...but record it as arriving on 2 Feb
    late_payment.save()
    stats = cycle_run(as_of=date(2026, 2, 2)).last
    assert stats["cases_closed"] == 1
    first_case = CollectionCase.objects.get(loan=book["late"])
    assert (first_case.status, first_case.closed_on, first_case.close_reason) == (
        "closed",
        date(2026, 2, 2),
        "cured",
    )
    assert not LoanDelinquency.objects.filter(loan=book["late"], bucket="M1").exists()
    # Next installment (15 Feb) is missed: past grace on 19 Feb a new case opens, linked.
    cycle_run(as_of=date(2026, 2, 19))
    cases = list(CollectionCase.objects.filter(loan=book["late"]).order_by("id"))
    assert len(cases) == 2
    assert cases[1].status == "open"
    assert cases[1].previous_case_id == cases[0].pk
    assert cases[1].opened_on == date(2026, 2, 19)


def test_catch_up_runs_every_day_and_penalty_accrues_for_each() -> None:
    book = _book()
    cycle_run(as_of=date(2026, 2, 1))
    outcome = cycle_run(as_of=date(2026, 2, 6))
    assert [r["as_of"] for r in outcome.runs] == [f"2026-02-0{d}" for d in range(2, 7)]
    first = Installment.objects.get(loan=book["missed"], seq=1)
    daily = (2 * first.principal_fen * 180_000 + 360_000_000) // 720_000_000
    assert first.penalty_fen == 19 * daily
    assert sum(r["penalty_accrued_fen"] for r in outcome.runs) == 5 * 2 * daily
    assert DailySnapshot.objects.filter(loan=book["missed"]).count() == 6
    movements = list(
        DailySnapshot.objects.filter(loan=book["missed"])
        .order_by("as_of")
        .values_list("movement", flat=True)
    )
    assert movements == ["new", "stayed", "stayed", "stayed", "stayed", "stayed"]


def test_running_the_same_date_twice_gives_the_same_state() -> None:
    _book()
    cycle_run(as_of=date(2026, 2, 1))
    cycle_run(as_of=date(2026, 2, 3))
    first = _state()
    again = cycle_run(as_of=date(2026, 2, 3))
    assert _state() == first
    assert again.last["as_of"] == "2026-02-03"
    forced = cycle_run(as_of=date(2026, 2, 3), force=True)
    assert _state() == first
    assert forced.last["delinquent"] == 2


def test_an_earlier_date_is_refused_without_force_and_recomputed_in_order_with_it() -> None:
    book = _book()
    cycle_run(as_of=date(2026, 2, 1))
    cycle_run(as_of=date(2026, 2, 4))
    reference = _state()
    with pytest.raises(ApplicationError, match="已运行到 2026-02-04"):
        cycle_run(as_of=date(2026, 2, 2))
    outcome = cycle_run(as_of=date(2026, 2, 2), force=True)
    assert [r["as_of"] for r in outcome.runs] == ["2026-02-02", "2026-02-03", "2026-02-04"]
    assert _state() == reference
    assert LoanDelinquency.objects.get(loan=book["missed"]).as_of == date(2026, 2, 4)


def test_promises_are_judged_kept_partly_kept_and_broken() -> None:
    book = _book()
    cycle_run(as_of=date(2026, 2, 1))
    case = CollectionCase.objects.get(loan=book["missed"])
    other = CollectionCase.objects.get(loan=book["late"])
    kept = Promise.objects.create(
        case=case,
        loan=book["missed"],
        promised_on=date(2026, 2, 1),
        due_on=date(2026, 2, 3),
        amount_fen=50_000,
    )
    partly = Promise.objects.create(
        case=other,
        loan=book["late"],
        promised_on=date(2026, 2, 1),
        due_on=date(2026, 2, 3),
        amount_fen=200_000,
    )
    broken = Promise.objects.create(
        case=case,
        loan=book["missed"],
        promised_on=date(2026, 2, 5),
        due_on=date(2026, 2, 6),
        amount_fen=10_000,
    )
    make_payment(book["missed"], amount_fen=50_000, paid_on=date(2026, 2, 3))
    make_payment(book["late"], amount_fen=50_000, paid_on=date(2026, 2, 2))
    stats = cycle_run(as_of=date(2026, 2, 8)).runs
    by_day = {r["as_of"]: r["promises"] for r in stats}
    assert by_day["2026-02-03"]["kept"] == 1
    assert by_day["2026-02-05"] == {"kept": 0, "partly_kept": 1, "broken": 0}
    assert by_day["2026-02-08"]["broken"] == 1
    kept.refresh_from_db()
    partly.refresh_from_db()
    broken.refresh_from_db()
    assert (kept.status, kept.paid_fen, kept.evaluated_on) == ("kept", 50_000, date(2026, 2, 3))
    assert (partly.status, partly.paid_fen, partly.paid_share_bp) == ("partly_kept", 50_000, 2_500)
    assert broken.status == "broken"


def test_pause_stops_dpd_and_is_audited() -> None:
    book = _book()
    pause = loan_pause(
        loan=book["missed"],
        start_on=date(2026, 1, 20),
        end_on=date(2026, 1, 29),
        reason="dispute",
        actor="lead.li",
        note="客户对扣款有异议",
    )
    cycle_run(as_of=date(2026, 2, 1))
    assert LoanDelinquency.objects.get(loan=book["missed"]).dpd == 17 - 10
    event = AuditEvent.objects.get(action="loan.pause")
    assert event.actor == "lead.li"
    assert event.object_id == str(pause.pk)
    assert event.after is not None
    assert event.after["contract_no"] == "MISSED"
    assert audit_verify().ok
    with pytest.raises(ApplicationError, match="重叠"):
        loan_pause(
            loan=book["missed"],
            start_on=date(2026, 1, 25),
            end_on=date(2026, 2, 5),
            reason="dispute",
            actor="x",
        )
    with pytest.raises(ApplicationError, match="早于开始日"):
        loan_pause(
            loan=book["missed"],
            start_on=date(2026, 3, 5),
            end_on=date(2026, 3, 1),
            reason="dispute",
            actor="x",
        )
    assert LoanPause.objects.count() == 1
    assert AuditEvent.objects.count() == 1


def test_cli_prints_the_specified_json() -> None:
    _book()
    out = io.StringIO()
    call_command("cycle", "--as-of", "2026-02-01", "--json", stdout=out)
    payload = json.loads(out.getvalue())
    assert set(payload) >= {
        "as_of",
        "loans",
        "delinquent",
        "by_bucket",
        "cases_opened",
        "cases_closed",
        "promises",
        "seconds",
    }
    assert payload["as_of"] == "2026-02-01"
    assert payload["loans"] == 3
    assert payload["delinquent"] == 2
    assert payload["by_bucket"] == {"M1": 2, "M2": 0, "M3": 0, "M4": 0, "M5": 0, "M6": 0, "M7+": 0}
    assert payload["promises"] == {"kept": 0, "partly_kept": 0, "broken": 0}
    assert isinstance(payload["seconds"], float)
    with pytest.raises(CommandError, match="not a date"):
        call_command("cycle", "--as-of", "2026-13-01")


def test_roll_rate_matrix_counts_month_end_transitions(client, django_user_model) -> None:
    book = _book()
    cycle_run(as_of=date(2026, 1, 31))
    cycle_run(as_of=date(2026, 2, 28))
    pay_installments(book["late"], through_seq=3)
    cycle_run(as_of=date(2026, 3, 31))
    user = django_user_model.objects.create_user("risk.wang", password="x", role="risk")
    client.force_login(user)
    feb = client.get("/api/delinquency/roll-rates", {"year": 2026, "month": 2}).json()
    assert feb["from_date"] == "2026-01-31"
    assert feb["to_date"] == "2026-02-28"
    assert feb["counts"]["M1"]["M2"] == 2
    assert feb["roll_forward_bp"]["M1"] == 10_000
    mar = client.get("/api/delinquency/roll-rates", {"year": 2026, "month": 3}).json()
    assert mar["counts"]["M2"]["M3"] == 1  # MISSED kept missing
    assert mar["counts"]["M2"]["M0"] == 1  # LATE paid up
    assert mar["roll_forward_bp"]["M2"] == 5_000
    assert mar["balances_fen"]["M2"]["M3"] == 3_600_000
    assert client.get("/api/delinquency/roll-rates", {"year": 2025, "month": 6}).status_code == 404
    assert client.get("/api/delinquency/roll-rates", {"year": 2026, "month": 13}).status_code == 422


def test_pause_api_requires_login_and_validates(client, django_user_model) -> None:
    _book()
    body = {
        "contract_no": "MISSED",
        "start_on": "2026-02-01",
        "end_on": "2026-02-10",
        "reason": "disaster_relief",
    }
    assert (
        client.post("/api/delinquency/pauses", body, content_type="application/json").status_code
        == 401
    )
    client.force_login(django_user_model.objects.create_user("lead.zhao", "", "x", role="admin"))
    created = client.post("/api/delinquency/pauses", body, content_type="application/json")
    assert created.status_code == 201
    assert created.json()["reason"] == "disaster_relief"
    bad = client.post(
        "/api/delinquency/pauses", {**body, "reason": "bored"}, content_type="application/json"
    )
    assert bad.status_code == 422
    assert "未知的暂停原因" in bad.json()["detail"]
    assert bad.json()["field"] == "reason"
    assert AuditEvent.objects.filter(action="loan.pause", actor="lead.zhao").count() == 1


def test_nightly_task_runs_the_cycle_for_today(monkeypatch: pytest.MonkeyPatch) -> None:
    _book()
    monkeypatch.setattr(
        "autocollect.delinquency.tasks.today_in_business_zone", lambda: date(2026, 2, 1)
    )
    stats = nightly_cycle.call_local()
    assert stats["as_of"] == "2026-02-01"
    assert CycleRun.objects.filter(as_of=date(2026, 2, 1)).exists()
    assert date(2026, 2, 1) - timedelta(days=1) not in set(
        CycleRun.objects.values_list("as_of", flat=True)
    )


def test_snapshot_balance_counts_only_payments_up_to_its_date() -> None:
    book = _book()
    cycle_run(as_of=date(2026, 2, 2))
    payment = make_payment(book["missed"], amount_fen=150_000, paid_on=date(2026, 2, 3))
    principal_paid = sum(a.amount_fen for a in payment.allocations.filter(component="principal"))
    assert principal_paid > 0
    cycle_run(as_of=date(2026, 2, 3))
    cycle_run(as_of=date(2026, 2, 2), force=True)  # recompute the day before the payment

    def balance(day: date) -> int:
        return DailySnapshot.objects.get(as_of=day, loan=book["missed"]).outstanding_principal_fen

    assert balance(date(2026, 2, 2)) == 3_600_000
    assert balance(date(2026, 2, 3)) == 3_600_000 - principal_paid
