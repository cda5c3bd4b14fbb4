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

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from autocollect.accounts.access import has_permission
from autocollect.accounts.models import User
from autocollect.audit.services import audit_record
from autocollect.cases.models import CollectionCase
from autocollect.conduct.models import Category, InvestigationNote, MisconductReport, ReportState
from autocollect.core.errors import ApplicationError

INVESTIGATE = "investigate_misconduct"
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
        raise ApplicationError(f"{field}: required")
    if len(cleaned) > MAX_TEXT:
        raise ApplicationError(f"{field}: at most {MAX_TEXT} characters")
    return cleaned


def allowed_transitions(report: MisconductReport) -> frozenset[str]:
    return TRANSITIONS[report.state]


def _require_investigator(actor: User, report: MisconductReport) -> None:
    """Only compliance acts on a report, never on one about themselves, and never on one they
    filed under their name (a conflict of interest either way)."""
    if not has_permission(actor, INVESTIGATE):
        raise PermissionDenied("investigate_misconduct required")
    if report.subject_id == actor.pk:
        raise PermissionDenied("a report about you is investigated by someone else")
    if report.reporter_id is not None and report.reporter_id == actor.pk:
        raise PermissionDenied("a report you filed is investigated by someone else")


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
    stores no reporter, and its audit event names no actor."""
    if not reporter.is_authenticated or not reporter.is_active:
        raise PermissionDenied("sign in to report")
    if subject.pk == reporter.pk:
        raise ApplicationError("subject: you cannot report yourself")
    if category not in Category.values:
        raise ApplicationError(f"category: unknown category {category!r}")
    text = _clean_text(description, field="description")
    report = MisconductReport.objects.create(
        reporter=None if anonymous else reporter,
        anonymous=anonymous,
        subject=subject,
        case=case,
        category=category,
        description=text,
        submitted_at=timezone.now(),
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
    return report


@transaction.atomic
def report_transition(
    report: MisconductReport, *, actor: User, to_state: str, outcome: str = ""
) -> MisconductReport:
    """Move ``report`` to ``to_state``. Starting an investigation makes the actor its
    investigator; a conclusion, or closing without one, needs an outcome (what was decided
    and why). Forbidden transitions raise ``ApplicationError``."""
    locked = MisconductReport.objects.select_for_update().get(pk=report.pk)
    _require_investigator(actor, locked)
    before = locked.state
    if to_state not in ReportState.values:
        raise ApplicationError(f"state: unknown state {to_state!r}")
    if to_state not in TRANSITIONS[before]:
        raise ApplicationError(
            f"state: a report cannot go from {ReportState(before).label} "
            f"to {ReportState(to_state).label}"
        )
    needs_outcome = (before, to_state) in NEEDS_OUTCOME
    text = _clean_text(outcome, field="outcome", required=needs_outcome)
    now = timezone.now()
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
    _require_investigator(author, locked)
    if locked.state == ReportState.CLOSED:
        raise ApplicationError("state: a closed report takes no more notes")
    text = _clean_text(body, field="body")
    note = InvestigationNote.objects.create(report=locked, author=author, body=text)
    audit_record(
        actor=author.get_username(),
        action="conduct.note_add",
        obj=locked,
        after={"note_id": note.pk, "body_sha256": _digest(text)},
    )
    return note
