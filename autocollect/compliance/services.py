"""The contact gate against the database: every real contact, by a person or a machine, asks
``contact_check`` first. It gathers the case's history (all the borrower's cases: the limits are
per debtor), holds, opt-outs, consented hours and lost-contact flags as gate events, lets the
pure gate decide (``autocollect.engine.gate.decide``), and records the decision
(``ContactDecision``). A check or an event the gate cannot judge is a ``GateError``.

``contact_check_many`` asks the same for several actions at one moment (the workbench's
indicator: every channel of every contact point of a case): the history and the policy are
loaded once and each action is decided by the same ``decide``. ``contact_check`` is the
one-action case of it, so both take one code path.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from autocollect.accounts.models import User
from autocollect.audit.services import audit_record
from autocollect.cases.models import (
    CaseFlag,
    CollectionCase,
    FlagKind,
    Interaction,
    InteractionOutcome,
    InteractionParty,
)
from autocollect.compliance.models import ContactConsent, ContactDecision, ContactHold, HoldReason
from autocollect.compliance.policy import load_policy
from autocollect.core import clock
from autocollect.core.crypto import contact_index
from autocollect.core.errors import ApplicationError
from autocollect.engine.gate import Check, Decision, Event, GateInputError, decide
from autocollect.engine.policy import Policy
from autocollect.portfolio.models import ContactPoint

# The longest look-back of any counting rule is seven days; a month leaves room for day
# boundaries in any zone. Permanent facts (refusals, wrong numbers, the last conversation with
# the borrower) are read whatever their age.
HISTORY_WINDOW = timedelta(days=31)
# Opt-outs carry no date of their own: they hold from the beginning.
BEGINNING = datetime(2000, 1, 1, tzinfo=UTC)
HUMAN_CHANNELS = {"call", "visit"}
# Machine sends record delivery outcomes; the gate counts reached / not reached. A message or
# robot call that went out counts as reaching the person (the stricter reading for the daily
# limits); a failed one as not reached.
GATE_OUTCOME = {
    InteractionOutcome.SENT.value: InteractionOutcome.ANSWERED.value,
    InteractionOutcome.DELIVERED.value: InteractionOutcome.ANSWERED.value,
    InteractionOutcome.FAILED.value: InteractionOutcome.NO_ANSWER.value,
}


class GateError(ApplicationError):
    """A check or an event the gate cannot judge (naive time, unknown channel, party, type)."""


@contextmanager
def gate_errors() -> Iterator[None]:
    """The engine's ``GateInputError`` as the ``GateError`` users and the API see (a 400
    naming the check or event, not a server error)."""
    try:
        yield
    except GateInputError as exc:
        raise GateError(str(exc)) from exc


def policy_for_case(case: CollectionCase) -> Policy:
    """The configured pack, with the lender's overrides for the loan's product and region."""
    name = str(getattr(settings, "AUTOCOLLECT", {}).get("CONTACT_POLICY", "cn"))
    loan = case.loan
    return load_policy(name).for_context(product=loan.product.code, region=loan.province)


def _interaction_events(cases: QuerySet[CollectionCase, Any], at: datetime) -> Iterable[Event]:
    recent = Q(at__gte=at - HISTORY_WINDOW, at__lte=at)
    permanent = Q(
        outcome__in=[InteractionOutcome.REFUSED, InteractionOutcome.WRONG_NUMBER], at__lte=at
    )
    # Numbers are compared by their blind index: the gate needs only their equality, so none
    # is decrypted here (docs/privacy.md).
    rows = Interaction.objects.filter(Q(case_id__in=cases) & (recent | permanent)).values_list(
        "at", "channel", "party", "number_index", "outcome"
    )
    last_answered = (
        Interaction.objects.filter(
            case_id__in=cases,
            party=InteractionParty.BORROWER,
            outcome=InteractionOutcome.ANSWERED,
            at__lt=at - HISTORY_WINDOW,
        )
        .order_by("-at")
        .values_list("at", "channel", "party", "number_index", "outcome")[:1]
    )
    for when, channel, party, number, outcome in [*rows, *last_answered]:
        yield Event(
            at=when,
            type="contact",
            channel=channel,
            party=party,
            number=number,
            outcome=GATE_OUTCOME.get(outcome, outcome),
        )


def case_events(case: CollectionCase, at: datetime) -> list[Event]:
    """Everything the gate needs to know about the borrower up to ``at``, as gate events. The
    contacts' numbers are blind indexes (``core.crypto.contact_index``), not numbers."""
    borrower_id = case.loan.borrower_id
    # The borrower's cases as a subquery of each read below, not a read of its own.
    cases = CollectionCase.objects.filter(loan__borrower_id=borrower_id).values("id")
    events: list[Event] = list(_interaction_events(cases, at))
    for hold in ContactHold.objects.filter(case_id__in=cases, placed_at__lte=at):
        events.append(Event(at=hold.placed_at, type="hold", reason=hold.reason))
        if hold.released_at and hold.released_at <= at:
            events.append(Event(at=hold.released_at, type="release", reason=hold.reason))
    for channels in ContactPoint.objects.filter(borrower_id=borrower_id).values_list(
        "opted_out_channels", flat=True
    ):
        for channel in channels or []:
            events.append(Event(at=BEGINNING, type="opt_out", channel=channel))
    for consent in ContactConsent.objects.filter(borrower_id=borrower_id, recorded_at__lte=at):
        events.append(
            Event(
                at=consent.recorded_at, type="consent_hours", start=consent.start, end=consent.end
            )
        )
    for flag in CaseFlag.objects.filter(
        case_id__in=cases, kind=FlagKind.LOST_CONTACT, set_at__lte=at
    ):
        events.append(Event(at=flag.set_at, type="unreachable"))
    events.sort(key=lambda e: e.at)
    return events


