"""The misconduct pages: anyone signed in reports; compliance lists, reads and acts; the subject
never sees a report about them; a reporter sees the state of their named reports."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import reverse

from autocollect.accounts.models import User
from autocollect.conduct.models import Category, MisconductReport, ReportState
from autocollect.conduct.services import note_add, report_file
from tests.scripts.conftest import make_case

pytestmark = pytest.mark.django_db

DESCRIPTION = "4月2日的通话中，他告诉借款人的同事“你同事欠钱不还”。"


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def filed(reporter: User, subject: User, *, anonymous: bool = False) -> MisconductReport:
    return report_file(
        reporter=reporter,
        subject=subject,
        category=Category.THIRD_PARTY_DISCLOSURE,
        description=DESCRIPTION,
        anonymous=anonymous,
    )


def test_the_pages_ask_for_a_login() -> None:
    for name in ("conduct:report", "conduct:list"):
        response = Client().get(reverse(name))
        assert response.status_code == 302
        assert "login" in response["Location"]


def test_any_user_reports_a_colleague_from_the_form(reporter: User, subject: User) -> None:
    client = signed_in(reporter)
    case = make_case()
    form = client.get(reverse("conduct:report")).content.decode()
    assert "collector.wu" in form
    assert f'value="{reporter.pk}"' not in form  # nobody reports themselves

    response = client.post(
        reverse("conduct:report"),
        {
            "subject": subject.pk,
            "category": Category.THIRD_PARTY_DISCLOSURE,
            "case_id": case.pk,
            "description": DESCRIPTION,
        },
    )

    assert response.status_code == 302
    report = MisconductReport.objects.get()
    assert (report.reporter, report.subject, report.case) == (reporter, subject, case)
    listing = client.get(reverse("conduct:list")).content.decode()
    assert f'data-report="{report.pk}"' in listing
    assert "已提交" in listing


def test_an_anonymous_report_from_the_form_is_not_listed_for_its_reporter(
    reporter: User, subject: User
) -> None:
    client = signed_in(reporter)

    response = client.post(
        reverse("conduct:report"),
        {
            "subject": subject.pk,
            "category": Category.OTHER,
            "description": DESCRIPTION,
            "anonymous": "on",
        },
    )

    report = MisconductReport.objects.get()
    assert report.reporter is None
    assert "查询码" in response.content.decode()  # the code: tests/conduct/test_followup.py
    listing = client.get(reverse("conduct:list")).content.decode()
    assert f'data-report="{report.pk}"' not in listing
    assert client.get(reverse("conduct:detail", args=[report.pk])).status_code == 404


def test_an_unknown_case_number_is_refused(reporter: User, subject: User) -> None:
    response = signed_in(reporter).post(
        reverse("conduct:report"),
        {"subject": subject.pk, "category": "other", "case_id": 987654, "description": "x"},
    )

    assert response.status_code == 200
    assert "没有这个案件编号" in response.content.decode()
    assert not MisconductReport.objects.exists()


def test_compliance_lists_reads_and_acts(reporter: User, subject: User, investigator: User) -> None:
    report = filed(reporter, subject)
    client = signed_in(investigator)

    listing = client.get(reverse("conduct:list")).content.decode()
    assert f'data-report="{report.pk}"' in listing
    page = client.get(reverse("conduct:detail", args=[report.pk])).content.decode()
    assert DESCRIPTION in page
    assert "collector.zhou" in page  # named report: compliance sees the reporter

    client.post(
        reverse("conduct:transition", args=[report.pk]),
        {"to_state": ReportState.UNDER_INVESTIGATION},
    )
    client.post(reverse("conduct:note", args=[report.pk]), {"body": "已调取录音。"})
    client.post(
        reverse("conduct:transition", args=[report.pk]),
        {"to_state": ReportState.UNSUBSTANTIATED, "outcome": "录音中没有相关内容。"},
    )

    report.refresh_from_db()
    assert (report.state, report.investigator, report.outcome) == (
        ReportState.UNSUBSTANTIATED,
        investigator,
        "录音中没有相关内容。",
    )
    assert report.notes.get().body == "已调取录音。"


def test_a_forbidden_transition_from_the_page_is_refused_with_the_403_page(
    reporter: User, subject: User, investigator: User
) -> None:
    report = filed(reporter, subject)

    response = signed_in(investigator).post(
        reverse("conduct:transition", args=[report.pk]),
        {"to_state": ReportState.SUBSTANTIATED, "outcome": "属实"},
    )

    report.refresh_from_db()
    assert report.state == ReportState.SUBMITTED
    assert response.status_code == 403
    assert "举报当前为“已提交”，不能变为“查证属实”" in response.content.decode()


def test_the_subject_in_compliance_cannot_see_or_touch_the_report(
    reporter: User, investigator: User
) -> None:
    report = filed(reporter, investigator)
    client = signed_in(investigator)

    assert f'data-report="{report.pk}"' not in client.get(reverse("conduct:list")).content.decode()
    assert client.get(reverse("conduct:detail", args=[report.pk])).status_code == 404
    response = client.post(
        reverse("conduct:transition", args=[report.pk]),
        {"to_state": ReportState.CLOSED, "outcome": "无"},
    )
    assert response.status_code == 404
    assert client.post(reverse("conduct:note", args=[report.pk]), {"body": "x"}).status_code == 404
    report.refresh_from_db()
    assert report.state == ReportState.SUBMITTED
    assert not report.notes.exists()


def test_collectors_cannot_list_read_or_act(
    reporter: User, subject: User, bystander: User, investigator: User
) -> None:
    report = filed(reporter, subject)
    note_add(report, author=investigator, body="内部调查记录")

    for user in (subject, bystander):
        client = signed_in(user)
        listing = client.get(reverse("conduct:list")).content.decode()
        assert f'data-report="{report.pk}"' not in listing
        assert client.get(reverse("conduct:detail", args=[report.pk])).status_code == 404
        response = client.post(
            reverse("conduct:transition", args=[report.pk]),
            {"to_state": ReportState.CLOSED, "outcome": "x"},
        )
        assert response.status_code == 403
    # The reporter reads what they wrote and the state, not the investigation.
    page = signed_in(reporter).get(reverse("conduct:detail", args=[report.pk])).content.decode()
    assert "已提交" in page
    assert "内部调查记录" not in page
    assert 'data-field="subject"' not in page


def test_reports_are_not_in_the_admin_site() -> None:
    # The admin would show every report to any administrator, the subject included.
    assert MisconductReport not in admin.site._registry
