"""A pause of delinquency must lie in a plausible window (core.bounds, field "pause"): checked
in the service, so the API (a 422 naming the field) and every other caller are covered."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import translation

from autocollect.accounts.roles import Role
from autocollect.core import clock
from autocollect.core.errors import ApplicationError
from autocollect.delinquency.models import LoanPause
from autocollect.delinquency.services import loan_pause
from tests.accounts.conftest import World
from tests.api_support import api_document_dir, api_world, session  # noqa: F401
from tests.factories import make_loan


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("start_on", "end_on", "field"),
    [
        (date(1, 1, 1), date(9999, 12, 31), "start_on"),
        (date(1900, 1, 1), date(1900, 1, 31), "start_on"),
        (None, date(9999, 12, 31), "end_on"),
    ],
)
def test_the_service_refuses_a_pause_outside_the_window(
    start_on: date | None, end_on: date, field: str
) -> None:
    loan = make_loan(contract_no="PAUSE1")
    with pytest.raises(ApplicationError) as refused, translation.override("en"):
        loan_pause(
            loan=loan,
            start_on=start_on or clock.localdate(),
            end_on=end_on,
            reason="dispute",
            actor="lead.li",
        )
    assert refused.value.extra == {"field": field}
    with translation.override("en"):
        assert "is outside the plausible range" in str(refused.value.message)
    assert not LoanPause.objects.exists()


@pytest.mark.django_db
def test_the_service_accepts_a_pause_inside_the_window() -> None:
    loan = make_loan(contract_no="PAUSE2")
    today = clock.localdate()
    pause = loan_pause(
        loan=loan,
        start_on=today - timedelta(days=30),
        end_on=today + timedelta(days=60),
        reason="dispute",
        actor="lead.li",
    )
    assert pause.pk is not None


def test_the_api_answers_422_naming_the_field(world: World) -> None:
    client = session(world.users[Role.TEAM_LEAD])
    body = {
        "contract_no": world.own_case.loan.contract_no,
        "start_on": "0001-01-01",
        "end_on": "9999-12-31",
        "reason": "dispute",
    }

    response = client.post("/api/delinquency/pauses", body, content_type="application/json")

    assert response.status_code == 422, response.content
    # The request schema answers before the service (docs/api.md, "Bounds"): the error names
    # the field and the date.
    payload = response.content.decode()
    assert "start_on" in payload
    assert "0001-01-01" in payload
    assert not LoanPause.objects.exists()
