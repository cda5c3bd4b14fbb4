"""Edge input to the API is a 4xx, never a 500 (issue 13, docs/api.md "Bounds").

An offset or an id beyond what a column holds (2**63 and more) used to reach the database and
overflow there (SQLite ``OverflowError``, PostgreSQL ``NumericValueOutOfRange``), and an instant
near year 1 or 9999 overflowed when the compliance checks converted it to UTC. Each is now
refused at the door with a 422 that names the field; an id in range that does not exist is
still the plain 404.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest
from django.db import DataError
from django.http import HttpRequest
from django.test import Client
from ninja import NinjaAPI
from ninja.testing import TestClient

from autocollect.accounts.roles import Role
from autocollect.core import clock
from autocollect.core.bounds import ID_MAX, OFFSET_MAX
from autocollect.ui.api_common import error_handlers_register
from tests.accounts.conftest import World
from tests.api_support import api_document_dir, api_world, bearer  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db

HUGE = 2**64
PAGINATED = [
    "/api/portfolio/borrowers",
    "/api/portfolio/loans",
    "/api/portfolio/vehicles",
    "/api/arrangements",
    "/api/hardship/claims",
    "/api/legal/referrals",
    "/api/strategy/plan",
    "/api/strategy/queues/Q1",
]
BY_ID = [
    "/api/portfolio/borrowers/{id}",
    "/api/portfolio/vehicles/{id}",
    "/api/arrangements/{id}",
    "/api/hardship/claims/{id}",
    "/api/legal/referrals/{id}",
    "/api/hardcases/cases/{id}",
]
FILTER_IDS = [
    ("/api/portfolio/loans", "borrower_id"),
    ("/api/arrangements", "case"),
    ("/api/hardship/claims", "case"),
    ("/api/strategy/experiments/S1/arms", "challenger_version"),
]


def _admin(world: World) -> Client:
    return Client(raise_request_exception=False, headers=bearer(world.users[Role.ADMIN]))


def _names(response: Any) -> str:
    """The fields a 422 names (Ninja's ``loc`` lists, or an ``ApplicationError``'s field)."""
    detail = response.json()
    if isinstance(detail.get("detail"), list):
        return " ".join(str(part) for error in detail["detail"] for part in error["loc"])
    return str(detail.get("field", ""))


@pytest.mark.parametrize("url", PAGINATED)
@pytest.mark.parametrize("offset", [OFFSET_MAX + 1, ID_MAX, HUGE, -1])
def test_an_offset_beyond_the_bound_is_a_422_naming_it(world: World, url: str, offset: int) -> None:
    response = _admin(world).get(url, {"offset": offset})
    assert response.status_code == 422, response.content
    assert "offset" in _names(response)


@pytest.mark.parametrize("url", PAGINATED[:6])
def test_the_largest_offset_allowed_is_an_empty_page(world: World, url: str) -> None:
    response = _admin(world).get(url, {"offset": OFFSET_MAX})
    assert response.status_code == 200, response.content
    assert response.json()["items"] == []


@pytest.mark.parametrize("url", BY_ID)
@pytest.mark.parametrize("value", [ID_MAX + 1, HUGE, 0, -1])
def test_an_id_outside_the_column_is_a_422(world: World, url: str, value: int) -> None:
    response = _admin(world).get(url.format(id=value))
    assert response.status_code == 422, response.content
    assert _names(response).endswith("id")


@pytest.mark.parametrize("url", BY_ID)
def test_the_largest_id_is_an_ordinary_404(world: World, url: str) -> None:
    response = _admin(world).get(url.format(id=ID_MAX))
    assert response.status_code == 404, response.content


@pytest.mark.parametrize(("url", "name"), FILTER_IDS)
@pytest.mark.parametrize("value", [HUGE, 0])
def test_an_id_in_a_filter_outside_the_column_is_a_422(
    world: World, url: str, name: str, value: int
) -> None:
    response = _admin(world).get(url, {name: value})
    assert response.status_code == 422, response.content
    assert name in _names(response)


@pytest.mark.parametrize("value", [ID_MAX + 1, HUGE, 0])
def test_the_case_check_refuses_an_id_outside_the_column(world: World, value: int) -> None:
    response = _admin(world).post(
        f"/api/compliance/cases/{value}/check",
        {"channel": "call", "party": "borrower", "number": "13800000001"},
        content_type="application/json",
    )
    assert response.status_code == 422, response.content


@pytest.mark.parametrize(
    "at", ["0001-01-01T00:00:00+08:00", "0001-01-01T00:00:00", "9999-12-31T23:59:59-05:00"]
)
def test_the_case_check_refuses_an_implausible_instant(world: World, at: str) -> None:
    response = _admin(world).post(
        f"/api/compliance/cases/{world.own_case.pk}/check",
        {"channel": "call", "party": "borrower", "number": "13800000001", "at": at},
        content_type="application/json",
    )
    assert response.status_code == 422, response.content
    assert "at" in _names(response)


def _scenario(zone: str, event_at: str, check_at: str) -> dict[str, Any]:
    return {
        "policy": "cn",
        "timezone": zone,
        "events": [
            {
                "at": event_at,
                "type": "contact",
                "channel": "call",
                "party": "borrower",
                "number": "13800000001",
                "outcome": "answered",
            }
        ],
        "checks": [
            {"at": check_at, "channel": "call", "party": "borrower", "number": "13800000001"}
        ],
    }


@pytest.mark.parametrize(
    ("zone", "event_at", "check_at", "named"),
    [
        ("Asia/Shanghai", "0001-01-01T00:00", "2026-03-09T10:00", "event 1"),
        ("America/New_York", "2026-03-09T09:00", "9999-12-31T23:59", "check 1"),
        ("UTC", "2026-03-09T09:00", "0001-01-01T00:00:00+08:00", "check 1"),
        ("UTC", "9999-12-31T23:59:59-05:00", "2026-03-09T10:00", "event 1"),
    ],
)
def test_the_scenario_check_refuses_an_implausible_instant(
    world: World, zone: str, event_at: str, check_at: str, named: str
) -> None:
    response = _admin(world).post(
        "/api/compliance/check",
        _scenario(zone, event_at, check_at),
        content_type="application/json",
    )
    assert response.status_code == 422, response.content
    assert named in response.json()["detail"]
    assert "field at" in response.json()["detail"]


def test_a_plausible_scenario_is_still_decided(world: World) -> None:
    response = _admin(world).post(
        "/api/compliance/check",
        _scenario("Asia/Shanghai", "2026-03-09T09:00", "2026-03-09T10:00"),
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert len(response.json()["decisions"]) == 1


@pytest.mark.parametrize(
    ("url", "params", "name"),
    [
        ("/api/portfolio/loans", {"disbursed_from": "0001-01-01"}, "disbursed_from"),
        ("/api/portfolio/loans", {"disbursed_to": "9999-12-31"}, "disbursed_to"),
        ("/api/strategy/plan", {"as_of": "9999-12-31"}, "as_of"),
        ("/api/strategy/queues", {"as_of": "0001-01-01"}, "as_of"),
        ("/api/strategy/queues/Q1", {"as_of": "9999-12-31"}, "as_of"),
    ],
)
def test_an_implausible_date_in_a_query_is_a_422_naming_it(
    world: World, url: str, params: dict[str, str], name: str
) -> None:
    response = _admin(world).get(url, params)
    assert response.status_code == 422, response.content
    assert name in _names(response)


@pytest.mark.parametrize(
    ("start_on", "end_on", "named"),
    [("0001-01-01", "0001-01-02", "start_on"), ("today", "9999-12-31", "end_on")],
)
def test_a_pause_with_an_implausible_date_is_a_422(
    world: World, start_on: str, end_on: str, named: str
) -> None:
    today = clock.localdate().isoformat()
    response = _admin(world).post(
        "/api/delinquency/pauses",
        {
            "contract_no": world.own_case.loan.contract_no,
            "start_on": today if start_on == "today" else start_on,
            "end_on": end_on,
            "reason": "dispute",
        },
        content_type="application/json",
    )
    assert response.status_code == 422, response.content
    assert named in _names(response)


@pytest.mark.parametrize("error", [OverflowError("too large"), DataError("out of range")])
def test_the_last_resort_answers_422_and_logs_the_missing_bound(
    error: Exception, caplog: pytest.LogCaptureFixture
) -> None:
    """Should a value get past the bounds and overflow, the caller gets a 422, not a traceback,
    and the log an error with the traceback, naming the request (the fuzz test fails on it)."""
    api = NinjaAPI(urls_namespace="test-last-resort", auth=None)

    @api.get("/boom")
    def boom(request: HttpRequest) -> None:
        raise error

    error_handlers_register(api)
    with caplog.at_level(logging.ERROR, logger="autocollect.api.out_of_range"):
        response = TestClient(api).get("/boom")
    assert response.status_code == 422
    assert response.json() == {"detail": "请求中的某个值超出了允许的范围。"}
    (record,) = caplog.records
    assert "GET /boom" in record.getMessage()
    assert record.exc_info is not None
