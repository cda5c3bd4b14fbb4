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

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404

from autocollect.accounts.access import AnyUser, has_permission
from autocollect.accounts.models import User
from autocollect.conduct.models import InvestigationNote, MisconductReport

INVESTIGATE = "investigate_misconduct"


def is_investigator(user: AnyUser | None) -> bool:
    return has_permission(user, INVESTIGATE)


def reports_for_investigator(user: AnyUser, *, state: str = "") -> QuerySet[MisconductReport]:
    """Every report ``user`` may investigate, newest first; never those about ``user``."""
    if not is_investigator(user) or not isinstance(user, User):
        raise PermissionDenied("investigate_misconduct required")
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
        return ReportView(report=report, access="investigator", notes=notes)
    if report.reporter_id == user.pk and not report.anonymous:
        return ReportView(report=report, access="reporter", notes=[])
    raise Http404("report not found")


def reportable_users(reporter: AnyUser) -> QuerySet[User]:
    """The colleagues a report may be about: active users other than the reporter."""
    users = User.objects.filter(is_active=True).order_by("username")
    if isinstance(reporter, User):
        users = users.exclude(pk=reporter.pk)
    return users
