"""A team (lead, two collectors), a second team, and an open case of the first collector with
the borrower's mobile, an emergency contact and a guarantor."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from autocollect.accounts.models import Team, User
from autocollect.accounts.roles import Role
from autocollect.cases.models import CollectionCase
from autocollect.delinquency.models import LoanDelinquency
from autocollect.portfolio.migrations import DEFAULT_PRODUCT
from autocollect.portfolio.models import ContactOwner, ContactPoint, Product
from autocollect.strategy.models import ActionStatus, PlannedAction, Strategy, StrategyVersion
from tests.factories import make_borrower, make_contact, make_loan, make_user

SHANGHAI = ZoneInfo("Asia/Shanghai")


def shanghai(day: datetime, hour: int, minute: int = 0) -> datetime:
    """``day``'s date at hour:minute on the Shanghai wall clock."""
    local = day.astimezone(SHANGHAI)
    return local.replace(hour=hour, minute=minute, second=0, microsecond=0)


@dataclass
class World:
    team: Team
    lead: User
    collector: User
    colleague: User
    outsider: User
    case: CollectionCase
    mobile: ContactPoint
    emergency: ContactPoint
    guarantor: ContactPoint

    @property
    def morning(self) -> datetime:
        """10:00 today on the debtor's clock: inside the contact window."""
        return shanghai(timezone.now(), 10)


def default_product() -> Product:
    """The product the migrations create; made again after a transactional test's flush."""
    product = Product.objects.filter(is_default=True).first()
    return product or Product.objects.create(**DEFAULT_PRODUCT)


def make_case(
    agent: User | None, *, team: Team | None = None, name: str = "李强"
) -> CollectionCase:
    today = timezone.localdate()
    loan = make_loan(
        borrower=make_borrower(name=name),
        product=default_product(),
        first_due_on=today - timedelta(days=40),
        with_vehicle=True,
    )
    overdue = list(loan.installments.filter(due_on__lt=today).order_by("seq"))
    principal = sum(i.principal_fen for i in overdue)
    interest = sum(i.interest_fen for i in overdue)
    dpd = (today - overdue[0].due_on).days
    LoanDelinquency.objects.create(
        loan=loan,
        as_of=today,
        dpd=dpd,
        bucket=f"M{min((dpd - 1) // 30 + 1, 7)}",
        oldest_due_on=overdue[0].due_on,
        overdue_principal_fen=principal,
        overdue_interest_fen=interest,
        overdue_penalty_fen=0,
        overdue_total_fen=principal + interest,
        penalty_today_fen=0,
        movement="stayed",
    )
    return CollectionCase.objects.create(
        loan=loan,
        opened_on=today - timedelta(days=37),
        opened_dpd=4,
        opened_bucket="M1",
        assigned_agent=agent,
        assigned_team=team,
    )


@pytest.fixture
def world(db: None) -> World:
    return build_world()


def build_world() -> World:
    team = Team.objects.create(name="早期组")
    other = Team.objects.create(name="后期组")
    lead = make_user("lead", Role.TEAM_LEAD, lead_of=team)
    collector = make_user("zhang", team=team)
    colleague = make_user("wang", team=team)
    outsider = make_user("zhao", team=other)
    case = make_case(collector, team=team)
    borrower = case.loan.borrower
    mobile = make_contact(borrower, value="+8613812345678")
    emergency = make_contact(
        borrower,
        value="+8613900001111",
        owner=ContactOwner.EMERGENCY,
        owner_name="李梅",
        relationship="配偶",
    )
    guarantor = make_contact(
        borrower, value="+8613700002222", owner=ContactOwner.GUARANTOR, owner_name="李军"
    )
    return World(
        team=team,
        lead=lead,
        collector=collector,
        colleague=colleague,
        outsider=outsider,
        case=case,
        mobile=mobile,
        emergency=emergency,
        guarantor=guarantor,
    )


def make_planned(
    case: CollectionCase,
    agent: User | None,
    *,
    as_of: date | None = None,
    priority: int = 60,
    step: str = "call_d5",
    status: str = ActionStatus.QUEUED,
) -> PlannedAction:
    """One agent call of the day's plan (what the planner writes), for ``agent``."""
    day = as_of or timezone.localdate()
    strategy, _ = Strategy.objects.get_or_create(code="wb-test", defaults={"name": "测试策略"})
    version, _ = StrategyVersion.objects.get_or_create(
        strategy=strategy, version=1, defaults={"definition": {}, "created_by": "tests"}
    )
    at = datetime.combine(day, time(10, 0), tzinfo=SHANGHAI)
    return PlannedAction.objects.create(
        as_of=day,
        case=case,
        borrower_id=case.loan.borrower_id,
        version=version,
        arm="champion",
        segment="early",
        step=step,
        reason="day",
        channel="call",
        priority=priority,
        status=status,
        local_time=time(10, 0),
        planned_at=at,
        scheduled_at=at,
        valid_until=day,
        agent=agent,
        minutes=6,
    )
