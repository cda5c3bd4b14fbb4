"""``replay_history`` / ``autocollect compliance replay``: every recorded contact decided again
with the whole history before it. Lawful histories pass; each kind of unlawful contact written
past the gate is found and named."""

from __future__ import annotations

import io
import json
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command

from autocollect.accounts.models import User
from autocollect.cases.models import CollectionCase, Interaction
from autocollect.compliance.models import ContactHold
from autocollect.compliance.replay import replay_history
from tests.factories import make_borrower, make_contact, make_loan

NUMBER = "+8613800138000"
DAY = date(2026, 3, 10)


def beijing(hour: int, minute: int = 0, day: date = DAY) -> datetime:
    local = datetime(day.year, day.month, day.day, hour, minute, tzinfo=ZoneInfo("Asia/Shanghai"))
    return local.astimezone(UTC)


@pytest.fixture
def case(db: None) -> CollectionCase:
    borrower = make_borrower()
    make_contact(borrower, value=NUMBER)
    loan = make_loan(borrower=borrower, first_due_on=date(2026, 2, 1))
    return CollectionCase.objects.create(
        loan=loan, opened_on=date(2026, 2, 5), opened_dpd=4, opened_bucket="M1"
    )


@pytest.fixture
def agent(db: None) -> User:
    return User.objects.create_user(
        username="agent", password="x", collection_certified=True, collection_authorised=True
    )


def contact(case: CollectionCase, at: datetime, agent: User | None, **fields: str) -> Interaction:
    """Written straight to the table: past the gate, as a bug or a manual edit would."""
    values = {"channel": "call", "party": "borrower", "number": NUMBER, "outcome": "no_answer"}
    values.update(fields)
    return Interaction.objects.create(case=case, at=at, agent=agent, **values)


def test_a_lawful_day_of_contacts_has_no_violation(case: CollectionCase, agent: User) -> None:
    contact(case, beijing(9), agent)
    contact(case, beijing(14), agent)
    contact(case, beijing(10), None, channel="sms", outcome="delivered")

    report = replay_history()

    assert report.contacts == 3
    assert report.violations == []


def test_a_call_at_22_30_is_a_violation_of_the_window(case: CollectionCase, agent: User) -> None:
    late = contact(case, beijing(22, 30), agent)

    report = replay_history()

    assert [(v.interaction_id, v.rules) for v in report.violations] == [(late.pk, ("cn.window",))]


def test_too_many_calls_in_a_day_and_a_call_during_a_hold_are_found(
    case: CollectionCase, agent: User
) -> None:
    for hour in (9, 10, 11):
        contact(case, beijing(hour), agent, outcome="answered")
    fourth = contact(case, beijing(12), agent, outcome="answered")
    next_day = date(2026, 3, 11)
    ContactHold.objects.create(
        case=case, reason="complaint", placed_at=beijing(8, day=next_day), placed_by="qa"
    )
    held = contact(case, beijing(9, day=next_day), agent)

    found = {v.interaction_id: v.rules for v in replay_history().violations}

    assert "cn.calls.answered_daily" in found[fourth.pk]
    assert "cn.hold.complaint" in found[held.pk]
    assert len(found) == 2


def test_a_call_by_an_unauthorised_user_is_a_violation(case: CollectionCase) -> None:
    intern = User.objects.create_user(username="intern", password="x")
    call = contact(case, beijing(10), intern)

    (violation,) = replay_history().violations

    assert violation.interaction_id == call.pk
    assert "cn.agent.authorised" in violation.rules


def test_the_command_exits_1_and_lists_violations(case: CollectionCase, agent: User) -> None:
    contact(case, beijing(9), agent)
    late = contact(case, beijing(23), agent)
    out = io.StringIO()

    with pytest.raises(SystemExit) as exited:
        call_command("compliance", "replay", "--json", stdout=out)

    assert exited.value.code == 1
    data = json.loads(out.getvalue())
    assert data["contacts"] == 2
    assert [v["interaction"] for v in data["violations"]] == [late.pk]
    assert data["violations"][0]["rules"] == ["cn.window"]


def test_the_command_exits_0_on_a_clean_history(case: CollectionCase, agent: User) -> None:
    contact(case, beijing(9), agent)
    out = io.StringIO()
    call_command("compliance", "replay", stdout=out)
    assert "1 contacts replayed: no violation" in out.getvalue()