@dataclass(frozen=True, slots=True)
class ContactRequest:
    """One contact action to judge: ``channel`` to ``party`` on ``number`` (a phone number, an
    e-mail or a postal address, in clear; the gate compares blind indexes)."""

    channel: str
    party: str
    number: str


def contact_check(
    *,
    case: CollectionCase,
    channel: str,
    party: str,
    number: str,
    requested_by: str,
    at: datetime | None = None,
    agent: User | None = None,
    record: bool = True,
) -> Decision:
    """May this contact happen at ``at`` (default now)? Recorded unless ``record`` is false
    (e.g. the workbench's indicator, which only shows the answer)."""
    (decision,) = contact_check_many(
        case=case,
        actions=[ContactRequest(channel=channel, party=party, number=number)],
        requested_by=requested_by,
        at=at,
        agent=agent,
        record=record,
    )
    return decision


def contact_check_many(
    *,
    case: CollectionCase,
    actions: Sequence[ContactRequest],
    requested_by: str,
    at: datetime | None = None,
    agent: User | None = None,
    record: bool = True,
) -> list[Decision]:
    """``contact_check`` for several actions at the same moment: one decision per action, in
    order. The policy and the borrower's history (contacts, holds, opt-outs, consented hours,
    lost-contact flags) are read once, whatever the number of actions; each action is then
    decided by the same pure gate against the same events, so every answer equals the one
    ``contact_check`` gives for that action alone. Recorded unless ``record`` is false."""
    when = at or clock.now()
    policy = policy_for_case(case)
    with gate_errors():
        # Every check is built (and validated) before the database is read.
        checks = [_check(action, at=when, agent=agent) for action in actions]
        if not checks:
            return []
        events = tuple(case_events(case, when))
        zone = ZoneInfo(case.loan.timezone)
        decisions = [decide(policy, check, events, timezone=zone) for check in checks]
    if record:
        for action, decision in zip(actions, decisions, strict=True):
            ContactDecision.objects.create(
                case=case,
                decided_at=clock.now(),
                contact_at=when,
                channel=action.channel,
                party=action.party,
                number=action.number,
                policy=policy.id,
                allowed=decision.allowed,
                rules=list(decision.rules),
                reasons=[{"zh": r.zh, "en": r.en} for r in decision.reasons],
                next_allowed_at=decision.next_allowed_at,
                requested_by=requested_by,
            )
    return decisions


