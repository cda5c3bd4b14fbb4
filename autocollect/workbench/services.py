"""The use cases of the workbench's pages: logging the outcome of a contact, moving a
case to another collector, and the team lead's handling of alerts.

Logging an outcome (``outcome_log``) is the collector's one use case after a call or a visit:

1. everything the collector typed is validated first, the notes by the content checker
   (``compliance/content.py``: a note that threatens, insults or shames is refused with the
   offending phrases, before anything is written);
2. the contact is recorded through ``compliance.services.contact_record``, which asks the
   contact gate and refuses a contact the gate blocks (the gate's decision is kept either way);
3. in the same transaction: the outcome, the promise to pay, the next follow-up, the flags, and
   for a borrower who became agitated an immediate contact hold and an alert to the team lead —
   the source document's emergency plan (应急预案): "借款人情绪激动：应当立即暂停沟通".

Every write is audited (``audit.services.audit_record``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils.translation import gettext as _

from autocollect.accounts.access import has_permission
from autocollect.accounts.models import User
from autocollect.audit.services import audit_record
from autocollect.cases.models import (
    Alert,
    AlertKind,
    CaseFlag,
    CaseOutcome,
    CaseStatus,
    CollectionCase,
    FlagKind,
    FollowUp,
    Interaction,
    InteractionOutcome,
    InteractionParty,
    OutcomeCode,
    Promise,
)
from autocollect.cases.services import (
    alert_raise,
    case_flag_set,
    follow_up_replace,
    promise_create,
)
from autocollect.compliance.content import Finding, lint_text
from autocollect.compliance.models import ContactHold, HoldReason
from autocollect.compliance.services import contact_record, hold_ensure, hold_release
from autocollect.core import clock
from autocollect.core.errors import ApplicationError, refuse
from autocollect.portfolio.models import ContactKind, ContactOwner, ContactPoint
from autocollect.strategy.models import ActionStatus, PlannedAction
from autocollect.workbench.permissions import (
    outcome_log_refusal,
    reassign_target_refusal,
    require_lead_of,
)

# The channels a person can use on each kind of contact point.
CONTACT_CHANNELS: dict[str, tuple[str, ...]] = {
    ContactKind.MOBILE: ("call", "sms"),
    ContactKind.LANDLINE: ("call",),
    ContactKind.EMAIL: ("email",),
    ContactKind.ADDRESS: ("visit", "letter"),
}
PARTY_OF_OWNER: dict[str, str] = {
    ContactOwner.BORROWER: InteractionParty.BORROWER,
    ContactOwner.GUARANTOR: InteractionParty.GUARANTOR,
    ContactOwner.EMERGENCY: InteractionParty.THIRD_PARTY,
}
# What a person logs about a contact; sent/delivered/failed are the machines' outcomes.
AGENT_OUTCOMES: tuple[str, ...] = (
    InteractionOutcome.ANSWERED,
    InteractionOutcome.NO_ANSWER,
    InteractionOutcome.WRONG_NUMBER,
    InteractionOutcome.REFUSED,
)
REACHED = (InteractionOutcome.ANSWERED, InteractionOutcome.REFUSED)
# Flags a collector may set when logging (broken_promise is the daily cycle's).
LOGGABLE_FLAGS: tuple[str, ...] = (
    FlagKind.DISPUTE,
    FlagKind.HARDSHIP_CLAIMED,
    FlagKind.LOST_CONTACT,
    FlagKind.VEHICLE_RISK,
    FlagKind.AGITATED,
)
# A promise further out than this is a repayment plan, which needs an arrangement.
PROMISE_MAX_DAYS = 30


class OutcomeError(ApplicationError):
    """The outcome cannot be logged as entered; ``field`` names the form field at fault."""

    def __init__(self, message: str, *, field: str = "") -> None:
        super().__init__(message, extra={"field": field})
        self.field = field


class ContactBlockedError(ApplicationError):
    """The contact gate blocks this contact: nothing was logged (the decision was kept)."""


class NotesRejectedError(ApplicationError):
    """The notes contain prohibited wording; ``findings`` locate it in the notes."""

    def __init__(self, findings: Sequence[Finding]) -> None:
        phrases = "、".join(dict.fromkeys(f.text for f in findings))
        super().__init__(_("备注含有违规措辞：%(phrases)s") % {"phrases": phrases})
        self.findings = tuple(findings)


@dataclass(frozen=True)
class OutcomeLogged:
    interaction: Interaction
    outcome: CaseOutcome
    promise: Promise | None = None
    follow_up: FollowUp | None = None
    flags: tuple[CaseFlag, ...] = ()
    hold: ContactHold | None = None
    alerts: tuple[Alert, ...] = field(default_factory=tuple)


def notes_check(notes: str) -> tuple[Finding, ...]:
    """Findings of the content checker in the notes: Chinese rules always, English rules too
    when the notes contain Latin letters. The borrower audience is the strict one (notes are
    what was said to, or about, the borrower)."""
    if not notes.strip():
        return ()
    findings = list(lint_text(notes, audience="borrower", lang="zh").findings)
    if any("a" <= c.lower() <= "z" for c in notes):
        findings.extend(lint_text(notes, audience="borrower", lang="en").findings)
    findings.sort(key=lambda f: (f.start, f.end))
    return tuple(findings)


def _actor(user: User) -> str:
    return user.get_username()


def _validate_promise(
    *,
    wants_promise: bool,
    right_party: bool,
    promise_amount_fen: int | None,
    promise_due_on: date | None,
    today: date,
) -> None:
    """A promise comes with the promise code, from the borrower or guarantor in person, with
    an amount and a date within the allowed days."""
    if wants_promise and not right_party:
        raise OutcomeError(_("承诺还款只能由借款人或担保人本人作出"), field="code")
    if wants_promise and (promise_amount_fen is None or promise_due_on is None):
        raise OutcomeError(_("承诺还款需要填写金额和日期"), field="promise_amount")
    if not wants_promise and (promise_amount_fen is not None or promise_due_on is not None):
        raise OutcomeError(_("只有结果代码为“承诺还款”时才能填写承诺"), field="code")
    if promise_amount_fen is not None and promise_amount_fen <= 0:
        raise OutcomeError(_("承诺金额必须大于零"), field="promise_amount")
    if promise_due_on is not None and not (
        today <= promise_due_on <= today + timedelta(days=PROMISE_MAX_DAYS)
    ):
        raise OutcomeError(
            _("承诺还款日须在今天到 %(days)s 天之内") % {"days": PROMISE_MAX_DAYS},
            field="promise_due_on",
        )


def _validate(
    *,
    case: CollectionCase,
    contact: ContactPoint,
    channel: str,
    outcome: str,
    code: str,
    right_party: bool,
    promise_amount_fen: int | None,
    promise_due_on: date | None,
    next_follow_up_on: date | None,
    flags: Sequence[str],
    today: date,
) -> None:
    if case.status != CaseStatus.OPEN:
        raise OutcomeError(_("案件已结案，不能再记录联系结果"))
    if contact.borrower_id != case.loan.borrower_id:
        raise OutcomeError(_("该联系方式不属于本案借款人"), field="contact")
    if channel not in CONTACT_CHANNELS.get(contact.kind, ()):
        raise OutcomeError(_("该联系方式不能使用此渠道"), field="channel")
    if outcome not in AGENT_OUTCOMES:
        raise OutcomeError(_("未知的联系结果"), field="outcome")
    if code not in OutcomeCode.values:
        raise OutcomeError(_("未知的结果代码"), field="code")
    if right_party and (
        outcome not in REACHED
        or contact.owner not in (ContactOwner.BORROWER, ContactOwner.GUARANTOR)
    ):
        raise OutcomeError(_("只有接通借款人或担保人本人才算联系到本人"), field="right_party")
    _validate_promise(
        wants_promise=code == OutcomeCode.PROMISE_TO_PAY,
        right_party=right_party,
        promise_amount_fen=promise_amount_fen,
        promise_due_on=promise_due_on,
        today=today,
    )
    if next_follow_up_on is not None and next_follow_up_on < today:
        raise OutcomeError(_("下次跟进日期不能早于今天"), field="next_follow_up_on")
    unknown = [flag for flag in flags if flag not in LOGGABLE_FLAGS]
    if unknown:
        raise OutcomeError(
            _("未知的标记：%(flags)s") % {"flags": ", ".join(unknown)}, field="flags"
        )


def outcome_log(
    *,
    case: CollectionCase,
    agent: User,
    contact: ContactPoint,
    channel: str,
    outcome: str,
    code: str,
    right_party: bool,
    notes: str = "",
    promise_amount_fen: int | None = None,
    promise_due_on: date | None = None,
    next_follow_up_on: date | None = None,
    flags: Sequence[str] = (),
    at: datetime | None = None,
) -> OutcomeLogged:
    """Log what came of one contact (see the module docstring). Raises ``OutcomeError`` for
    input that does not fit together, ``NotesRejectedError`` for prohibited wording and
    ``ContactBlockedError`` when the gate refuses the contact; nothing is logged in any of them."""
    refuse(outcome_log_refusal(agent))
    when = at or clock.now()
    today = when.astimezone(ZoneInfo(case.loan.timezone)).date()
    flags = list(dict.fromkeys(flags))
    _validate(
        case=case, contact=contact, channel=channel, outcome=outcome, code=code,
        right_party=right_party, promise_amount_fen=promise_amount_fen,
        promise_due_on=promise_due_on, next_follow_up_on=next_follow_up_on, flags=flags,
        today=today,
    )  # fmt: skip
    findings = notes_check(notes)
    if findings:
        raise NotesRejectedError(findings)
    actor = _actor(agent)
    refusal: ApplicationError | None = None
    # One transaction; a gate refusal raises before the interaction is written and leaves the
    # transaction usable, so the gate's decision (written first) commits while nothing else does.
    with transaction.atomic():
        try:
            interaction = contact_record(
                case=case,
                channel=channel,
                party=PARTY_OF_OWNER.get(contact.owner, InteractionParty.THIRD_PARTY),
                number=contact.value,
                outcome=outcome,
                at=when,
                actor=actor,
                agent=agent,
                notes=notes,
            )
        except ApplicationError as exc:
            refusal = exc
        else:
            return _outcome_apply(
                case=case, agent=agent, interaction=interaction, code=code,
                right_party=right_party, notes=notes, promise_amount_fen=promise_amount_fen,
                promise_due_on=promise_due_on, next_follow_up_on=next_follow_up_on, flags=flags,
                when=when, today=today,
            )  # fmt: skip
    raise ContactBlockedError(refusal.message)


def _outcome_apply(
    *,
    case: CollectionCase,
    agent: User,
    interaction: Interaction,
    code: str,
    right_party: bool,
    notes: str,
    promise_amount_fen: int | None,
    promise_due_on: date | None,
    next_follow_up_on: date | None,
    flags: list[str],
    when: datetime,
    today: date,
) -> OutcomeLogged:
    actor = _actor(agent)
    promise = None
    if promise_amount_fen is not None and promise_due_on is not None:
        promise = promise_create(
            case=case,
            amount_fen=promise_amount_fen,
            due_on=promise_due_on,
            promised_on=today,
            actor=actor,
        )
    result = CaseOutcome.objects.create(
        interaction=interaction,
        case=case,
        code=code,
        right_party=right_party,
        promise=promise,
        next_follow_up_on=next_follow_up_on,
        agent=agent,
    )
    audit_record(
        actor=actor,
        action="case.outcome",
        obj=result,
        after={
            "case": case.pk,
            "interaction": interaction.pk,
            "code": code,
            "right_party": right_party,
            "promise": promise.pk if promise else None,
            "next_follow_up_on": next_follow_up_on.isoformat() if next_follow_up_on else None,
            "flags": flags,
        },
    )
    follow_up = follow_up_replace(case=case, agent=agent, due_on=next_follow_up_on, when=when)
    set_flags = [
        case_flag_set(case_id=case.pk, kind=kind, actor=actor, note=notes, at=when)
        for kind in flags
    ]
    hold = None
    alerts: list[Alert] = []
    if FlagKind.AGITATED in flags:
        hold = hold_ensure(case=case, reason=HoldReason.EMOTIONAL_DISTRESS, actor=actor, note=notes)
        alerts.append(
            alert_raise(case=case, kind=AlertKind.AGITATED, raised_by=agent, message=notes)
        )
    if FlagKind.DISPUTE in flags:
        alerts.append(
            alert_raise(case=case, kind=AlertKind.DISPUTE, raised_by=agent, message=notes)
        )
    return OutcomeLogged(
        interaction=interaction,
        outcome=result,
        promise=promise,
        follow_up=follow_up,
        flags=tuple(flag for flag, new in set_flags if new),
        hold=hold,
        alerts=tuple(alerts),
    )


@transaction.atomic
def alert_resolve(*, alert: Alert, actor: User, note: str, pause: bool = False) -> Alert:
    """The team lead handles an alert. For a dispute, ``pause`` approves a contact hold while
    the dispute is investigated (争议处理中); an agitated borrower's hold is already on and is
    released separately (``pause_release``), with its own reason."""
    require_lead_of(actor, alert.case)
    if alert.acknowledged_at is not None:
        raise ApplicationError(_("该提醒已处理"))
    if pause and alert.kind != AlertKind.DISPUTE:
        raise ApplicationError(_("只有争议提醒可以批准暂停"))
    actor_name = _actor(actor)
    hold = None
    if pause:
        hold = hold_ensure(case=alert.case, reason=HoldReason.DISPUTE, actor=actor_name, note=note)
    alert.acknowledged_at = clock.now()
    alert.acknowledged_by = actor
    alert.resolution = note
    alert.save(update_fields=["acknowledged_at", "acknowledged_by", "resolution"])
    audit_record(
        actor=actor_name,
        action="alert.resolve",
        obj=alert,
        before={"acknowledged": False},
        after={"acknowledged": True, "hold": hold.pk if hold else None},
        reason=note,
    )
    return alert


@transaction.atomic
def case_reassign(
    *, case: CollectionCase, agent: User, actor: User, reason: str = ""
) -> CollectionCase:
    """Give a case to another collector of the lead's teams. The case's open follow-ups and
    today's (and later) queued plan items move with it, so the case leaves the old collector's
    queue at once."""
    require_lead_of(actor, case)
    refuse(reassign_target_refusal(actor, agent))
    if not agent.is_active or not has_permission(agent, "work_cases"):
        raise ApplicationError(_("该用户不能处理案件"))
    previous = case.assigned_agent
    if previous is not None and previous.pk == agent.pk:
        raise ApplicationError(_("案件已分配给该催收员"))
    case.assigned_agent = agent
    case.save(update_fields=["assigned_agent"])
    follow_ups = FollowUp.objects.filter(case=case, done_at__isnull=True).update(agent=agent)
    today = clock.localdate()
    actions = PlannedAction.objects.filter(
        case=case, as_of__gte=today, status=ActionStatus.QUEUED
    ).update(agent=agent)
    audit_record(
        actor=_actor(actor),
        action="case.reassign",
        obj=case,
        before={"agent": previous.get_username() if previous else None},
        after={"agent": agent.get_username(), "follow_ups": follow_ups, "planned": actions},
        reason=reason,
    )
    return case


@transaction.atomic
def pause_release(*, hold: ContactHold, actor: User, note: str) -> ContactHold:
    """The team lead lifts a contact hold (pause) on one of the team's cases, with a reason."""
    require_lead_of(actor, hold.case)
    return hold_release(hold=hold, actor=_actor(actor), note=note)
