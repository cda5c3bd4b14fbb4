"""Ninety simulated days of the default strategy over a small book, through the product's own
simulator (``demo.simulation.simulate``: the cycle each night, the plan each morning, the
outbox sent at its planned moments through the gate at send time, the agents working their
queues through ``contact_record``), with payments, a complaint hold and a lost-contact flag
arriving from outside; then every contact in the history is decided again, after the fact, by
the single gate with the whole history before it (``compliance.replay.replay_history``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from autocollect.accounts.models import WorkQueue
from autocollect.cases.models import CaseFlag, CollectionCase, Interaction
from autocollect.channels.models import OutboxMessage
from autocollect.compliance.models import ContactHold
from autocollect.compliance.replay import replay_history
from autocollect.compliance.services import hold_place, hold_release
from autocollect.core.clock import SimulatedClock
from autocollect.demo.simulation import simulate
from autocollect.portfolio.models import ContactPoint, Loan
from autocollect.strategy.models import ActionStatus, PlannedAction
from autocollect.strategy.services import LoadResult
from tests.factories import make_payment
from tests.strategy.conftest import late_loan, make_agent, staff_team

START = date(2026, 3, 2)
DAYS = 90


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


def channels_to_files(settings: Any, media: Path, *, gate_at_send: bool = True) -> None:
    """Texts and e-mails to the fake provider; speech and letters really produced."""
    channels = dict(settings.AUTOCOLLECT["CHANNELS"])
    channels["ADAPTERS"] = {k: v for k, v in channels["ADAPTERS"].items() if k in ("sms", "email")}
    channels["MEDIA_DIR"] = str(media)
    channels["OUTBOX"] = {**(channels.get("OUTBOX") or {}), "GATE_AT_SEND": gate_at_send}
    settings.AUTOCOLLECT = {**settings.AUTOCOLLECT, "CHANNELS": channels}


def outside_events(book: Book) -> Any:
    """What happens to the book from outside, each evening: a complaint on day 5 (released on
    day 12), the borrower of ``lost`` unreachable from day 8, two borrowers paying up."""

    def after_day(day: date, clock: SimulatedClock) -> None:
        offset = (day - START).days
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

    return after_day


def staff(minutes: int = 60) -> None:
    agents = [make_agent("agent1"), make_agent("agent2")]
    lead = make_agent("lead", authorised=False)
    team = staff_team("催收一组", [], [*agents, lead], minutes=minutes)
    WorkQueue.objects.update(team=team)


@pytest.mark.slow
def test_ninety_days_of_the_default_strategy_break_no_contact_rule(
    champion_only: LoadResult, settings: Any, tmp_path: Path
) -> None:
    media = tmp_path / "media"
    channels_to_files(settings, media)
    book = build_book()
    staff()

    report = simulate(
        first=START,
        last=START + timedelta(days=DAYS - 1),
        seed=20260302,
        after_day=outside_events(book),
    )

    assert len(report.days) == DAYS
    replayed = replay_history()
    assert replayed.violations == []
    assert replayed.contacts == Interaction.objects.count() > 100

    sent = OutboxMessage.objects.exclude(status="pending")
    assert {"sms", "email", "robot_call", "letter"} <= set(sent.values_list("channel", flat=True))
    assert report.sent["sms"] > 0
    assert report.sent["letter"] > 0
    voices = [m.artifact for m in sent.filter(channel="robot_call")]
    letters = [m.artifact for m in sent.filter(channel="letter")]
    assert voices
    assert all(a.endswith(".wav") and (media / a).stat().st_size > 44 for a in voices)
    assert letters
    assert all((media / a).read_bytes().startswith(b"%PDF") for a in letters)
    # The agents called, and the gate refused nothing they were given (the plan is lawful);
    # some calls ended in promises that the cycle then judged.
    assert report.calls > 0
    assert Interaction.objects.filter(agent__isnull=False).count() == report.calls
    assert report.promises > 0
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
    for interaction in Interaction.objects.all():
        local = interaction.at.astimezone(ZoneInfo("Asia/Shanghai"))
        if interaction.channel != "letter":
            assert 8 <= local.hour < 22, interaction


@pytest.mark.slow
def test_with_the_gates_switched_off_the_replay_finds_the_violations(
    champion_only: LoadResult, settings: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The control: the same book with the planner's gate answering "allowed" to everything
    and no gate at send time. The replay must then find the texts to the opted-out number and
    the contacts during the complaint hold."""
    import polars as pl

    from autocollect.engine import frames, planning

    def allow_everything(actions: pl.DataFrame, events: pl.DataFrame, policy: Any) -> Any:
        rows = actions.filter(pl.col("number").is_not_null()).select("row")
        return rows.with_columns(
            pl.lit(True).alias("allowed"),
            pl.lit([], dtype=pl.List(pl.String)).alias("rules"),
            pl.lit(None).alias("next_allowed_at"),
        ).cast(pl.Schema(frames.GATE_ANSWERS))

    monkeypatch.setattr(planning, "gate", allow_everything)
    channels_to_files(settings, tmp_path / "media", gate_at_send=False)
    book = build_book()

    simulate(first=START, last=START + timedelta(days=14), after_day=outside_events(book))

    rules = {rule for v in replay_history().violations for rule in v.rules}
    assert "cn.opt_out" in rules
    assert "cn.hold.complaint" in rules