def _check(action: ContactRequest, *, at: datetime, agent: User | None) -> Check:
    # Human channels need a certified and authorised collector; machines act for the lender.
    channel = action.channel
    authorised = agent.may_collect if agent is not None else channel not in HUMAN_CHANNELS
    number = action.number
    return Check(
        at=at,
        channel=channel,
        party=action.party,
        # An empty number stays empty, so that the gate still refuses it as missing.
        number=contact_index(number) if number.strip() else "",
        agent_authorised=authorised,
    )


def contact_record(
    *,
    case: CollectionCase,
    channel: str,
    party: str,
    number: str,
    outcome: str,
    at: datetime,
    actor: str,
    agent: User | None = None,
    notes: str = "",
) -> Interaction:
    """Record a contact that happened. Refused unless the gate allowed it at that moment: no
    contact is recorded (or made) past the gate. The decision itself is kept either way (it
    is written before, and outside, the transaction that records the interaction)."""
    decision = contact_check(
        case=case,
        channel=channel,
        party=party,
        number=number,
        at=at,
        agent=agent,
        requested_by=actor,
    )
    if not decision.allowed:
        # The reasons come in both languages from the policy pack; the agent reads them in
        # the interface's language (as on the workbench's case page).
        english = (get_language() or "").lower().startswith("en")
        reasons = "; ".join(r.en if english else r.zh for r in decision.reasons)
        raise ApplicationError(
            _("合规拦截 (%(rules)s): %(reasons)s")
            % {"rules": ", ".join(decision.rules), "reasons": reasons}
        )
    with transaction.atomic():
        return _interaction_create(
            case=case, channel=channel, party=party, number=number, outcome=outcome, at=at,
            actor=actor, agent=agent, notes=notes,
        )  # fmt: skip


def _interaction_create(
    *,
    case: CollectionCase,
    channel: str,
    party: str,
    number: str,
    outcome: str,
    at: datetime,
    actor: str,
    agent: User | None,
    notes: str,
) -> Interaction:
    interaction = Interaction.objects.create(
        case=case,
        at=at,
        channel=channel,
        party=party,
        number=number,
        outcome=outcome,
        agent=agent,
        notes=notes,
    )
    audit_record(
        actor=actor,
        action="contact.record",
        obj=interaction,
        after={"channel": channel, "party": party, "outcome": outcome, "at": at.isoformat()},
    )
    return interaction


@transaction.atomic
def hold_place(*, case: CollectionCase, reason: str, actor: str, note: str = "") -> ContactHold:
    if reason not in HoldReason.values:
        raise ApplicationError(
            _("未知的暂停原因“%(reason)s”（可选：%(choices)s）")
            % {"reason": reason, "choices": ", ".join(HoldReason.values)},
            extra={"field": "reason"},
        )
    if ContactHold.objects.filter(case=case, reason=reason, released_at__isnull=True).exists():
        raise ApplicationError(
            _("该案件已有生效中的“%(reason)s”暂停") % {"reason": HoldReason(reason).label}
        )
    hold = ContactHold.objects.create(
        case=case, reason=reason, placed_at=clock.now(), placed_by=actor, note=note
    )
    audit_record(
        actor=actor,
        action="hold.place",
        obj=hold,
        after={"case": case.pk, "reason": reason},
        reason=note,
    )
    return hold


def hold_ensure(*, case: CollectionCase, reason: str, actor: str, note: str = "") -> ContactHold:
    """The case's active hold for ``reason``: the one already there, or a new one placed now
    (an agitated borrower, a legal referral, a disposed vehicle all stop contact this way)."""
    active = ContactHold.objects.filter(case=case, reason=reason, released_at__isnull=True).first()
    return active or hold_place(case=case, reason=reason, actor=actor, note=note)


@transaction.atomic
def hold_release(*, hold: ContactHold, actor: str, note: str) -> ContactHold:
    if hold.released_at is not None:
        raise ApplicationError(_("该暂停已解除"))
    if not note.strip():
        raise ApplicationError(_("解除暂停需要填写原因"), extra={"field": "note"})
    hold.released_at = clock.now()
    hold.released_by = actor
    hold.save(update_fields=["released_at", "released_by"])
    audit_record(
        actor=actor,
        action="hold.release",
        obj=hold,
        before={"case": hold.case_id, "reason": hold.reason, "active": True},
        after={"active": False},
        reason=note,
    )
    return hold
