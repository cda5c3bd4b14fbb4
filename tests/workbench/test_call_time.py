"""Logging a call with its start time (issue 14): the collector types when the call began, on
their own clock (``TIME_ZONE``, Asia/Shanghai); blank means now; a time in the future or older
than the logging window is refused beside the field; the contact gate judges the call at its
start time, not at the moment of logging. Every "now" here is the test clock (the override
cookie), never the real time of day."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.test import Client

from autocollect.cases.models import CaseOutcome, Interaction, OutcomeCode
from autocollect.workbench.clock import OVERRIDE_COOKIE
from tests.workbench.conftest import World, shanghai

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def clock_override(settings: Any) -> None:
    settings.AUTOCOLLECT_ALLOW_CLOCK_OVERRIDE = True


def login(client: Client, world: World, at: datetime) -> Client:
    client.force_login(world.collector)
    client.cookies[OVERRIDE_COOKIE] = at.isoformat()
    return client


def typed(moment: datetime) -> str:
    """What a ``datetime-local`` input sends: the wall clock in Shanghai, no zone."""
    return moment.strftime("%Y-%m-%dT%H:%M")


def post(client: Client, world: World, started_at: str | None) -> Any:
    data: dict[str, Any] = {
        "contact": world.mobile.pk,
        "channel": "call",
        "outcome": "answered",
        "right_party": "on",
        "code": OutcomeCode.CALLBACK,
        "notes": "约好明天再谈",
    }
    if started_at is not None:
        data["started_at"] = started_at
    return client.post(f"/cases/{world.case.pk}/log/", data)


def field_errors(response: Any) -> str:
    page = response.content.decode()
    match = re.search(
        r'<div class="errors" role="alert" id="started-at-errors">(.*?)</div>', page, re.S
    )
    assert match, "no error beside the call time field"
    return match.group(1)


def test_a_call_made_at_2130_is_logged_at_2240_with_its_start_time(
    client: Client, world: World
) -> None:
    login(client, world, shanghai(world.morning, 22, 40))
    response = post(client, world, typed(shanghai(world.morning, 21, 30)))

    assert response.status_code == 302, response.content.decode()[-2000:]
    interaction = Interaction.objects.get()
    assert interaction.at == shanghai(world.morning, 21, 30)
    assert CaseOutcome.objects.get().interaction == interaction


def test_a_call_claimed_at_2230_is_blocked_by_the_gate_and_nothing_is_logged(
    client: Client, world: World
) -> None:
    login(client, world, shanghai(world.morning, 22, 40))
    response = post(client, world, typed(shanghai(world.morning, 22, 30)))

    assert response.status_code == 422
    page = response.content.decode()
    assert 'id="blocked-message"' in page
    assert "cn.window" in page
    assert "22:00" in page  # the window's reason
    assert not Interaction.objects.exists()
    assert not CaseOutcome.objects.exists()


def test_a_start_time_in_the_future_is_refused_beside_the_field(
    client: Client, world: World
) -> None:
    login(client, world, world.morning)
    response = post(client, world, typed(world.morning + timedelta(minutes=5)))

    assert response.status_code == 422
    assert "不能晚于当前时间" in field_errors(response)
    assert not Interaction.objects.exists()


def test_a_minute_ahead_is_tolerated(client: Client, world: World) -> None:
    login(client, world, world.morning)
    response = post(client, world, typed(world.morning + timedelta(minutes=1)))

    assert response.status_code == 302
    assert Interaction.objects.get().at == world.morning + timedelta(minutes=1)


def test_a_blank_start_time_means_now(client: Client, world: World) -> None:
    login(client, world, world.morning + timedelta(seconds=17))
    response = post(client, world, "")

    assert response.status_code == 302
    assert Interaction.objects.get().at == world.morning + timedelta(seconds=17)


def test_the_field_is_prefilled_with_now_on_the_collectors_clock(
    client: Client, world: World
) -> None:
    login(client, world, world.morning + timedelta(seconds=42))
    page = client.get(f"/cases/{world.case.pk}/").content.decode()

    field = re.search(r'<input type="datetime-local" name="started_at"[^>]*>', page)
    assert field, "no call time input"
    assert f'value="{typed(world.morning)}"' in field.group(0)
    assert 'max="' in field.group(0)
    assert "通话开始时间" in page

    # Sent back as shown, it logs the call at the minute shown.
    response = post(client, world, typed(world.morning))
    assert response.status_code == 302
    assert Interaction.objects.get().at == world.morning


def test_a_start_time_older_than_the_window_is_refused(client: Client, world: World) -> None:
    login(client, world, world.morning)
    response = post(client, world, typed(world.morning - timedelta(days=7, minutes=1)))

    assert response.status_code == 422
    assert "7" in field_errors(response)
    assert not Interaction.objects.exists()

    response = post(client, world, typed(world.morning - timedelta(days=6, hours=23)))
    assert response.status_code == 302


def test_the_window_is_a_setting(client: Client, world: World, settings: Any) -> None:
    settings.AUTOCOLLECT = {**settings.AUTOCOLLECT, "CALL_LOG_MAX_DAYS": 1}
    login(client, world, world.morning)
    response = post(client, world, typed(world.morning - timedelta(days=2)))

    assert response.status_code == 422
    assert "1" in field_errors(response)


@pytest.mark.parametrize(
    "raw", ["0001-01-01T00:00", "9999-12-31T23:59", "2026-13-01T10:00", "昨天", "10:00"]
)
def test_implausible_start_times_are_a_form_error_not_a_500(
    client: Client, world: World, raw: str
) -> None:
    login(client, world, world.morning)
    response = post(client, world, raw)

    assert response.status_code == 422
    field_errors(response)
    assert not Interaction.objects.exists()
