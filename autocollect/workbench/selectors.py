"""Reads for the collector's pages: today's queue, the case page (account 360) with the
compliance indicator of every contact action, and the team lead's page.

The queue is built from three small, indexed reads — today's plan items of the agent
(``PlannedAction``), the agent's open follow-ups due, and pending promises due on the agent's
cases — and one read of those cases with their loan, borrower and delinquency. With 100,000
open cases in the database a collector's queue touches only their own few hundred rows
(``benchmarks/queue_bench.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Count, Exists, OuterRef, Q
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from autocollect.accounts.access import has_permission
from autocollect.accounts.models import Team, User
from autocollect.cases.models import (
    Alert,
    CaseFlag,
    CaseStatus,
    CollectionCase,
    FlagKind,
    FollowUp,
    Interaction,
    Promise,
    PromiseStatus,
)
from autocollect.cases.selectors import visible_cases
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
from autocollect.portfolio.models import Borrower, Channel, ContactPoint
from autocollect.strategy.models import ActionStatus, PlannedAction
from autocollect.workbench.display import Yuan
from autocollect.workbench.services import CONTACT_CHANNELS, PARTY_OF_OWNER

# Promises show in the queue from the day before they fall due (a reminder call) until the
# daily cycle judges them.
PROMISE_REMINDER_DAYS = 1
# Queue order: the plan's priority (0–100); a promise falling due and a follow-up the
# collector set themselves rank with the plan's most urgent work.
PROMISE_PRIORITY = 85
FOLLOW_UP_PRIORITY = 80
TEAM_ROWS = 100

CHANNEL_LABELS = dict(Channel.choices)
FLAG_LABELS = dict(FlagKind.choices)


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


# --- the queue ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class QueueTask:
    """One reason the case is in today's queue."""

    kind: str  # planned | follow_up | promise
    label: str


@dataclass(frozen=True, slots=True)
class QueueItem:
    case_id: int
    contract_no: str
    borrower_name: str
    dpd: int
    bucket: str
    overdue: Yuan
    priority: int
    tasks: tuple[QueueTask, ...]
    local_time: time | None
    follow_up_on: date | None
    promise_due_on: date | None
    promise_amount: Yuan | None
    flags: tuple[str, ...]
    flag_labels: tuple[str, ...]
    on_hold: bool
    # Ready-made text of the row's cells: a string renders without the template engine's
    # localisation lookups, which a hundred rows of numbers and dates make noticeable.
    cells: dict[str, str] = field(default_factory=dict)

    @property
    def kinds(self) -> frozenset[str]:
        return frozenset(task.kind for task in self.tasks)


@dataclass(frozen=True, slots=True)
class QueueCounts:
    total: int
    planned: int
    follow_ups: int
    promises: int
    on_hold: int
    flagged: int


@dataclass(frozen=True)
class Queue:
    today: date
    items: list[QueueItem]
    counts: QueueCounts
    buckets: list[str] = field(default_factory=list)


@dataclass
class _Draft:
    priority: int = 0
    tasks: list[QueueTask] = field(default_factory=list)
    local_time: time | None = None
    follow_up_on: date | None = None
    promise_due_on: date | None = None
    promise_amount_fen: int | None = None


def agent_queue(user: User, *, today: date) -> Queue:
    """The collector's work for ``today``: plan items given to them, their follow-ups due and
    promises falling due on their cases; one row per case, most urgent first."""
    drafts: dict[int, _Draft] = {}
    planned = PlannedAction.objects.filter(
        as_of=today, agent=user, status=ActionStatus.QUEUED
    ).values_list("case_id", "priority", "channel", "step", "local_time")
    for case_id, priority, channel, step, local_time in planned:
        draft = drafts.setdefault(case_id, _Draft())
        draft.priority = max(draft.priority, priority)
        label = str(CHANNEL_LABELS.get(channel, channel))
        draft.tasks.append(QueueTask("planned", f"{label} · {step}"))
        if draft.local_time is None or local_time < draft.local_time:
            draft.local_time = local_time
    follow_ups = FollowUp.objects.filter(
        agent=user, done_at__isnull=True, due_on__lte=today
    ).values_list("case_id", "due_on")
    for case_id, due_on in follow_ups:
        draft = drafts.setdefault(case_id, _Draft())
        draft.priority = max(draft.priority, FOLLOW_UP_PRIORITY)
        draft.follow_up_on = due_on
        draft.tasks.append(QueueTask("follow_up", _("跟进到期 %(day)s") % {"day": due_on}))
    promises = Promise.objects.filter(
        case__assigned_agent=user,
        case__status=CaseStatus.OPEN,
        status=PromiseStatus.PENDING,
        due_on__lte=today + timedelta(days=PROMISE_REMINDER_DAYS),
    ).values_list("case_id", "due_on", "amount_fen")
    for case_id, due_on, amount_fen in promises:
        draft = drafts.setdefault(case_id, _Draft())
        draft.priority = max(draft.priority, PROMISE_PRIORITY)
        draft.promise_due_on = due_on
        draft.promise_amount_fen = amount_fen
        draft.tasks.append(
            QueueTask(
                "promise",
                _("承诺还款 %(amount)s 到期 %(day)s") % {"amount": Yuan(amount_fen), "day": due_on},
            )
        )
    items = _queue_items(user, drafts)
    counts = QueueCounts(
        total=len(items),
        planned=sum(1 for i in items if "planned" in i.kinds),
        follow_ups=sum(1 for i in items if "follow_up" in i.kinds),
        promises=sum(1 for i in items if "promise" in i.kinds),
        on_hold=sum(1 for i in items if i.on_hold),
        flagged=sum(1 for i in items if i.flags),
    )
    buckets = sorted({i.bucket for i in items})
    return Queue(today=today, items=items, counts=counts, buckets=buckets)


