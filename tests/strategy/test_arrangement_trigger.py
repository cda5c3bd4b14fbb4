"""The ``arrangement_broken`` trigger: a repayment arrangement judged broken by a day's cycle
puts the review on that day's plan (team lead in M1–M2, legal referral review in M3+)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from autocollect.accounts.models import User
from autocollect.accounts.roles import Role
from autocollect.arrangements.models import Arrangement, ArrangementKind, ArrangementState
from autocollect.arrangements.services import (
    arrangement_approve,
    arrangement_confirm,
    arrangement_propose,
)
from autocollect.cases.models import CollectionCase
from autocollect.portfolio.models import Loan
from autocollect.strategy.models import PlannedAction
from autocollect.strategy.services import LoadResult, plan_run
from tests.factories import make_user
from tests.strategy.conftest import (
    AS_OF,
    Clock,
    beijing,
    late_loan,
    open_case,
    run_cycle,
    staff_team,
)

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
ALL_QUEUES = ["early_calls", "m2_calls", "promise_follow_up", "late_calls", "team_lead_review"]


@pytest.fixture(autouse=True)
def document_dir(settings: Any, tmp_path: Path) -> None:
    settings.AUTOCOLLECT = {
        **settings.AUTOCOLLECT,
        "DOCUMENTS": {"DIR": str(tmp_path / "documents")},
    }


def active_arrangement(case: CollectionCase, collector: User, lead: User) -> Arrangement:
    """A three-installment plan proposed on AS_OF, first due five days later, approved and
    made active with the signed confirmation, all through the services."""
    case.assigned_agent = collector
    case.save(update_fields=["assigned_agent"])
    arrangement = arrangement_propose(
        case=case,
        actor=collector,
        kind=ArrangementKind.INSTALLMENT_PLAN,
        installments=3,
        reason="借款人收入下降，申请分期",
        first_due_on=AS_OF + timedelta(days=5),
        today=AS_OF,
    )
    arrangement_approve(arrangement=arrangement, actor=lead, note="同意")
    arrangement_confirm(
        arrangement=arrangement,
        actor=collector,
        upload=SimpleUploadedFile("签字确认.pdf", PDF, content_type="application/pdf"),
    )
    arrangement.refresh_from_db()
    assert arrangement.state == ArrangementState.ACTIVE
    return arrangement


def cycle_until_broken(arrangement: Arrangement, clock: Clock) -> date:
    """Run the daily cycle day after day (nothing is paid) until it judges the arrangement
    broken; the date it did."""
    day = AS_OF
    while arrangement.state != ArrangementState.BROKEN:
        day += timedelta(days=1)
        assert day < AS_OF + timedelta(days=30), "the arrangement never broke"
        clock.set(beijing(day, 1, 30))
        run_cycle(day)
        arrangement.refresh_from_db()
    assert arrangement.closed_on == day
    return day


def reviews(case: CollectionCase, as_of: date) -> set[tuple[str, str, str, str]]:
    return set(
        PlannedAction.objects.filter(as_of=as_of, case=case, reason="arrangement_broken")
        .values_list("segment", "step", "channel", "queue__code")
        .distinct()
    )


@pytest.mark.parametrize(
    ("days_late", "expected"),
    [
        # M1: the broken-arrangement segment; its team lead reviews on the day.
        (
            8,
            (
                "broken_arrangement",
                "arrangement_broken_review",
                "review_team_lead",
                "team_lead_review",
            ),
        ),
        # M3+: the late segment wins; a broken arrangement there is a legal referral review.
        (70, ("legal", "late_arrangement_broken", "review_legal", "legal_review")),
    ],
)
def test_a_broken_arrangement_is_reviewed_on_the_day_it_breaks_and_only_then(
    champion_only: LoadResult, clock: Clock, days_late: int, expected: tuple[str, ...]
) -> None:
    loan: Loan = late_loan(days_late=days_late)
    clock.set(beijing(AS_OF, 1, 30))
    run_cycle()
    case = open_case(loan)
    collector = make_user("collector.a", Role.COLLECTOR)
    team = staff_team("一组", ALL_QUEUES, [collector])
    staff_team("法务组", ["legal_review"], [make_user("legal.a", Role.LEGAL)])
    lead = make_user("lead.a", Role.TEAM_LEAD, lead_of=team)
    arrangement = active_arrangement(case, collector, lead)

    broke_on = cycle_until_broken(arrangement, clock)
    for day in (broke_on - timedelta(days=1), broke_on, broke_on + timedelta(days=1)):
        if day > AS_OF:
            clock.set(beijing(day, 1, 30))
            run_cycle(day)
        clock.set(beijing(day, 2, 30))
        plan_run(as_of=day)

    assert reviews(case, broke_on) == {expected}
    assert reviews(case, broke_on - timedelta(days=1)) == set()
    assert reviews(case, broke_on + timedelta(days=1)) == set()
