"""Following an anonymous report: the code is shown once and stored only as a keyed hash; the
follow-up page shows the state, its dates and the investigators' messages to the reporter, and
nothing of the investigation; a wrong code looks like no code; wrong codes are throttled; the
reporter answers through the code; nothing links the code to whoever typed it."""

from __future__ import annotations

import logging
import re
from datetime import timedelta

import pytest
from django.apps import apps
from django.contrib.sessions.models import Session
from django.core.exceptions import PermissionDenied
from django.db import models
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from autocollect.accounts.models import User
from autocollect.audit.models import AuditEvent
from autocollect.audit.services import audit_verify
from autocollect.conduct import followup
from autocollect.conduct.models import (
    Category,
    FollowUpFailure,
    MisconductReport,
    ReporterMessage,
    ReportState,
)
from autocollect.conduct.services import (
    ANONYMOUS_ACTOR,
    message_from_reporter_add,
    message_to_reporter_send,
    note_add,
    report_close,
    report_file,
    report_start_investigation,
)
from autocollect.core.errors import ApplicationError

pytestmark = pytest.mark.django_db

DESCRIPTION = "5月8日晚上10点半，他连续给借款人打了七次电话，并说“再不还就去你单位”。"
INTERNAL_NOTE = "内部记录：已调取5月8日全部录音，约谈安排在周三。"
TO_REPORTER = "感谢您的举报，我们已开始调查，必要时会在这里向您了解情况。"
CODE_SHAPE = re.compile(r"\b[0-9A-Z]{4}(?:-[0-9A-Z]{4}){4}\b")
# The CSRF token differs in every answer (masked anew each time), in forms and in the page's
# htmx headers.
# The per-page tokens (CSRF, and the one-time submission token of ui.submissions) differ on
# every page drawn; everything else must be the same.
CSRF = re.compile(
    r'name="(?:csrfmiddlewaretoken|submission_token)" value="[^"]*"|"X-CSRFToken": "[^"]*"'
)


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def file_anonymously(reporter: User, subject: User) -> tuple[MisconductReport, str]:
    report = report_file(
        reporter=reporter,
        subject=subject,
        category=Category.HARASSMENT,
        description=DESCRIPTION,
        anonymous=True,
    )
    return report, report.followup_code


def follow(client: Client, code: str, message: str = "") -> tuple[int, str]:
    response = client.post(reverse("conduct:follow"), {"code": code, "message": message})
    return response.status_code, response.content.decode()


def stored_text_containing(*needles: str) -> list[str]:
    """Every text value in the database (every model's char, text and JSON columns, the
    audit log included, and the decoded sessions) that holds one of ``needles``."""
    found = []
    for model in apps.get_models(include_auto_created=True):
        fields = [
            f.attname
            for f in model._meta.concrete_fields
            if isinstance(f, models.CharField | models.TextField | models.JSONField)
        ]
        if not fields:
            continue
        for row in model._default_manager.values_list(*fields):
            for name, value in zip(fields, row, strict=True):
                if value is not None and any(n in str(value) for n in needles):
                    found.append(f"{model._meta.label}.{name}")
    for session in Session.objects.all():
        if any(n in str(session.get_decoded()) for n in needles):
            found.append("session")
    return found


# --- the code ----------------------------------------------------------------------------------


def test_a_code_is_twenty_random_characters_in_groups_and_forgiving_to_type() -> None:
    codes = {followup.code_generate() for _ in range(200)}

    assert len(codes) == 200
    code = codes.pop()
    assert CODE_SHAPE.fullmatch(code)
    compact = code.replace("-", "")
    assert followup.code_normalise(f"  {compact.lower()} ") == compact
    assert followup.code_normalise("0ILO-" + compact[4:]) == "0110" + compact[4:]
    assert followup.code_normalise(compact[:-1]) == ""
    assert followup.code_normalise(compact[:-1] + "U") == ""  # not in the alphabet
    assert followup.code_digest(code) == followup.code_digest(compact.lower())
    assert compact not in followup.code_digest(code)


# --- filing ------------------------------------------------------------------------------------


