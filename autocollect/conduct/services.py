"""Writes for the misconduct channel: filing a report, the investigation's state machine, notes.
Every write is audited; who may do what is enforced here, not only in the views.

States and transitions (docs/misconduct.md)::

    submitted ──▶ under_investigation ──▶ substantiated ──▶ closed
        │                 │          └──▶ unsubstantiated ──▶ closed
        └──────────────── ┴──▶ closed   (dismissed: duplicate, out of scope, withdrawn)

Anything else raises ``ApplicationError``. ``closed`` is final: new facts make a new report.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from django.db import transaction
from django.utils.translation import gettext as _

from autocollect.accounts.models import User
from autocollect.audit.services import audit_record
from autocollect.cases.models import CollectionCase
from autocollect.conduct import followup
from autocollect.conduct.models import (
    Category,
    InvestigationNote,
    MisconductReport,
    ReporterMessage,
    ReportState,
)
from autocollect.conduct.permissions import require_investigator
from autocollect.core import clock
from autocollect.core.errors import ApplicationError, refuse

# The audit actor of an anonymous filing: the event shows that a report was filed, and when,
# but names nobody.
ANONYMOUS_ACTOR = "anonymous"
MAX_TEXT = 10_000

TRANSITIONS: dict[str, frozenset[str]] = {
    ReportState.SUBMITTED: frozenset({ReportState.UNDER_INVESTIGATION, ReportState.CLOSED}),
    ReportState.UNDER_INVESTIGATION: frozenset(
        {ReportState.SUBSTANTIATED, ReportState.UNSUBSTANTIATED, ReportState.CLOSED}
    ),
    ReportState.SUBSTANTIATED: frozenset({ReportState.CLOSED}),
    ReportState.UNSUBSTANTIATED: frozenset({ReportState.CLOSED}),
    ReportState.CLOSED: frozenset(),
}
# A conclusion, or a closing that is not preceded by one, must say what was decided and why.
NEEDS_OUTCOME: frozenset[tuple[str, str]] = frozenset(
    {
        (ReportState.UNDER_INVESTIGATION, ReportState.SUBSTANTIATED),
        (ReportState.UNDER_INVESTIGATION, ReportState.UNSUBSTANTIATED),
        (ReportState.UNDER_INVESTIGATION, ReportState.CLOSED),
        (ReportState.SUBMITTED, ReportState.CLOSED),
    }
)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _clean_text(value: str, *, field: str, required: bool = True) -> str:
    cleaned = value.strip()
    if required and not cleaned:
        missing = {"description": _("请填写举报内容"), "outcome": _("请填写处理结论")}
        raise ApplicationError(missing.get(field) or _("请填写内容"), extra={"field": field})
    if len(cleaned) > MAX_TEXT:
        raise ApplicationError(
            _("内容不能超过 %(n)s 个字") % {"n": MAX_TEXT}, extra={"field": field}
        )
    return cleaned


def allowed_transitions(report: MisconductReport) -> frozenset[str]:
    return TRANSITIONS[report.state]


@transaction.atomic
def report_file(
    *,
    reporter: User,
    subject: User,
    category: str,
    description: str,
    anonymous: bool = False,
    case: CollectionCase | None = None,
) -> MisconductReport:
    """File a report. Any signed-in user may; nobody reports themselves. An anonymous report
    stores no reporter, and its audit event names no actor; it gets a follow-up code, on the
    returned instance's ``followup_code`` only (shown once, its keyed hash stored)."""
    if not reporter.is_authenticated or not reporter.is_active:
        refuse(_("请先登录再举报"))
    if subject.pk == reporter.pk:
        raise ApplicationError(_("不能举报自己"), extra={"field": "subject"})
    if category not in Category.values:
        raise ApplicationError(
            _("未知的举报类别：%(category)s") % {"category": category}, extra={"field": "category"}
        )
    text = _clean_text(description, field="description")
    code = followup.code_generate() if anonymous else ""
    report = MisconductReport.objects.create(
        followup_digest=followup.code_digest(code) if anonymous else None,
        reporter=None if anonymous else reporter,
        anonymous=anonymous,
        subject=subject,
        case=case,
        category=category,
        description=text,
        submitted_at=clock.now(),
    )
    audit_record(
        actor=ANONYMOUS_ACTOR if anonymous else reporter.get_username(),
        action="conduct.report_file",
        obj=report,
        after={
            "subject_id": subject.pk,
            "category": category,
            "case_id": case.pk if case else None,
            "anonymous": anonymous,
            # The text stays in the report; the hash shows it was never changed.
            "description_sha256": _digest(text),
        },
    )
    report.followup_code = code
    return report


