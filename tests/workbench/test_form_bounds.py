"""The outcome form reads the promise amount with core.money's strict parser and keeps the
promise and follow-up dates in their plausible windows (core.bounds): each refusal is shown
beside its field, and nothing is logged."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import translation

from autocollect.cases.models import CaseOutcome, OutcomeCode, Promise
from autocollect.core import clock
from autocollect.workbench.clock import OVERRIDE_COOKIE
from autocollect.workbench.forms import OutcomeForm
from tests.workbench.conftest import World

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def clock_override(settings: Any) -> None:
    settings.AUTOCOLLECT_ALLOW_CLOCK_OVERRIDE = True


def _data(**overrides: str) -> dict[str, str]:
    today = clock.localdate()
    data = {
        "contact": "1",
        "channel": "call",
        "outcome": "answered",
        "right_party": "on",
        "code": OutcomeCode.PROMISE_TO_PAY,
        "promise_amount": "1,500.50",
        "promise_due_on": (today + timedelta(days=2)).isoformat(),
        "next_follow_up_on": (today + timedelta(days=3)).isoformat(),
        "notes": "",
    }
    data.update(overrides)
    return data


def _errors(**overrides: str) -> dict[str, list[str]]:
    with translation.override("en"):
        form = OutcomeForm(_data(**overrides), contacts=[(1, "138****5678")])
        form.is_valid()
        return {name: [str(e) for e in errors] for name, errors in form.errors.items()}


def test_a_valid_form_gives_the_promise_in_fen() -> None:
    form = OutcomeForm(_data(), contacts=[(1, "138****5678")])
    assert form.is_valid(), form.errors
    assert form.promise_amount_fen() == 150_050
    assert OutcomeForm(_data(promise_amount="１５００．５０"), contacts=[(1, "x")]).is_valid()


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("1,50", "comma in the wrong place"),
        ("١٥٠٠", "digit of another script"),
        ("1e3", "exponent"),
        ("NaN", "not a number"),
        ("0", "at least ¥0.01"),
        ("1500.505", "more than 2 decimals"),
        ("100000000000", "more than ¥100,000,000.00"),
    ],
)
def test_an_ambiguous_promise_amount_is_refused_beside_its_field(typed: str, reason: str) -> None:
    errors = _errors(promise_amount=typed)
    assert list(errors) == ["promise_amount"]
    assert reason in errors["promise_amount"][0]


@pytest.mark.parametrize(
    ("field", "typed"),
    [
        ("promise_due_on", "9999-12-31"),
        ("promise_due_on", "0001-01-01"),
        ("next_follow_up_on", "9999-12-31"),
        ("next_follow_up_on", "1900-01-01"),
    ],
)
def test_an_implausible_date_is_refused_beside_its_field(field: str, typed: str) -> None:
    errors = _errors(**{field: typed})
    assert list(errors) == [field]
    assert f"The date {typed} is outside the plausible range" in errors[field][0]


def test_the_window_is_counted_from_the_day_the_form_is_given() -> None:
    then = date(2026, 3, 10)
    data = _data(promise_due_on="2026-03-12", next_follow_up_on="2026-03-13")
    assert OutcomeForm(data, contacts=[(1, "x")], today=then).is_valid()


def test_the_case_page_shows_the_refusals_and_logs_nothing(client: Client, world: World) -> None:
    client.force_login(world.collector)
    client.cookies[OVERRIDE_COOKIE] = world.morning.isoformat()
    data = _data(promise_amount="1,50", next_follow_up_on="9999-12-31", notes="同意还款") | {
        "contact": str(world.mobile.pk)
    }

    response = client.post(f"/cases/{world.case.pk}/log/", data)

    assert response.status_code == 422
    page = response.content.decode()
    assert re.search(r"“1,50”的逗号位置不对", page)
    assert "日期 9999-12-31 不在合理范围内" in page
    assert not CaseOutcome.objects.exists()
    assert not Promise.objects.exists()