def test_an_anonymous_filing_shows_the_code_once_and_stores_only_its_hash(
    reporter: User, subject: User
) -> None:
    client = signed_in(reporter)

    response = client.post(
        reverse("conduct:report"),
        {
            "subject": subject.pk,
            "category": Category.HARASSMENT,
            "description": DESCRIPTION,
            "anonymous": "on",
        },
    )

    assert response.status_code == 200
    page = response.content.decode()
    codes = CODE_SHAPE.findall(page)
    assert len(set(codes)) == 1
    code = codes[0]
    assert "no-store" in response["Cache-Control"]
    report = MisconductReport.objects.get()
    assert report.reporter is None
    assert report.followup_digest == followup.code_digest(code)
    # Not stored in clear anywhere: no column, no audit event, no session, no cookie.
    assert stored_text_containing(code, code.replace("-", "")) == []
    assert code not in str(client.cookies)
    assert AuditEvent.objects.get(action="conduct.report_file").actor == ANONYMOUS_ACTOR
    # Shown once: no later page shows it.
    for name in ("conduct:list", "conduct:report", "conduct:follow"):
        assert code not in client.get(reverse(name)).content.decode()


def test_a_named_reporter_gets_no_code(reporter: User, subject: User) -> None:
    client = signed_in(reporter)

    response = client.post(
        reverse("conduct:report"),
        {"subject": subject.pk, "category": Category.OTHER, "description": DESCRIPTION},
        follow=True,
    )

    report = MisconductReport.objects.get()
    assert report.followup_digest is None
    assert not CODE_SHAPE.search(response.content.decode())
    assert f'data-report="{report.pk}"' in response.content.decode()  # in their list instead
    named = report_file(
        reporter=reporter, subject=subject, category=Category.OTHER, description=DESCRIPTION
    )
    assert named.followup_code == ""


# --- following ---------------------------------------------------------------------------------


def test_following_shows_the_state_its_dates_and_the_note_to_the_reporter_only(
    reporter: User, subject: User, investigator: User
) -> None:
    report, code = file_anonymously(reporter, subject)
    report_start_investigation(report, actor=investigator)
    note_add(report, author=investigator, body=INTERNAL_NOTE)
    message_to_reporter_send(report, author=investigator, body=TO_REPORTER)

    # Typed loosely (lower case, no dashes), from any signed-in account.
    status, page = follow(signed_in(reporter), code.replace("-", "").lower())

    assert status == 200
    assert 'data-result="found"' in page
    assert "调查中" in page
    started = timezone.localtime(report.investigation_started_at or timezone.now())
    assert started.strftime("%Y-%m-%d") in page
    assert DESCRIPTION.split("，")[0] in page  # what the reporter wrote
    assert TO_REPORTER in page
    assert INTERNAL_NOTE not in page
    assert investigator.username not in page
    assert subject.username not in page


def test_a_wrong_code_gets_the_same_answer_as_no_code(reporter: User, subject: User) -> None:
    _, code = file_anonymously(reporter, subject)
    client = signed_in(reporter)
    wrong = followup.code_generate()
    assert wrong != code

    answers = {
        label: follow(client, value)
        for label, value in {
            "empty": "",
            "wrong": wrong,
            "one character off": code[:-1] + ("0" if code[-1] != "0" else "1"),
            "garbage": "not a code at all",
        }.items()
    }

    statuses = {status for status, _ in answers.values()}
    bodies = {CSRF.sub("", page) for _, page in answers.values()}
    assert statuses == {200}
    assert len(bodies) == 1
    assert 'data-result="not-found"' in bodies.pop()


def test_wrong_codes_are_throttled_per_user_for_a_cool_down(
    reporter: User, subject: User, bystander: User
) -> None:
    _, code = file_anonymously(reporter, subject)
    guesser = signed_in(bystander)

    for _ in range(followup.FAILURE_LIMIT):
        status, _page = follow(guesser, followup.code_generate())
        assert status == 200

    # Now even the right code is not looked at.
    status, page = follow(guesser, code)
    assert status == 429
    assert 'data-result="throttled"' in page
    assert DESCRIPTION not in page
    # Another user is not held back by the guesser's failures.
    status, page = follow(signed_in(reporter), code)
    assert (status, 'data-result="found"' in page) == (200, True)
    # After the cool-down the failures are forgotten (and deleted).
    FollowUpFailure.objects.update(at=timezone.now() - followup.COOL_DOWN - timedelta(seconds=1))
    status, page = follow(guesser, code)
    assert (status, 'data-result="found"' in page) == (200, True)
    assert not FollowUpFailure.objects.exists()


def test_a_right_code_leaves_no_trace_of_who_typed_it(
    reporter: User, subject: User, caplog: pytest.LogCaptureFixture
) -> None:
    _, code = file_anonymously(reporter, subject)
    client = signed_in(reporter)
    events = AuditEvent.objects.count()

    with caplog.at_level(logging.DEBUG):
        status, _page = follow(client, code)

    assert status == 200
    assert AuditEvent.objects.count() == events
    assert not FollowUpFailure.objects.exists()
    assert reporter.username not in caplog.text