@transaction.atomic
def report_transition(
    report: MisconductReport, *, actor: User, to_state: str, outcome: str = ""
) -> MisconductReport:
    """Move ``report`` to ``to_state``. Starting an investigation makes the actor its
    investigator; a conclusion, or closing without one, needs an outcome (what was decided
    and why). A transition the table does not allow is refused (``Refused``)."""
    locked = MisconductReport.objects.select_for_update().get(pk=report.pk)
    require_investigator(actor, locked)
    before = locked.state
    if to_state not in ReportState.values:
        raise ApplicationError(
            _("未知的举报状态：%(state)s") % {"state": to_state}, extra={"field": "state"}
        )
    if to_state not in TRANSITIONS[before]:
        refuse(
            _("举报当前为“%(from)s”，不能变为“%(to)s”")
            % {"from": ReportState(before).label, "to": ReportState(to_state).label}
        )
    needs_outcome = (before, to_state) in NEEDS_OUTCOME
    text = _clean_text(outcome, field="outcome", required=needs_outcome)
    now = clock.now()
    if to_state == ReportState.UNDER_INVESTIGATION:
        locked.investigator = actor
        locked.investigation_started_at = now
    elif to_state in (ReportState.SUBSTANTIATED, ReportState.UNSUBSTANTIATED):
        locked.concluded_at = now
        locked.outcome = text
    elif to_state == ReportState.CLOSED:
        locked.closed_at = now
        if text:
            locked.outcome = f"{locked.outcome}\n\n{text}".strip()
    locked.state = to_state
    locked.save()
    audit_record(
        actor=actor.get_username(),
        action="conduct.report_transition",
        obj=locked,
        before={"state": before},
        after={
            "state": to_state,
            "investigator_id": locked.investigator_id,
            "outcome": text,
        },
    )
    report.refresh_from_db()
    return report


def report_start_investigation(report: MisconductReport, *, actor: User) -> MisconductReport:
    return report_transition(report, actor=actor, to_state=ReportState.UNDER_INVESTIGATION)


def report_conclude(
    report: MisconductReport, *, actor: User, substantiated: bool, outcome: str
) -> MisconductReport:
    state = ReportState.SUBSTANTIATED if substantiated else ReportState.UNSUBSTANTIATED
    return report_transition(report, actor=actor, to_state=state, outcome=outcome)


def report_close(report: MisconductReport, *, actor: User, outcome: str = "") -> MisconductReport:
    return report_transition(report, actor=actor, to_state=ReportState.CLOSED, outcome=outcome)


@transaction.atomic
def note_add(report: MisconductReport, *, author: User, body: str) -> InvestigationNote:
    """Add a note to an open report (not to a closed one: the file is complete)."""
    locked = MisconductReport.objects.select_for_update().get(pk=report.pk)
    require_investigator(author, locked)
    if locked.state == ReportState.CLOSED:
        refuse(_("举报已结案，不能再添加调查记录"))
    text = _clean_text(body, field="body")
    note = InvestigationNote.objects.create(report=locked, author=author, body=text)
    audit_record(
        actor=author.get_username(),
        action="conduct.note_add",
        obj=locked,
        after={"note_id": note.pk, "body_sha256": _digest(text)},
    )
    return note


@transaction.atomic
def message_to_reporter_send(
    report: MisconductReport, *, author: User, body: str
) -> ReporterMessage:
    """A message the reporter may read (through their follow-up code, or on their named
    report's page), separate from the internal notes. Investigators only; also after closing,
    to tell the reporter how it ended."""
    locked = MisconductReport.objects.select_for_update().get(pk=report.pk)
    require_investigator(author, locked)
    text = _clean_text(body, field="body")
    message = ReporterMessage.objects.create(
        report=locked, from_reporter=False, author=author, body=text
    )
    audit_record(
        actor=author.get_username(),
        action="conduct.message_to_reporter",
        obj=locked,
        after={"message_id": message.pk, "body_sha256": _digest(text)},
    )
    return message


class FollowUpThrottledError(ApplicationError):
    """Too many wrong follow-up codes: no code is checked until ``until``."""

    def __init__(self, until: datetime) -> None:
        super().__init__(_("查询码错误次数过多，请稍后再试"))
        self.until = until


def report_follow(*, user: User, code: str) -> MisconductReport | None:
    """The anonymous report whose follow-up code is ``code``, or None — the same None for a
    wrong, malformed or empty code. Each miss counts against ``user``; past the limit this
    raises ``FollowUpThrottledError`` without looking. A hit is recorded nowhere: nothing links the
    report to whoever typed its code."""
    if not user.is_authenticated or not user.is_active:
        refuse(_("请先登录再查询举报"))
    until = followup.throttled_until(user.pk)
    if until is not None:
        raise FollowUpThrottledError(until)
    digest = followup.code_digest(code)
    report = (
        MisconductReport.objects.filter(followup_digest=digest, anonymous=True).first()
        if digest
        else None
    )
    if report is None:
        followup.failure_record(user.pk)
    return report


@transaction.atomic
def message_from_reporter_add(*, user: User, code: str, body: str) -> ReporterMessage | None:
    """The anonymous reporter writes to the investigators through their code (None: no such
    report, as in ``report_follow``). Audited with actor ``anonymous``; not on a closed
    report (new facts make a new report)."""
    report = report_follow(user=user, code=code)
    if report is None:
        return None
    locked = MisconductReport.objects.select_for_update().get(pk=report.pk)
    if locked.state == ReportState.CLOSED:
        # Input the reporter cannot send, not a refusal page: the follow page stays in view
        # with the report's state and the investigators' messages.
        raise ApplicationError(_("举报已结案，不能再留言"))
    text = _clean_text(body, field="body")
    message = ReporterMessage.objects.create(report=locked, from_reporter=True, body=text)
    audit_record(
        actor=ANONYMOUS_ACTOR,
        action="conduct.message_from_reporter",
        obj=locked,
        after={"message_id": message.pk, "body_sha256": _digest(text)},
    )
    return message
