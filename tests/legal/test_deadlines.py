"""Nothing passes unnoticed: the daily deadline check (command and Huey task) on a controlled
clock, around the 30-day judicial confirmation window."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from io import StringIO
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command

from autocollect.accounts.models import User
from autocollect.audit.models import AuditEvent
from autocollect.cases.models import CollectionCase
from autocollect.core.clock import SimulatedClock, simulated_time
from autocollect.legal.models import DeadlineKind, LegalDeadline, LegalReferral
from autocollect.legal.services.mediation import jc_apply, mediation_session_record, mediation_start
from autocollect.legal.services.referrals import referral_create
from autocollect.legal.tasks import legal_deadlines_run

pytestmark = pytest.mark.django_db
BEIJING = ZoneInfo("Asia/Shanghai")
AGREED = date(2026, 3, 2)  # the jc_application deadline is 2026-04-01


@pytest.fixture
def agreed(case: CollectionCase, people: dict[str, User]) -> LegalReferral:
    legal = people["legal"]
    referral = referral_create(case=case, actor=people["lead"], reason="refused_to_pay")
    referral = mediation_start(referral=referral, actor=legal, mediator="王调解员")
    mediation_session_record(
        referral=referral, actor=legal, held_on=AGREED, result="agreement", agreement_fen=9_000_000
    )
    return referral


def run(*args: str) -> dict[str, Any]:
    out = StringIO()
    call_command("legal", "deadlines", *args, "--json", stdout=out)
    result: dict[str, Any] = json.loads(out.getvalue())
    return result


def test_the_window_is_due_soon_then_overdue_and_alerted_once(agreed: LegalReferral) -> None:
    early = run("--as-of", "2026-03-20")
    assert early["overdue"] == []
    assert early["due_soon"] == []

    soon = run("--as-of", "2026-03-27")
    assert [row["kind"] for row in soon["due_soon"]] == [DeadlineKind.JC_APPLICATION]
    assert soon["due_soon"][0]["days_left"] == 5

    # The last day itself is not overdue: the application can still go in today.
    last_day = run("--as-of", "2026-04-01")
    assert last_day["overdue"] == []

    late = run("--as-of", "2026-04-02")
    deadline = LegalDeadline.objects.get(referral=agreed, kind=DeadlineKind.JC_APPLICATION)
    assert [row["id"] for row in late["overdue"]] == [deadline.pk]
    assert late["newly_alerted"] == [deadline.pk]
    assert AuditEvent.objects.filter(action="legal.deadline_overdue").count() == 1

    # Listed again the next day, but alerted only once.
    again = run("--as-of", "2026-04-03")
    assert [row["id"] for row in again["overdue"]] == [deadline.pk]
    assert again["newly_alerted"] == []
    assert AuditEvent.objects.filter(action="legal.deadline_overdue").count() == 1


def test_strict_mode_fails_when_something_is_overdue(agreed: LegalReferral) -> None:
    call_command("legal", "deadlines", "--as-of", "2026-03-30", "--strict", stdout=StringIO())
    with pytest.raises(CommandError, match="1 legal deadline"):
        call_command("legal", "deadlines", "--as-of", "2026-04-05", "--strict", stdout=StringIO())


def test_a_met_deadline_is_not_reported(agreed: LegalReferral, people: dict[str, User]) -> None:
    jc_apply(referral=agreed, actor=people["legal"], court="法院", applied_on=date(2026, 3, 30))
    report = run("--as-of", "2026-04-10")
    kinds = [row["kind"] for row in report["overdue"]]
    # The application was made; what is now overdue is the court's acceptance (3 days).
    assert kinds == [DeadlineKind.JC_ACCEPTANCE]


def test_the_daily_task_uses_the_beijing_date_of_the_clock(agreed: LegalReferral) -> None:
    # 2026-04-01 17:00 UTC is already 2 April in Beijing: the window has closed there.
    with simulated_time(SimulatedClock(datetime(2026, 4, 1, 17, 0, tzinfo=UTC))) as clock:
        result = legal_deadlines_run(clock.now())
    assert result["as_of"] == "2026-04-02"
    assert len(result["overdue"]) == 1
    # 15:00 UTC on 1 April is 23:00 in Beijing, still the last day.
    result = legal_deadlines_run(datetime(2026, 4, 1, 15, 0, tzinfo=UTC))
    assert result["as_of"] == "2026-04-01"


def test_the_human_readable_listing_names_the_case(agreed: LegalReferral) -> None:
    out = StringIO()
    call_command("legal", "deadlines", "--as-of", "2026-04-05", stdout=out)
    text = out.getvalue()
    assert "1 overdue" in text
    assert agreed.case.loan.contract_no in text
    assert "jc_application" in text
