"""Reads for the case page (account 360): the borrower's contact points with the compliance
indicator of every contact action, the contact history, promises, flags, holds, the open
follow-up and the delinquency; and the masked values the page shows until a reveal."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.utils.translation import get_language
from django.utils.translation import gettext as _

from autocollect.accounts.models import User
from autocollect.cases.models import CaseFlag, CollectionCase, FollowUp, Interaction, Promise
from autocollect.compliance.models import ContactHold
from autocollect.compliance.services import ContactRequest, contact_check_many
from autocollect.core.masking import (
    mask_address,
    mask_contact,
    mask_email,
    mask_national_id,
    mask_phone,
)
from autocollect.delinquency.models import LoanDelinquency
from autocollect.engine.gate import Decision
from autocollect.portfolio.models import Borrower, ContactPoint
from autocollect.workbench.display import CHANNEL_LABELS, Yuan
from autocollect.workbench.services import CONTACT_CHANNELS, PARTY_OF_OWNER


def _language_is_english() -> bool:
    return (get_language() or "").lower().startswith("en")


def contact_masked(contact: ContactPoint) -> str:
    """The masked value: the stored masked copy when there is one, else masked here."""
    stored = getattr(contact, "masked", "")
    return str(stored) if stored else mask_contact(contact.kind, contact.value)


def national_id_masked(borrower: Borrower) -> str:
    stored = getattr(borrower, "national_id_masked", "")
    if stored:
        return str(stored)
    return mask_national_id(borrower.national_id)


def interaction_number_masked(interaction: Interaction) -> str:
    stored = getattr(interaction, "number_masked", "")
    if stored:
        return str(stored)
    number = interaction.number
    if interaction.channel in ("call", "robot_call", "sms"):
        return mask_phone(number)
    if interaction.channel == "email":
        return mask_email(number)
    return mask_address(number)


# --- contact points and the compliance indicator -------------------------------------------


@dataclass(frozen=True, slots=True)
class ContactAction:
    """The compliance indicator of one contact action (call this number, text it, visit …)."""

    contact_id: int
    channel: str
    label: str
    allowed: bool
    rules: tuple[str, ...]
    reasons: tuple[str, ...]
    # When the same action is allowed again, on the debtor's wall clock; None when the block
    # does not end by itself (a hold, an opt-out, a wrong number …).
    next_allowed: str | None
    requirements: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ContactView:
    contact_id: int
    kind: str
    kind_label: str
    masked: str
    owner: str
    owner_label: str
    owner_name: str
    relationship: str
    status_label: str
    opted_out: tuple[str, ...]
    actions: tuple[ContactAction, ...]

    @property
    def target(self) -> str:
        """What the reveal form names: ``contact:<id>``."""
        return f"contact:{self.contact_id}"


def _action_label(channel: str) -> str:
    labels = {
        "call": _("拨打"),
        "sms": _("发短信"),
        "email": _("发邮件"),
        "visit": _("上门"),
        "letter": _("寄信函"),
    }
    return labels.get(channel, channel)


def local_text(moment: datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M")


def contact_views(
    case: CollectionCase, contacts: list[ContactPoint], *, user: User, at: datetime
) -> list[ContactView]:
    """Every contact point of the borrower with the gate's answer for each of its actions at
    ``at`` (asked with ``record=False``: showing the indicator is not a contact). All the
    actions go to the gate together (``contact_check_many``): the borrower's history and the
    policy are read once, not once per action."""
    zone = ZoneInfo(case.loan.timezone)
    english = _language_is_english()
    channels = {c.pk: CONTACT_CHANNELS.get(c.kind, ()) for c in contacts}
    requests = [
        ContactRequest(
            channel=channel,
            party=PARTY_OF_OWNER.get(contact.owner, "third_party"),
            number=contact.value,
        )
        for contact in contacts
        for channel in channels[contact.pk]
    ]
    decisions = iter(
        contact_check_many(
            case=case,
            actions=requests,
            requested_by=user.get_username(),
            at=at,
            agent=user,
            record=False,
        )
    )
    views = []
    for contact in contacts:
        actions = [
            _contact_action(contact, channel, next(decisions), zone=zone, english=english)
            for channel in channels[contact.pk]
        ]
        views.append(_contact_view(contact, tuple(actions)))
    return views


def _contact_action(
    contact: ContactPoint, channel: str, decision: Decision, *, zone: ZoneInfo, english: bool
) -> ContactAction:
    nxt = decision.next_allowed_at
    return ContactAction(
        contact_id=contact.pk,
        channel=channel,
        label=_action_label(channel),
        allowed=decision.allowed,
        rules=decision.rules,
        reasons=tuple(r.en if english else r.zh for r in decision.reasons),
        next_allowed=(local_text(nxt, zone) if nxt is not None and not decision.allowed else None),
        requirements=decision.requirements,
    )


def _contact_view(contact: ContactPoint, actions: tuple[ContactAction, ...]) -> ContactView:
    return ContactView(
        contact_id=contact.pk,
        kind=contact.kind,
        kind_label=contact.get_kind_display(),
        masked=contact_masked(contact),
        owner=contact.owner,
        owner_label=contact.get_owner_display(),
        owner_name=contact.owner_name,
        relationship=contact.relationship,
        status_label=contact.get_status_display(),
        opted_out=tuple(str(CHANNEL_LABELS.get(c, c)) for c in contact.opted_out_channels or []),
        actions=actions,
    )


# --- the history, promises, flags, holds ----------------------------------------------------


@dataclass(frozen=True, slots=True)
class InteractionRow:
    at: str
    channel: str
    party: str
    number: str
    outcome: str
    code: str
    right_party: bool | None
    agent: str
    notes: str
    case_id: int


def interaction_rows(case: CollectionCase) -> list[InteractionRow]:
    """The borrower's whole contact history (every case of theirs), newest first, on the
    debtor's clock."""
    zone = ZoneInfo(case.loan.timezone)
    rows = (
        Interaction.objects.filter(case__loan__borrower_id=case.loan.borrower_id)
        .select_related("agent", "result")
        .order_by("-at", "-id")
    )
    out = []
    for row in rows:
        result = getattr(row, "result", None)
        out.append(
            InteractionRow(
                at=local_text(row.at, zone),
                channel=row.get_channel_display(),
                party=row.get_party_display(),
                number=interaction_number_masked(row),
                outcome=row.get_outcome_display(),
                code=result.get_code_display() if result else "",
                right_party=result.right_party if result else None,
                agent=row.agent.get_username() if row.agent else "",
                notes=row.notes,
                case_id=row.case_id,
            )
        )
    return out