def _queue_items(user: User, drafts: dict[int, _Draft]) -> list[QueueItem]:
    if not drafts:
        return []
    ids = list(drafts)
    # Only cases the user may open (an item for a case moved to someone else drops out). Plain
    # values, not model instances: the page lists a hundred rows or so and renders each cell.
    held = ContactHold.objects.filter(case_id=OuterRef("pk"), released_at__isnull=True)
    rows = (
        visible_cases(user)
        .filter(pk__in=ids, status=CaseStatus.OPEN)
        .annotate(on_hold=Exists(held))
        .values_list(
            "pk",
            "loan__contract_no",
            "loan__borrower__name",
            "loan__delinquency__dpd",
            "loan__delinquency__bucket",
            "loan__delinquency__overdue_total_fen",
            "on_hold",
        )
    )
    flags: dict[int, list[str]] = {}
    for case_id, kind in CaseFlag.objects.filter(
        case_id__in=ids, cleared_at__isnull=True
    ).values_list("case_id", "kind"):
        flags.setdefault(case_id, []).append(kind)
    items = []
    for case_id, contract_no, name, dpd, bucket, overdue_fen, on_hold in rows:
        draft = drafts[case_id]
        kinds = tuple(sorted(set(flags.get(case_id, []))))
        items.append(
            QueueItem(
                case_id=case_id,
                contract_no=contract_no,
                borrower_name=name,
                dpd=dpd or 0,
                bucket=bucket or "M0",
                overdue=Yuan(overdue_fen or 0),
                priority=draft.priority,
                tasks=tuple(draft.tasks),
                local_time=draft.local_time,
                follow_up_on=draft.follow_up_on,
                promise_due_on=draft.promise_due_on,
                promise_amount=(
                    Yuan(draft.promise_amount_fen) if draft.promise_amount_fen is not None else None
                ),
                flags=kinds,
                flag_labels=tuple(str(FLAG_LABELS.get(k, k)) for k in kinds),
                on_hold=bool(on_hold),
                cells=_cells(case_id, draft, dpd or 0, overdue_fen or 0),
            )
        )
    items.sort(key=lambda i: (-i.priority, -i.dpd, -i.overdue.fen, i.case_id))
    return items


def _cells(case_id: int, draft: _Draft, dpd: int, overdue_fen: int) -> dict[str, str]:
    promise = (
        f"{draft.promise_due_on:%Y-%m-%d} · {Yuan(draft.promise_amount_fen or 0)}"
        if draft.promise_due_on is not None
        else "—"
    )
    return {
        "id": str(case_id),
        "priority": str(draft.priority),
        "dpd": str(dpd),
        "overdue": str(Yuan(overdue_fen)),
        "time": f"{draft.local_time:%H:%M}" if draft.local_time else "—",
        "promise": promise,
    }


def queue_filter(
    items: list[QueueItem], *, kind: str = "", bucket: str = "", search: str = "", flag: str = ""
) -> list[QueueItem]:
    """The queue narrowed by task kind, bucket, flag and a contract number / name search."""
    needle = search.strip().lower()
    return [
        item
        for item in items
        if (not kind or kind in item.kinds)
        and (not bucket or item.bucket == bucket)
        and (not flag or (flag == "hold" and item.on_hold) or flag in item.flags)
        and (
            not needle or needle in item.contract_no.lower() or needle in item.borrower_name.lower()
        )
    ]


