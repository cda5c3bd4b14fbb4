"""The demo team's casework besides its calls, for the days ``autocollect demo`` simulates
(``demo.simulation.Casework``): legal referrals and what legal does with them, repayment
arrangements, hardship claims.

Everything goes through the apps' public services with the demo users as actors — lead1
refers, approves, verifies and decides; legal1 works the referrals; risk1 approves above the
lead's limits; the case's collector proposes, files and uploads — so every rule is checked and
every step audited as if a person had clicked it. On a call: ``arrangements.propose_on_call``
and ``hardship.file_on_call``. Back-office work on working days, inside the contact hours:

=====  ========================================================================================
08:30  every day, the scheduled jobs: legal deadline check, lapse of overdue hardship claims
10:xx  collectors: hardship documents that came, signed confirmations (or withdrawals), plans
       after hardship decisions
11:xx  lead1 verifies the uploaded documents
14:xx  legal1 moves the open referrals on
15:xx  risk1 decides the proposals above the lead's limits
16:xx  lead1 decides the proposals, the ready hardship claims, and the legal-review queue
=====  ========================================================================================

Every draw comes from the generator the simulation hands over, in time order, so a seed gives
the same casework on every run.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, datetime

from autocollect.accounts.models import User
from autocollect.cases.models import CollectionCase
from autocollect.core.calendar import is_workday
from autocollect.demo.casework import arrangements, hardship, legal
from autocollect.demo.casework.desk import Desk
from autocollect.demo.simulation import DayFigures, local_moment
from autocollect.hardship.services import claims_lapse_overdue
from autocollect.legal.services.deadlines import deadline_scan

LEAD_USERNAME = "lead1"
LEGAL_USERNAME = "legal1"
RISK_USERNAME = "risk1"


class DemoCasework:
    """``demo.simulation.Casework`` for the demo users (see the module docstring)."""

    def __init__(self, desk: Desk) -> None:
        self.desk = desk

    @classmethod
    def for_demo_users(cls) -> DemoCasework | None:
        """The casework of the demo users, or None when lead1 or legal1 is missing."""
        users = {
            u.username: u
            for u in User.objects.filter(
                username__in=[LEAD_USERNAME, LEGAL_USERNAME, RISK_USERNAME], is_active=True
            )
        }
        lead, legal_user = users.get(LEAD_USERNAME), users.get(LEGAL_USERNAME)
        if lead is None or legal_user is None:
            return None
        return cls(Desk(lead=lead, legal=legal_user, risk=users.get(RISK_USERNAME)))

    def day_events(
        self, day: date, rng: random.Random, today: DayFigures
    ) -> list[tuple[datetime, Callable[[], None]]]:
        desk = self.desk
        events: list[tuple[datetime, Callable[[], None]]] = [
            (local_moment(day, 8, 30), lambda: _morning_checks(day, today))
        ]
        if not is_workday(day):
            return events

        def paperwork() -> None:
            hardship.upload_documents(desk, day, rng, today)
            arrangements.collect_signatures(desk, day, rng, today)
            hardship.propose_after_claims(desk, rng, today)

        def lead_afternoon() -> None:
            arrangements.decide(desk.lead, "team_lead", arrangements.LEAD_APPROVES, rng, today)
            hardship.decide_claims(desk, day, rng, today)
            legal.refer_from_review(desk, day, rng, today)

        def risk_afternoon() -> None:
            if desk.risk is not None:
                arrangements.decide(desk.risk, "risk", arrangements.RISK_APPROVES, rng, today)

        return [
            *events,
            (local_moment(day, 10, rng.randrange(60)), paperwork),
            (
                local_moment(day, 11, rng.randrange(60)),
                lambda: hardship.verify_documents(desk, day, rng, today),
            ),
            (
                local_moment(day, 14, rng.randrange(60)),
                lambda: legal.work_referrals(desk, day, rng, today),
            ),
            (local_moment(day, 15, rng.randrange(60)), risk_afternoon),
            (local_moment(day, 16, rng.randrange(60)), lead_afternoon),
        ]

    def answered(
        self,
        *,
        case: CollectionCase,
        agent: User,
        promising: bool,
        rng: random.Random,
        today: DayFigures,
    ) -> bool:
        if promising:
            return rng.random() < arrangements.SHARE and arrangements.propose_on_call(
                self.desk, case, agent, rng, today
            )
        return rng.random() < hardship.SHARE and hardship.file_on_call(
            self.desk, case, agent, rng, today
        )


def _morning_checks(day: date, today: DayFigures) -> None:
    """What the scheduled jobs do each morning: the legal deadline check (Huey
    ``legal_deadlines_daily``, 08:30 Beijing) and the lapse of hardship claims whose documents
    are overdue (``hardship_overdue --lapse``)."""
    report = deadline_scan(as_of=day)
    if report.newly_alerted:
        today.casework["legal.deadline_overdue"] += len(report.newly_alerted)
    lapsed = claims_lapse_overdue(as_of=day)
    if lapsed:
        today.casework["hardship.lapsed"] += len(lapsed)
