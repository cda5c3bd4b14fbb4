"""A form sent twice does its work once (autocollect/ui/submissions.py).

The finding (issue 13): the same promise submitted twice, one after the other or in parallel,
created two pending promises and two interactions."""

from __future__ import annotations

import re
import threading
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from autocollect.cases.models import Interaction, OutcomeCode, Promise
from autocollect.core import clock
from autocollect.ui.models import SubmissionClaim
from autocollect.ui.submissions import STALE_SECONDS
from autocollect.workbench.clock import OVERRIDE_COOKIE
from tests.workbench.conftest import World, build_world


@pytest.fixture
def world(db: None) -> World:
    return build_world()


@pytest.fixture(autouse=True)
def clock_override(settings: Any) -> None:
    settings.AUTOCOLLECT_ALLOW_CLOCK_OVERRIDE = True


def _client(world: World) -> Client:
    client = Client()
    client.force_login(world.collector)
    client.cookies[OVERRIDE_COOKIE] = world.morning.isoformat()
    return client


def _token(client: Client, world: World) -> str:
    page = client.get(f"/cases/{world.case.pk}/").content.decode()
    form = re.search(r'<form[^>]*action="/cases/\d+/log/".*?</form>', page, re.S)
    assert form, "the case page has the log form"
    match = re.search(r'name="submission_token" value="([0-9a-f]{32})"', form.group(0))
    assert match, "the log form carries a submission token"
    return match.group(1)


def _promise_form(world: World, token: str, **overrides: Any) -> dict[str, Any]:
    day = world.morning.date()
    data: dict[str, Any] = {
        "submission_token": token,
        "contact": world.mobile.pk,
        "channel": "call",
        "outcome": "answered",
        "right_party": "on",
        "code": OutcomeCode.PROMISE_TO_PAY,
        "promise_amount": "1500.50",
        "promise_due_on": (day + timedelta(days=2)).isoformat(),
        "next_follow_up_on": (day + timedelta(days=3)).isoformat(),
        "notes": "同意分两次还款",
    }
    data.update(overrides)
    return data


@pytest.mark.django_db
def test_the_same_promise_sent_twice_is_logged_once_and_the_repeat_shows_the_first_result(
    world: World,
) -> None:
    client = _client(world)
    token = _token(client, world)
    url = f"/cases/{world.case.pk}/log/"

    first = client.post(url, _promise_form(world, token))
    second = client.post(url, _promise_form(world, token))

    assert first.status_code == 302
    assert second.status_code == 302
    assert second["Location"] == first["Location"] == f"/cases/{world.case.pk}/#history"
    assert Promise.objects.count() == 1
    assert Interaction.objects.count() == 1
    page = client.get(second["Location"]).content.decode()
    assert "此表单已经提交过，未重复处理" in page


@pytest.mark.django_db
def test_two_forms_drawn_separately_are_two_submissions(world: World) -> None:
    client = _client(world)
    url = f"/cases/{world.case.pk}/log/"
    no_answer = {"outcome": "no_answer", "right_party": "", "code": OutcomeCode.NOT_REACHED}
    for _ in range(2):
        form = _promise_form(world, _token(client, world), **no_answer)
        form.pop("promise_amount")
        form.pop("promise_due_on")
        assert client.post(url, form).status_code == 302
    assert Interaction.objects.count() == 2


@pytest.mark.django_db
def test_a_form_drawn_again_with_its_errors_can_be_sent_with_the_same_token(
    world: World,
) -> None:
    client = _client(world)
    token = _token(client, world)
    url = f"/cases/{world.case.pk}/log/"

    refused = client.post(url, _promise_form(world, token, promise_amount=""))
    corrected = client.post(url, _promise_form(world, token))

    assert refused.status_code == 422
    assert corrected.status_code == 302
    assert Promise.objects.count() == 1


@pytest.mark.django_db
def test_a_token_used_on_another_page_is_refused_there(world: World) -> None:
    client = _client(world)
    token = _token(client, world)
    assert (
        client.post(f"/cases/{world.case.pk}/log/", _promise_form(world, token)).status_code == 302
    )

    other = client.post(
        f"/cases/{world.case.pk}/reassign/",
        {"submission_token": token, "agent": world.colleague.pk},
    )

    assert other.status_code == 409
    assert "令牌属于另一页面" in other.content.decode()


@pytest.mark.django_db
def test_a_claim_left_by_a_dead_request_is_taken_over_after_a_minute(
    world: World,
) -> None:
    client = _client(world)
    token = _token(client, world)
    url = f"/cases/{world.case.pk}/log/"
    SubmissionClaim.objects.create(
        user_id=world.collector.pk,
        token=token,
        path=url,
        claimed_at=clock.now() - timedelta(seconds=STALE_SECONDS + 5),
    )

    assert client.post(url, _promise_form(world, token)).status_code == 302
    assert Promise.objects.count() == 1
    assert SubmissionClaim.objects.get(token=token).done


@pytest.mark.django_db(transaction=True)
def test_the_same_promise_sent_twice_in_parallel_is_logged_once() -> None:
    built = build_world()
    token = _token(_client(built), built)
    url = f"/cases/{built.case.pk}/log/"
    barrier = threading.Barrier(2)
    statuses: list[int] = []

    def send() -> None:
        try:
            client = _client(built)
            barrier.wait()
            statuses.append(client.post(url, _promise_form(built, token)).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert statuses == [302, 302]
    assert Promise.objects.count() == 1
    assert Interaction.objects.count() == 1