# --- the case page --------------------------------------------------------------------------


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
        actions = []
        for channel in channels[contact.pk]:
            decision = next(decisions)
            nxt = decision.next_allowed_at
            actions.append(
                ContactAction(
                    contact_id=contact.pk,
                    channel=channel,
                    label=_action_label(channel),
                    allowed=decision.allowed,
                    rules=decision.rules,
                    reasons=tuple(r.en if english else r.zh for r in decision.reasons),
                    next_allowed=(
                        local_text(nxt, zone) if nxt is not None and not decision.allowed else None
                    ),
                    requirements=decision.requirements,
                )
            )
        views.append(
            ContactView(
                contact_id=contact.pk,
                kind=contact.kind,
                kind_label=contact.get_kind_display(),
                masked=contact_masked(contact),
                owner=contact.owner,
                owner_label=contact.get_owner_display(),
                owner_name=contact.owner_name,
                relationship=contact.relationship,
                status_label=contact.get_status_display(),
                opted_out=tuple(
                    str(CHANNEL_LABELS.get(c, c)) for c in contact.opted_out_channels or []
                ),
                actions=tuple(actions),
            )
        )
    return views


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


# --- the team lead's page -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AgentLoad:
    agent: User
    planned: int
    follow_ups: int
    open_cases: int


@dataclass(frozen=True, slots=True)
class TeamItem:
    case_id: int
    contract_no: str
    borrower_name: str
    agent_id: int | None
    agent: str
    step: str
    channel: str
    priority: int
    on_hold: bool


@dataclass(frozen=True)
class TeamPage:
    today: date
    agents: list[AgentLoad]
    items: list[TeamItem]
    alerts: list[Alert]
    holds: list[ContactHold]


def team_agents(lead: User) -> list[User]:
    """The collectors a lead may give work to: the agents of the teams they lead (an
    administrator: every active user who works cases)."""
    if has_permission(lead, "admin"):
        users = User.objects.filter(is_active=True).order_by("username")
        return [u for u in users if has_permission(u, "work_cases")]
    return list(
        User.objects.filter(teams__in=Team.objects.filter(lead=lead), is_active=True)
        .distinct()
        .order_by("username")
    )


def team_page(lead: User, *, today: date) -> TeamPage:
    agents = team_agents(lead)
    ids = [a.pk for a in agents]
    planned = dict(
        PlannedAction.objects.filter(as_of=today, agent_id__in=ids, status=ActionStatus.QUEUED)
        .values("agent_id")
        .annotate(n=Count("id"))
        .values_list("agent_id", "n")
    )
    follow_ups = dict(
        FollowUp.objects.filter(agent_id__in=ids, done_at__isnull=True, due_on__lte=today)
        .values("agent_id")
        .annotate(n=Count("id"))
        .values_list("agent_id", "n")
    )
    open_cases = dict(
        CollectionCase.objects.filter(assigned_agent_id__in=ids, status=CaseStatus.OPEN)
        .values("assigned_agent_id")
        .annotate(n=Count("id"))
        .values_list("assigned_agent_id", "n")
    )
    loads = [
        AgentLoad(
            agent=a,
            planned=planned.get(a.pk, 0),
            follow_ups=follow_ups.get(a.pk, 0),
            open_cases=open_cases.get(a.pk, 0),
        )
        for a in agents
    ]
    team_cases = visible_cases(lead).filter(status=CaseStatus.OPEN)
    actions = list(
        PlannedAction.objects.filter(as_of=today, case__in=team_cases)
        .filter(Q(status=ActionStatus.QUEUED) | Q(status=ActionStatus.OVERFLOW))
        .select_related("case__loan__borrower", "case__assigned_agent", "agent")
        .order_by("-priority", "queue_rank", "id")[:TEAM_ROWS]
    )
    held = set(
        ContactHold.objects.filter(
            case_id__in=[a.case_id for a in actions], released_at__isnull=True
        ).values_list("case_id", flat=True)
    )
    items = [
        TeamItem(
            case_id=a.case_id,
            contract_no=a.case.loan.contract_no,
            borrower_name=a.case.loan.borrower.name,
            agent_id=a.case.assigned_agent_id,
            agent=(
                a.case.assigned_agent.get_username()
                if a.case.assigned_agent
                else (a.agent.get_username() if a.agent else "")
            ),
            step=a.step,
            channel=str(CHANNEL_LABELS.get(a.channel, a.channel)),
            priority=a.priority,
            on_hold=a.case_id in held,
        )
        for a in actions
    ]
    alerts = list(
        Alert.objects.filter(acknowledged_at__isnull=True, case__in=visible_cases(lead))
        .select_related("case__loan__borrower", "raised_by")
        .order_by("-raised_at")[:TEAM_ROWS]
    )
    holds = list(
        ContactHold.objects.filter(released_at__isnull=True, case__in=visible_cases(lead))
        .select_related("case__loan__borrower")
        .order_by("-placed_at")[:TEAM_ROWS]
    )
    return TeamPage(today=today, agents=loads, items=items, alerts=alerts, holds=holds)