# --- messages ----------------------------------------------------------------------------------


def test_the_reporter_answers_through_the_code_audited_as_anonymous(
    reporter: User, subject: User, investigator: User
) -> None:
    report, code = file_anonymously(reporter, subject)
    message_to_reporter_send(report, author=investigator, body="请问当时借款人是否在场？")

    status, page = follow(signed_in(reporter), code, message="在场，借款人的同事也听到了。")

    assert status == 200
    sent = ReporterMessage.objects.get(from_reporter=True)
    assert (sent.report, sent.author) == (report, None)
    assert "借款人的同事也听到了" in page
    event = AuditEvent.objects.get(action="conduct.message_from_reporter")
    assert event.actor == ANONYMOUS_ACTOR
    assert reporter.username not in str(event.after)
    assert not AuditEvent.objects.filter(
        actor=reporter.username, action__startswith="conduct."
    ).exists()
    assert audit_verify().ok
    # The investigators read it beside their own message, with their author.
    detail = signed_in(investigator).get(reverse("conduct:detail", args=[report.pk]))
    assert "借款人的同事也听到了" in detail.content.decode()
    assert "compliance.chen 致举报人" in detail.content.decode()


def test_a_wrong_code_adds_no_message(reporter: User, subject: User) -> None:
    file_anonymously(reporter, subject)

    status, page = follow(signed_in(reporter), followup.code_generate(), message="补充")

    assert (status, 'data-result="not-found"' in page) == (200, True)
    assert not ReporterMessage.objects.exists()
    assert message_from_reporter_add(user=reporter, code="", body="补充") is None


def test_a_closed_report_takes_no_message_from_the_reporter(
    reporter: User, subject: User, investigator: User
) -> None:
    report, code = file_anonymously(reporter, subject)
    report_close(report, actor=investigator, outcome="重复举报，已并入另一份。")

    with pytest.raises(ApplicationError, match="已结案"):
        message_from_reporter_add(user=reporter, code=code, body="还有一件事")

    # The investigators may still tell the reporter how it ended.
    message_to_reporter_send(report, author=investigator, body="已结案，感谢。")
    status, page = follow(signed_in(reporter), code, message="还有一件事")
    assert status == 200
    assert "已结案，感谢。" in page
    assert "举报已结案，不能再留言" in page
    assert ReporterMessage.objects.filter(from_reporter=True).count() == 0


def test_investigators_send_messages_from_the_detail_page_audited(
    reporter: User, subject: User, investigator: User
) -> None:
    report, _ = file_anonymously(reporter, subject)

    response = signed_in(investigator).post(
        reverse("conduct:message", args=[report.pk]), {"body": TO_REPORTER}
    )

    assert response.status_code == 302
    message = ReporterMessage.objects.get()
    assert (message.author, message.from_reporter, message.body) == (
        investigator,
        False,
        TO_REPORTER,
    )
    event = AuditEvent.objects.get(action="conduct.message_to_reporter")
    assert event.actor == investigator.username
    assert TO_REPORTER not in str(event.after)  # the text stays in its row; the log has its hash
    assert report.notes.count() == 0  # not an internal note


def test_only_an_investigator_free_of_conflict_writes_to_the_reporter(
    reporter: User, subject: User, bystander: User, investigator: User
) -> None:
    report = report_file(
        reporter=reporter, subject=subject, category=Category.OTHER, description=DESCRIPTION
    )
    about_investigator = report_file(
        reporter=reporter, subject=investigator, category=Category.OTHER, description=DESCRIPTION
    )

    with pytest.raises(PermissionDenied):
        message_to_reporter_send(report, author=bystander, body="x")
    with pytest.raises(PermissionDenied):
        message_to_reporter_send(about_investigator, author=investigator, body="x")
    assert signed_in(bystander).post(
        reverse("conduct:message", args=[report.pk]), {"body": "x"}
    ).status_code in (403, 404)
    assert not ReporterMessage.objects.exists()


def test_a_named_reporter_reads_the_messages_to_them_on_their_report(
    reporter: User, subject: User, investigator: User
) -> None:
    report = report_file(
        reporter=reporter, subject=subject, category=Category.OTHER, description=DESCRIPTION
    )
    note_add(report, author=investigator, body=INTERNAL_NOTE)
    message_to_reporter_send(report, author=investigator, body=TO_REPORTER)

    page = signed_in(reporter).get(reverse("conduct:detail", args=[report.pk])).content.decode()

    assert TO_REPORTER in page
    assert INTERNAL_NOTE not in page
    assert investigator.username not in page
    assert report.state == ReportState.SUBMITTED
