"""The misconduct channel: filing (named or anonymous), the investigation's state machine, notes,
who sees what, and the audit trail."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from autocollect.accounts.models import User
from autocollect.audit.models import AuditEvent
from autocollect.audit.services import audit_verify
from autocollect.conduct.models import Category, MisconductReport, ReportState
from autocollect.conduct.selectors import (
    report_for_user,
    reports_filed_by,
    reports_for_investigator,
)
from autocollect.conduct.services import (
    ANONYMOUS_ACTOR,
    TRANSITIONS,
    note_add,
    report_close,
    report_conclude,
    report_file,
    report_start_investigation,
    report_transition,
)
from autocollect.core.errors import ApplicationError, Refused

pytestmark = pytest.mark.django_db

S = ReportState


def file(reporter: User, subject: User, *, anonymous: bool = False) -> MisconductReport:
    return report_file(
        reporter=reporter,
        subject=subject,
        category=Category.THREAT_ABUSE,
        description="3月5日下午的通话中，他对借款人说“不还钱就上门找你家人”。",
        anonymous=anonymous,
    )


def test_a_named_report_records_the_reporter_and_is_audited(reporter: User, subject: User) -> None:
    report = file(reporter, subject)

    assert (report.reporter, report.subject, report.state) == (reporter, subject, S.SUBMITTED)
    event = AuditEvent.objects.get(action="conduct.report_file")
    assert event.actor == "collector.zhou"
    assert event.object_id == str(report.pk)
    after = event.after or {}
    assert after["subject_id"] == subject.pk
    assert after["anonymous"] is False
    assert len(after["description_sha256"]) == 64


def test_an_anonymous_report_leaves_no_trace_of_the_reporter(reporter: User, subject: User) -> None:
    report = file(reporter, subject, anonymous=True)

    report.refresh_from_db()
    assert report.reporter_id is None
    assert report.anonymous
    # The audit trail shows that a report was filed, by nobody in particular.
    event = AuditEvent.objects.get(action="conduct.report_file")
    assert event.actor == ANONYMOUS_ACTOR
    stored = json.dumps(
        [
            [e.actor, e.before, e.after, e.reason]
            for e in AuditEvent.objects.filter(object_type__startswith="conduct.")
        ],
        ensure_ascii=False,
    )
    assert "collector.zhou" not in stored
    assert set(event.after or {}) == {
        "subject_id",
        "category",
        "case_id",
        "anonymous",
        "description_sha256",
    }
    assert not reports_filed_by(reporter).exists()


def test_nobody_reports_themselves(reporter: User) -> None:
    with pytest.raises(ApplicationError, match="不能举报自己"):
        file(reporter, reporter)

    assert not MisconductReport.objects.exists()


def test_an_empty_description_is_refused(reporter: User, subject: User) -> None:
    with pytest.raises(ApplicationError, match="举报内容"):
        report_file(reporter=reporter, subject=subject, category="other", description="   ")


def test_the_investigation_runs_from_submitted_to_closed_audited(
    reporter: User, subject: User, investigator: User
) -> None:
    report = file(reporter, subject)

    report_start_investigation(report, actor=investigator)
    assert (report.state, report.investigator) == (S.UNDER_INVESTIGATION, investigator)
    assert report.investigation_started_at is not None
    note_add(report, author=investigator, body="调取了3月5日的通话录音，内容属实。")
    report_conclude(report, actor=investigator, substantiated=True, outcome="警告，重新培训。")
    assert (report.state, report.outcome) == (S.SUBSTANTIATED, "警告，重新培训。")
    assert report.concluded_at is not None
    report_close(report, actor=investigator, outcome="培训已完成。")

    assert report.state == S.CLOSED
    assert report.closed_at is not None
    assert report.outcome == "警告，重新培训。\n\n培训已完成。"
    transitions = AuditEvent.objects.filter(action="conduct.report_transition").order_by("id")
    assert [((e.before or {})["state"], (e.after or {})["state"]) for e in transitions] == [
        (S.SUBMITTED, S.UNDER_INVESTIGATION),
        (S.UNDER_INVESTIGATION, S.SUBSTANTIATED),
        (S.SUBSTANTIATED, S.CLOSED),
    ]
    assert {e.actor for e in transitions} == {"compliance.chen"}
    assert AuditEvent.objects.filter(action="conduct.note_add").count() == 1
    assert audit_verify().ok


ALLOWED = {(src, dst) for src, targets in TRANSITIONS.items() for dst in targets}
FORBIDDEN = sorted((src, dst) for src in S.values for dst in S.values if (src, dst) not in ALLOWED)


def test_the_transition_table_is_the_documented_one() -> None:
    assert {
        (S.SUBMITTED, S.UNDER_INVESTIGATION),
        (S.SUBMITTED, S.CLOSED),
        (S.UNDER_INVESTIGATION, S.SUBSTANTIATED),
        (S.UNDER_INVESTIGATION, S.UNSUBSTANTIATED),
        (S.UNDER_INVESTIGATION, S.CLOSED),
        (S.SUBSTANTIATED, S.CLOSED),
        (S.UNSUBSTANTIATED, S.CLOSED),
    } == ALLOWED


@pytest.mark.parametrize(("source", "target"), FORBIDDEN)
def test_a_forbidden_transition_raises_and_changes_nothing(
    reporter: User, subject: User, investigator: User, source: str, target: str
) -> None:
    report = file(reporter, subject)
    MisconductReport.objects.filter(pk=report.pk).update(state=source)
    report.refresh_from_db()
    events = AuditEvent.objects.count()

    with pytest.raises(Refused, match="不能变为"):
        report_transition(report, actor=investigator, to_state=target, outcome="结论")

    report.refresh_from_db()
    assert report.state == source
    assert AuditEvent.objects.count() == events


@pytest.mark.parametrize(
    ("source", "target"),
    [
        (S.UNDER_INVESTIGATION, S.SUBSTANTIATED),
        (S.UNDER_INVESTIGATION, S.UNSUBSTANTIATED),
        (S.UNDER_INVESTIGATION, S.CLOSED),
        (S.SUBMITTED, S.CLOSED),
    ],
)
def test_a_conclusion_or_dismissal_needs_an_outcome(
    reporter: User, subject: User, investigator: User, source: str, target: str
) -> None:
    report = file(reporter, subject)
    MisconductReport.objects.filter(pk=report.pk).update(state=source)

    with pytest.raises(ApplicationError, match="处理结论"):
        report_transition(report, actor=investigator, to_state=target, outcome=" ")

    report.refresh_from_db()
    assert report.state == source


def test_only_an_investigator_acts_on_a_report(
    reporter: User, subject: User, bystander: User
) -> None:
    report = file(reporter, subject)

    with pytest.raises(PermissionDenied):
        report_start_investigation(report, actor=bystander)
    with pytest.raises(PermissionDenied):
        note_add(report, author=bystander, body="…")
    with pytest.raises(PermissionDenied):
        reports_for_investigator(bystander)
    report.refresh_from_db()
    assert report.state == S.SUBMITTED


def test_compliance_cannot_investigate_a_report_about_them_or_filed_by_them(
    reporter: User, investigator: User, other_investigator: User
) -> None:
    about_them = file(reporter, investigator)
    filed_by_them = file(investigator, reporter)

    with pytest.raises(PermissionDenied):
        report_start_investigation(about_them, actor=investigator)
    with pytest.raises(PermissionDenied):
        report_start_investigation(filed_by_them, actor=investigator)
    # A colleague in compliance takes both.
    report_start_investigation(about_them, actor=other_investigator)
    report_start_investigation(filed_by_them, actor=other_investigator)
    assert about_them.investigator == filed_by_them.investigator == other_investigator


def test_a_closed_report_takes_no_more_notes(
    reporter: User, subject: User, investigator: User
) -> None:
    report = file(reporter, subject)
    report_close(report, actor=investigator, outcome="与第12号举报重复。")

    with pytest.raises(Refused, match="已结案"):
        note_add(report, author=investigator, body="补充")


# --- who sees what --------------------------------------------------------------------------


def test_the_subject_never_sees_a_report_about_them_even_in_compliance(
    reporter: User, investigator: User, other_investigator: User
) -> None:
    about_investigator = file(reporter, investigator)
    about_other = file(reporter, other_investigator)

    assert list(reports_for_investigator(investigator)) == [about_other]
    with pytest.raises(Http404):
        report_for_user(investigator, about_investigator.pk)
    assert report_for_user(other_investigator, about_investigator.pk).access == "investigator"


def test_a_reporter_sees_the_state_of_their_named_reports_only(
    reporter: User, subject: User, bystander: User, investigator: User
) -> None:
    named = file(reporter, subject)
    anonymous = file(reporter, subject, anonymous=True)
    note_add(named, author=investigator, body="内部记录")

    view = report_for_user(reporter, named.pk)

    assert view.access == "reporter"
    assert view.notes == []  # the investigation is not the reporter's to read
    assert list(reports_filed_by(reporter)) == [named]
    with pytest.raises(Http404):
        report_for_user(reporter, anonymous.pk)
    for outsider in (bystander, subject):
        with pytest.raises(Http404):
            report_for_user(outsider, named.pk)


def test_an_unknown_report_is_a_404_like_a_hidden_one(investigator: User) -> None:
    with pytest.raises(Http404):
        report_for_user(investigator, 999_999)


def test_investigators_filter_by_state(
    reporter: User, subject: User, bystander: User, investigator: User
) -> None:
    first = file(reporter, subject)
    second = file(bystander, subject)
    report_start_investigation(second, actor=investigator)

    assert list(reports_for_investigator(investigator, state=S.SUBMITTED)) == [first]
    assert list(reports_for_investigator(investigator, state=S.UNDER_INVESTIGATION)) == [second]
