"""Thirty simulated days of the default strategy over a small book, the cycle run each night,
the plan each morning, the outbox sent at its planned moments and the agents working their
queues; then every contact in the history is checked again, after the fact, against the
single contact gate (``compliance.gate.decide``) with everything that had happened before it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from autocollect.accounts.models import User
from autocollect.cases.models import (
    CaseFlag,
    CollectionCase,
    Interaction,
    Promise,
)
from autocollect.channels.models import OutboxMessage
from autocollect.channels.outbox import outbox_dispatch
from autocollect.compliance.gate import Check, Event, decide
from autocollect.compliance.models import ContactConsent, ContactHold
from autocollect.compliance.services import (
    HUMAN_CHANNELS,
    hold_place,
    hold_release,
    policy_for_case,
)
from autocollect.delinquency.services import cycle_run
from autocollect.portfolio.models import ContactPoint, Loan
from autocollect.strategy.models import ActionStatus, PlannedAction, WorkQueue
from autocollect.strategy.services import LoadResult, plan_run
from tests.factories import make_payment
from tests.strategy.conftest import Clock, beijing, late_loan, make_agent, staff_team

START = date(2026, 3, 2)
DAYS = 30
BEGINNING = datetime(2000, 1, 1, tzinfo=UTC)
# Outbox results as the gate counts them (docs/strategy.md, "The gate's history"): a message
# delivered or a robot call put through reached the borrower; a failed send was an attempt.
GATE_OUTCOME = {"sent": "answered", "delivered": "answered", "failed": "no_answer"}


def history_before(case: CollectionCase, at: datetime, *, leave_out: int) -> list[Event]:
    """The gate's history of the case's borrower strictly before ``at`` (all their cases), as
    ``compliance.services.case_events`` gathers it, without the contact being judged."""
    borrower = case.loan.borrower_id
    cases = list(
        CollectionCase.objects.filter(loan__borrower_id=borrower).values_list("id", flat=True)
    )
    events: list[Event] = []
    for row in Interaction.objects.filter(case_id__in=cases, at__lt=at).exclude(pk=leave_out):
        events.append(
            Event(
                at=row.at,
                type="contact",
                channel=row.channel,
                party=row.party,
                number=row.number,
                outcome=GATE_OUTCOME.get(row.outcome, row.outcome),
            )
        )
    for hold in ContactHold.objects.filter(case_id__in=cases, placed_at__lt=at):
        events.append(Event(at=hold.placed_at, type="hold", reason=hold.reason))
        if hold.released_at and hold.released_at < at:
            events.append(Event(at=hold.released_at, type="release", reason=hold.reason))
    for channels in ContactPoint.objects.filter(borrower_id=borrower).values_list(
        "opted_out_channels", flat=True
    ):
        events += [Event(at=BEGINNING, type="opt_out", channel=c) for c in channels or []]
    for consent in ContactConsent.objects.filter(borrower_id=borrower, recorded_at__lt=at):
        events.append(
            Event(
                at=consent.recorded_at, type="consent_hours", start=consent.start, end=consent.end
            )
        )
    for flag in CaseFlag.objects.filter(case_id__in=cases, kind="lost_contact", set_at__lt=at):
        events.append(Event(at=flag.set_at, type="unreachable"))
    return sorted(events, key=lambda e: e.at)


def gate_allows(case: CollectionCase, interaction: Interaction) -> tuple[bool, tuple[str, ...]]:
    agent = interaction.agent
    authorised = agent.may_collect if agent else interaction.channel not in HUMAN_CHANNELS
    decision = decide(
        policy_for_case(case),
        Check(
            at=interaction.at,
            channel=interaction.channel,
            party=interaction.party,
            number=interaction.number,
            agent_authorised=authorised,
        ),
        history_before(case, interaction.at, leave_out=interaction.pk),
        timezone=ZoneInfo(case.loan.timezone),
    )
    return decision.allowed, decision.rules


@dataclass
class Book:
    loans: list[Loan]
    opted_out: Loan
    held: Loan
    lost: Loan
    payers: dict[date, Loan]


def build_book() -> Book:
    # First installments due from 6 days before the start to 12 days after: cases open on
    # many different days of the month, plus one loan already in M3.
    loans = [
        late_loan(days_late=6 - 2 * k, as_of=START, name=f"借款人{k}", email=k % 3 != 0)
        for k in range(10)
    ]
    loans.append(late_loan(days_late=75, as_of=START, name="老账户"))
    ContactPoint.objects.filter(borrower=loans[1].borrower, kind="mobile").update(
        opted_out_channels=["sms"]
    )
    return Book(
        loans=loans,
        opted_out=loans[1],
        held=loans[0],
        lost=loans[2],
        payers={START + timedelta(days=9): loans[3], START + timedelta(days=19): loans[4]},
    )


def pay_everything_due(loan: Loan, day: date) -> None:
    owed = sum(i.outstanding_fen for i in loan.installments.filter(due_on__lt=day))
    if owed > 0:
        make_payment(loan, amount_fen=owed, paid_on=day)


def work_the_queues(day: date, clock: Clock, rng: random.Random, agents: list[User]) -> None:
    """Each agent calls their queued items in order from 09:00, checked by the gate first (a
    call the gate refuses is not made)."""
    for agent in agents:
        at = beijing(day, 9)
        items = PlannedAction.objects.filter(
            as_of=day, agent=agent, status=ActionStatus.QUEUED, channel="call"
        ).order_by("queue_rank")
        for item in items.select_related("case__loan"):
            at = max(at, item.scheduled_at or at)
            clock.set(at)
            case = item.case
            number = (
                ContactPoint.objects.filter(borrower_id=case.loan.borrower_id, kind="mobile")
                .values_list("value", flat=True)
                .first()
            )
            outcome = rng.choice(["no_answer"] * 6 + ["answered"] * 3 + ["refused"])
            call = Interaction(
                case=case,
                at=at,
                channel="call",
                party="borrower",
                number=number or "",
                outcome=outcome,
                agent=agent,
            )
            allowed, _ = gate_allows(case, call)
            if not allowed:
                continue
            call.save()
            if outcome == "answered" and rng.random() < 0.5:
                Promise.objects.create(
                    case=case,
                    loan=case.loan,
                    promised_on=day,
                    due_on=day + timedelta(days=3),
                    amount_fen=50_000,
                    created_by=agent.username,
                )
            at += timedelta(minutes=item.minutes)


def send_due_messages(day: date, clock: Clock) -> None:
    end = beijing(day + timedelta(days=1), 0)
    due = OutboxMessage.objects.filter(status="pending", next_attempt_at__lt=end).order_by(
        "next_attempt_at", "id"
    )
    for message_id, at in list(due.values_list("id", "next_attempt_at")):
        clock.set(at)
        outbox_dispatch(message_id)


def test_thirty_days_of_the_default_strategy_break_no_contact_rule(
    champion_only: LoadResult, clock: Clock, settings: Any, tmp_path: Path
) -> None:
    channels = dict(settings.AUTOCOLLECT["CHANNELS"])
    # Texts and e-mails go to the fake provider; speech and letters are really produced.
    channels["ADAPTERS"] = {k: v for k, v in channels["ADAPTERS"].items() if k in ("sms", "email")}
    channels["MEDIA_DIR"] = str(tmp_path / "media")
    settings.AUTOCOLLECT = {**settings.AUTOCOLLECT, "CHANNELS": channels}

    clock.set(beijing(START, 0, 5))
    book = build_book()
    agents = [make_agent("agent1"), make_agent("agent2")]
    lead = make_agent("lead", authorised=False)
    team = staff_team("催收一组", [], [*agents, lead], minutes=60)
    WorkQueue.objects.update(team=team)
    rng = random.Random(20260302)
    for offset in range(DAYS):
        day = START + timedelta(days=offset)
        clock.set(beijing(day, 1, 30))
        cycle_run(as_of=day)
        clock.set(beijing(day, 2, 30))
        plan_run(as_of=day)
        send_due_messages(day, clock)
        work_the_queues(day, clock, rng, agents)
        clock.set(beijing(day, 20))
        if offset == 4:
            hold_place(
                case=book.held.cases.get(status="open"), reason="complaint", actor="qa", note="投诉"
            )
        if offset == 11:
            hold = ContactHold.objects.get(case__loan=book.held, released_at__isnull=True)
            hold_release(hold=hold, actor="qa", note="已处理")
        if offset == 7:
            CaseFlag.objects.create(
                case=book.lost.cases.get(status="open"),
                kind="lost_contact",
                set_at=clock.now(),
                set_by="agent1",
            )
        if day in book.payers:
            pay_everything_due(book.payers[day], day)

    violations = []
    contacts = Interaction.objects.select_related("case__loan", "agent").order_by("at", "id")
    for interaction in contacts:
        allowed, rules = gate_allows(interaction.case, interaction)
        if not allowed:
            violations.append((interaction.pk, interaction.channel, interaction.at, rules))
    assert violations == []

    sent = OutboxMessage.objects.exclude(status="pending")
    assert {"sms", "email", "robot_call", "letter"} <= set(sent.values_list("channel", flat=True))
    media = tmp_path / "media"
    voices = [m.artifact for m in sent.filter(channel="robot_call")]
    letters = [m.artifact for m in sent.filter(channel="letter")]
    assert voices
    assert all(a.endswith(".wav") and (media / a).stat().st_size > 44 for a in voices)
    assert letters
    assert all((media / a).read_bytes().startswith(b"%PDF") for a in letters)
    assert Interaction.objects.filter(agent__isnull=False).exists()
    assert PlannedAction.objects.filter(status=ActionStatus.QUEUED, channel="call").exists()
    assert PlannedAction.objects.filter(channel="review_legal", status=ActionStatus.QUEUED).exists()
    # The gate held back what it had to: the opted-out texts, the complaint hold.
    assert not OutboxMessage.objects.filter(case__loan=book.opted_out, channel="sms").exists()
    rules_of = {
        loan.pk: {
            rule
            for rules in PlannedAction.objects.filter(case__loan=loan).values_list(
                "gate_rules", flat=True
            )
            for rule in rules
        }
        for loan in (book.opted_out, book.held)
    }
    assert "cn.opt_out" in rules_of[book.opted_out.pk]
    assert "cn.hold.complaint" in rules_of[book.held.pk]
    # Cases opened, cured and followed their paths; every contact happened in the window.
    assert CollectionCase.objects.filter(status="closed", close_reason="cured").count() >= 2
    for interaction in contacts:
        local = interaction.at.astimezone(ZoneInfo("Asia/Shanghai"))
        if interaction.channel != "letter":
            assert 8 <= local.hour < 22, interaction