@dataclass(frozen=True, slots=True)
class PromiseRow:
    promised_on: date
    due_on: date
    amount: Yuan
    paid: Yuan
    status: str
    status_label: str
    created_by: str


def promise_rows(case: CollectionCase) -> list[PromiseRow]:
    rows = Promise.objects.filter(loan_id=case.loan_id).order_by("-due_on", "-id")
    return [
        PromiseRow(
            promised_on=p.promised_on,
            due_on=p.due_on,
            amount=Yuan(p.amount_fen),
            paid=Yuan(p.paid_fen),
            status=p.status,
            status_label=p.get_status_display(),
            created_by=p.created_by,
        )
        for p in rows
    ]


def active_flags(case: CollectionCase) -> list[CaseFlag]:
    return list(case.flags.filter(cleared_at__isnull=True).order_by("set_at"))


def active_holds(case: CollectionCase) -> list[ContactHold]:
    borrower_cases = CollectionCase.objects.filter(loan__borrower_id=case.loan.borrower_id)
    return list(
        ContactHold.objects.filter(case__in=borrower_cases, released_at__isnull=True).order_by(
            "placed_at"
        )
    )


def open_follow_up(case: CollectionCase) -> FollowUp | None:
    return case.follow_ups.filter(done_at__isnull=True).order_by("due_on").first()


def delinquency_of(case: CollectionCase) -> LoanDelinquency | None:
    return LoanDelinquency.objects.filter(loan_id=case.loan_id).first()
