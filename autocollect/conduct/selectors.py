"""Reads for the misconduct channel: who sees which report, and how much of it.

- Compliance (``investigate_misconduct``) sees every report with its notes — except reports
  about themselves.
- A reporter sees the state of the reports they filed under their name (not the notes, the
  outcome or the investigator: those concern a colleague's record).
- The subject of a report never sees it, whatever their role.
- Everyone else: a report does not exist for them (404, as for an unknown id).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import QuerySet
from django.http import Http404

from autocollect.accounts.access import AnyUser, permission_refusal
from autocollect.accounts.models import User
from autocollect.conduct.models import (
    InvestigationNote,
    MisconductReport,
    ReporterMessage,
    ReportState,
)
from autocollect.conduct.permissions import INVESTIGATE, is_investigator
from autocollect.core.errors import Refused


def reports_for_investigator(user: AnyUser, *, state: str = "") -> QuerySet[MisconductReport]:
    """Every report ``user`` may investigate, newest first; never those about ``user``."""
    if not is_investigator(user) or not isinstance(user, User):
        raise Refused(permission_refusal(user, INVESTIGATE))
    reports = MisconductReport.objects.exclude(subject=user).select_related(
        "subject", "reporter", "investigator", "case"
    )
    if state:
        reports = reports.filter(state=state)
    return reports


def reports_filed_by(user: AnyUser) -> QuerySet[MisconductReport]:
    """The reports ``user`` filed under their name (anonymous ones are nobody's)."""
    if not isinstance(user, User) or not user.is_active:
        return MisconductReport.objects.none()
    return MisconductReport.objects.filter(reporter=user, anonymous=False).exclude(subject=user)


@dataclass(frozen=True, slots=True)
class ReportView:
    report: MisconductReport
    # "investigator": everything; "reporter": what they wrote and the state.
    access: str
    notes: list[InvestigationNote]
    # Messages to and from the reporter: all of them for investigators, with their authors; a
    # named reporter reads the ones addressed to them.
    messages: list[ReporterMessage]


def report_for_user(user: AnyUser, pk: int) -> ReportView:
    """The report as ``user`` may see it, or ``Http404`` (the same answer for a report that does
    not exist, one about ``user``, and one they have no business with)."""
    if not isinstance(user, User) or not user.is_active:
        raise Http404("report not found")
    report = (
        MisconductReport.objects.select_related("subject", "reporter", "investigator", "case")
        .exclude(subject=user)
        .filter(pk=pk)
        .first()
    )
    if report is None:
        raise Http404("report not found")
    if is_investigator(user):
        notes = list(report.notes.select_related("author"))
        messages = list(report.messages.select_related("author"))
        return ReportView(report=report, access="investigator", notes=notes, messages=messages)
    if report.reporter_id == user.pk and not report.anonymous:
        to_reporter = list(report.messages.filter(from_reporter=False))
        return ReportView(report=report, access="reporter", notes=[], messages=to_reporter)
    raise Http404("report not found")


def reportable_users(reporter: AnyUser) -> QuerySet[User]:
    """The colleagues a report may be about: active users other than the reporter."""
    users = User.objects.filter(is_active=True).order_by("username")
    if isinstance(reporter, User):
        users = users.exclude(pk=reporter.pk)
    return users


@dataclass(frozen=True, slots=True)
class FollowUpMessage:
    from_reporter: bool
    body: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class FollowUpView:
    """What an anonymous reporter reads through their code: what they wrote, the state and
    when it changed, and the messages. Deliberately not the report itself, so that no page can
    reach the subject, the investigator, the notes or the outcome from it."""

    category: str
    description: str
    state: str
    state_label: str
    submitted_at: datetime
    investigation_started_at: datetime | None
    concluded_at: datetime | None
    closed_at: datetime | None
    open: bool
    messages: list[FollowUpMessage]


def report_followup_view(report: MisconductReport) -> FollowUpView:
    messages = [
        FollowUpMessage(from_reporter=m.from_reporter, body=m.body, created_at=m.created_at)
        for m in report.messages.all()
    ]
    return FollowUpView(
        category=report.get_category_display(),
        description=report.description,
        state=report.state,
        state_label=report.get_state_display(),
        submitted_at=report.submitted_at,
        investigation_started_at=report.investigation_started_at,
        concluded_at=report.concluded_at,
        closed_at=report.closed_at,
        open=report.state != ReportState.CLOSED,
        messages=messages,
    )
