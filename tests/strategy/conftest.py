"""Fixtures for the strategy tests: templates, the default strategy, a team, a small book."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from autocollect.accounts.models import Team, User, WorkQueue
from autocollect.cases.models import CollectionCase
from autocollect.channels.services import template_load_defaults
from autocollect.delinquency.services import cycle_run
from autocollect.portfolio.models import ContactKind, Loan
from autocollect.strategy.services import LoadResult, strategy_load_file
from tests.factories import make_borrower, make_contact, make_loan
from tests.strategy import fakes

AS_OF = date(2026, 3, 16)
BEIJING = ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def fake_providers(settings: Any) -> Iterator[list[Any]]:
    """Every channel goes to the fake provider (the boundary); nothing leaves the machine."""
    autocollect = dict(settings.AUTOCOLLECT)
    channels = dict(autocollect.get("CHANNELS") or {})
    channels["ADAPTERS"] = {
        name: f"tests.strategy.fakes.{name}" for name in ("sms", "email", "robot_call", "letter")
    }
    autocollect["CHANNELS"] = channels
    settings.AUTOCOLLECT = autocollect
    fakes.SENT.clear()
    yield fakes.SENT
    fakes.SENT.clear()


@pytest.fixture
def default_strategy(db: None) -> LoadResult:
    template_load_defaults(actor="tests")
    return strategy_load_file(actor="tests")


def make_agent(username: str, *, authorised: bool = True) -> User:
    return User.objects.create_user(
        username=username,
        password="x",
        collection_certified=authorised,
        collection_authorised=authorised,
    )


def staff_team(name: str, queues: list[str], agents: list[User], minutes: int = 360) -> Team:
    team = Team.objects.create(name=name, minutes_per_agent=minutes)
    team.agents.set(agents)
    WorkQueue.objects.filter(code__in=queues).update(team=team)
    return team


def late_loan(
    *,
    days_late: int,
    as_of: date = AS_OF,
    name: str = "张伟",
    email: bool = True,
    address: bool = True,
    mobile: bool = True,
    **fields: Any,
) -> Loan:
    """A loan whose first installment fell due ``days_late`` days before ``as_of``, unpaid,
    with a valid mobile (and e-mail and address) of the borrower."""
    borrower = make_borrower(name=name)
    if mobile:
        make_contact(borrower)
    if email:
        make_contact(borrower, kind=ContactKind.EMAIL, value=f"b{borrower.pk}@example.cn")
    if address:
        make_contact(
            borrower, kind=ContactKind.ADDRESS, value=f"广东省深圳市南山区科技路{borrower.pk}号"
        )
    return make_loan(
        borrower=borrower,
        first_due_on=as_of - timedelta(days=days_late),
        term=12,
        **fields,
    )


def run_cycle(as_of: date = AS_OF) -> None:
    cycle_run(as_of=as_of, force=True)


def open_case(loan: Loan) -> CollectionCase:
    return CollectionCase.objects.get(loan=loan, status="open")


def set_case_day(loan: Loan, day: int, as_of: date = AS_OF) -> CollectionCase:
    """Make the loan's open case be on case day ``day`` on ``as_of`` (1: opened that day)."""
    case = open_case(loan)
    case.opened_on = as_of - timedelta(days=day - 1)
    case.save(update_fields=["opened_on"])
    return case


@pytest.fixture
def champion_only(default_strategy: LoadResult) -> LoadResult:
    """The default strategy without its challenger: every case follows the champion."""
    from autocollect.strategy.services import strategy_challenger_set

    strategy_challenger_set(
        strategy=default_strategy.strategy,
        version=None,
        share_bp=0,
        actor="tests",
        reason="champion only",
    )
    default_strategy.strategy.refresh_from_db()
    return default_strategy


def beijing(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=BEIJING).astimezone(UTC)


class Clock:
    """The time everything in the process reads (``django.utils.timezone.now``)."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def set(self, at: datetime) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """A controlled clock, starting on the plan date at 02:30 in Beijing."""
    controlled = Clock(beijing(AS_OF, 2, 30))
    monkeypatch.setattr("django.utils.timezone.now", controlled.now)
    return controlled
