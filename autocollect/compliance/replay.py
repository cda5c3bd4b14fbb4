"""Replaying the contact history against the gate, after the fact (compliance QA).

Every recorded contact (``Interaction``) is decided again by the single gate
(``autocollect.engine.gate.decide``) with everything that had happened to the borrower strictly
before it, across all their cases: earlier contacts, holds placed and released, opt-outs,
consented hours, lost-contact flags. A contact the gate would have refused at its moment is a
violation.

The gate at planning time and at send time decides on a window of recent history
(``services.case_events``); the replay reads the whole history, one borrower at a time, so it is
an independent check of both. ``autocollect compliance replay`` runs it from the command line;
the 90-day simulation tests run it on everything the simulation wrote.

Two facts have no date of their own and are read as they are now: an opt-out counts from the
beginning, and a collector's authorisation is their current one. A replay after an opt-out or
a withdrawn authorisation can therefore report earlier, lawful contacts; the report says which
rule fired, so such cases are recognisable (docs/compliance.md).
"""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from autocollect.cases.models import CaseFlag, CollectionCase, FlagKind, Interaction
from autocollect.compliance.models import ContactConsent, ContactHold
from autocollect.compliance.services import (
    GATE_OUTCOME,
    HUMAN_CHANNELS,
    gate_errors,
    policy_for_case,
)
from autocollect.engine.gate import Check, Event, decide
from autocollect.portfolio.models import ContactPoint

BEGINNING = datetime(2000, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Violation:
    interaction_id: int
    case_id: int
    at: datetime
    channel: str
    rules: tuple[str, ...]
    reasons: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ReplayReport:
    contacts: int
    violations: list[Violation]


def _borrower_events(borrower_id: int, cases: list[int]) -> list[Event]:
    events: list[Event] = []
    # Numbers compared by blind index: the gate needs their equality only (docs/privacy.md).
    for at, channel, party, number, outcome in Interaction.objects.filter(
        case_id__in=cases
    ).values_list("at", "channel", "party", "number_index", "outcome"):
        events.append(
            Event(
                at=at,
                type="contact",
                channel=channel,
                party=party,
                number=number,
                outcome=GATE_OUTCOME.get(outcome, outcome),
            )
        )
    for hold in ContactHold.objects.filter(case_id__in=cases):
        events.append(Event(at=hold.placed_at, type="hold", reason=hold.reason))
        if hold.released_at:
            events.append(Event(at=hold.released_at, type="release", reason=hold.reason))
    for channels in ContactPoint.objects.filter(borrower_id=borrower_id).values_list(
        "opted_out_channels", flat=True
    ):
        events += [Event(at=BEGINNING, type="opt_out", channel=c) for c in channels or []]
    for consent in ContactConsent.objects.filter(borrower_id=borrower_id):
        events.append(
            Event(
                at=consent.recorded_at, type="consent_hours", start=consent.start, end=consent.end
            )
        )
    for set_at in CaseFlag.objects.filter(
        case_id__in=cases, kind=FlagKind.LOST_CONTACT
    ).values_list("set_at", flat=True):
        events.append(Event(at=set_at, type="unreachable"))
    events.sort(key=lambda e: e.at)
    return events


def _borrowers(since: datetime | None) -> Iterator[tuple[int, list[int]]]:
    """Borrowers with a contact (since ``since``), with all their cases."""
    contacted = Interaction.objects.all()
    if since is not None:
        contacted = contacted.filter(at__gte=since)
    borrower_ids = (
        CollectionCase.objects.filter(pk__in=contacted.values("case_id"))
        .values_list("loan__borrower_id", flat=True)
        .distinct()
        .order_by("loan__borrower_id")
    )
    for borrower_id in borrower_ids:
        cases = list(
            CollectionCase.objects.filter(loan__borrower_id=borrower_id).values_list(
                "id", flat=True
            )
        )
        yield borrower_id, cases


def replay_history(*, since: datetime | None = None) -> ReplayReport:
    """Decide every contact (since ``since``, with all history before it) again."""
    contacts = 0
    violations: list[Violation] = []
    for borrower_id, cases in _borrowers(since):
        with gate_errors():
            events = _borrower_events(borrower_id, cases)
        moments = [e.at for e in events]
        judged = (
            Interaction.objects.filter(case_id__in=cases)
            .select_related("case__loan__product", "agent")
            .defer("number")
        )
        if since is not None:
            judged = judged.filter(at__gte=since)
        for interaction in judged.order_by("at", "id"):
            contacts += 1
            before = events[: bisect_left(moments, interaction.at)]
            agent = interaction.agent
            machine = interaction.channel not in HUMAN_CHANNELS
            authorised = agent.may_collect if agent is not None else machine
            case = interaction.case
            with gate_errors():
                decision = decide(
                    policy_for_case(case),
                    Check(
                        at=interaction.at,
                        channel=interaction.channel,
                        party=interaction.party,
                        number=interaction.number_index,
                        agent_authorised=authorised,
                    ),
                    before,
                    timezone=ZoneInfo(case.loan.timezone),
                )
            if not decision.allowed:
                violations.append(
                    Violation(
                        interaction_id=interaction.pk,
                        case_id=case.pk,
                        at=interaction.at,
                        channel=interaction.channel,
                        rules=tuple(decision.rules),
                        reasons=tuple(r.zh for r in decision.reasons),
                    )
                )
    return ReplayReport(contacts=contacts, violations=violations)


def group_by_rule(violations: list[Violation]) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for violation in violations:
        for rule in violation.rules:
            counts[rule] += 1
    return dict(sorted(counts.items()))
