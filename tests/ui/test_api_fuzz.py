"""The whole API fuzzed from its own OpenAPI document, as an administrator and as a collector:
no request may get a server error (issue 13; docs/api.md "Fuzzing").

Schemathesis loads ``/api/openapi.json`` from the Django WSGI application (no server) and, for
every operation, sends the document's examples, its coverage cases (each bound and one past it,
missing and wrong-typed values) and a few generated requests, valid and invalid. The requests go
through the whole stack (middleware, token authentication, the views, the database) inside the
test's transaction, so what the mutating operations write is rolled back. A 5xx fails, and so
does a request that only the last-resort handler saved (an error on
``autocollect.api.out_of_range``): that is a bound the schemas miss.

The run is bounded and deterministic: ``API_FUZZ_EXAMPLES`` generated requests per operation
and role (default 10) on top of the examples and coverage cases, Hypothesis derandomised, no
example database. Alone: ``.venv/bin/pytest -n 0 tests/ui/test_api_fuzz.py``.
"""

from __future__ import annotations

import logging
import os
import re
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis import Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.transport import Response
from schemathesis.hooks import HookContext
from schemathesis.specs.openapi.schemas import OpenApiSchema

from autocollect.accounts.roles import Role
from autocollect.core.bounds import ID_MAX, INT32_MAX
from config.wsgi import application
from tests.accounts.conftest import World
from tests.api_support import api_document_dir, api_world, bearer  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db

FUZZ_EXAMPLES = int(os.environ.get("API_FUZZ_EXAMPLES", "10"))


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture(name="safety_net")
def safety_net_records() -> Iterator[_Records]:
    """What the last-resort handler (``ui.api_common``) logs while the test runs."""
    handler = _Records()
    logger = logging.getLogger("autocollect.api.out_of_range")
    logger.addHandler(handler)
    yield handler
    logger.removeHandler(handler)


@pytest.fixture(name="wsgi_in_transaction")
def keep_the_test_connection() -> Iterator[None]:
    """The WSGI handler closes the database connection at the end of each request (Django's
    ``close_old_connections``), which would close the test's transaction; Django's own test
    client disconnects it the same way."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


# What a hostile or careless caller tries first, and what random generation almost never
# reaches: the integers around the column sizes and dates at the ends of the calendar.
EDGE_INTEGERS = (0, -1, INT32_MAX + 1, ID_MAX, ID_MAX + 1, 2**64, 10**30)
EDGE_DATES = ("0001-01-01", "9999-12-31")
EDGE_INSTANTS = (
    "0001-01-01T00:00:00",
    "0001-01-01T00:00:00+08:00",
    "9999-12-31T23:59:59",
    "9999-12-31T23:59:59-05:00",
)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_INSTANT = re.compile(r"^\d{4}-\d{2}-\d{2}T")


def _with_edges(value: Any) -> st.SearchStrategy[Any]:
    """``value`` as generated, or with any integer or date in it (however deep) swapped for
    an edge value; Hypothesis chooses, derandomised."""
    if isinstance(value, bool):
        return st.just(value)
    if isinstance(value, int):
        return st.sampled_from((value, *EDGE_INTEGERS))
    if isinstance(value, str) and _DATE.match(value):
        return st.sampled_from((value, *EDGE_DATES))
    if isinstance(value, str) and _INSTANT.match(value):
        return st.sampled_from((value, *EDGE_INSTANTS))
    if isinstance(value, dict):
        return st.fixed_dictionaries({key: _with_edges(item) for key, item in value.items()})
    if isinstance(value, list):
        return st.tuples(*(_with_edges(item) for item in value)).map(list)
    return st.just(value)


def _edge_values(parameter_schema: dict[str, Any]) -> tuple[Any, ...]:
    """The edge values for a parameter of this schema (an integer, a date, an instant)."""
    for option in [parameter_schema, *parameter_schema.get("anyOf", [])]:
        if option.get("type") == "integer":
            return EDGE_INTEGERS
        if option.get("format") == "date":
            return EDGE_DATES
        if option.get("format") == "date-time":
            return EDGE_INSTANTS
    return ()


def _parameters_with_edges(
    context: HookContext, values: dict[str, Any] | None, location: str
) -> st.SearchStrategy[Any]:
    """The generated query or path parameters with edges swapped in, and any integer, date or
    instant parameter of the operation that generation left out sometimes added at an edge."""
    if values is None:
        return st.just(values)
    assert context.operation is not None
    missing = {}
    for parameter in context.operation.definition.raw.get("parameters", []):
        edges = _edge_values(parameter.get("schema", {}))
        if parameter["in"] == location and parameter["name"] not in values and edges:
            missing[parameter["name"]] = st.sampled_from(edges)
    return st.tuples(_with_edges(values), st.fixed_dictionaries({}, optional=missing)).map(
        lambda pair: {**pair[0], **pair[1]}
    )


def _api_schema() -> OpenApiSchema:
    loaded = schemathesis.openapi.from_wsgi("/api/openapi.json", application)
    loaded.config.phases.update(phases=["examples", "coverage", "fuzzing"])
    loaded.config.generation.update(
        modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
        max_examples=FUZZ_EXAMPLES,
        deterministic=True,
    )
    hooks = loaded.hooks
    hooks.register_hook_with_name(
        lambda context, query: _parameters_with_edges(context, query, "query"), "flatmap_query"
    )
    hooks.register_hook_with_name(
        lambda context, path: _parameters_with_edges(context, path, "path"),
        "flatmap_path_parameters",
    )
    hooks.register_hook_with_name(lambda _context, body: _with_edges(body), "flatmap_body")
    return loaded


schema = _api_schema()
# One world per test (built once, shared by the generated requests on purpose); a request
# through the whole stack may take a while on a busy machine.
FUZZ_SETTINGS = settings(
    suppress_health_check=list(HealthCheck),
    deadline=None,
    derandomize=True,
    database=None,
    max_examples=FUZZ_EXAMPLES,
)


# Requests sent, by operation and status ("GET /api/… 422"); written to $API_FUZZ_REPORT, with
# the time taken, when that is set (docs/api.md records a run).
SENT: Counter[str] = Counter()


@pytest.fixture(name="fuzz_report", scope="module", autouse=True)
def write_fuzz_report() -> Iterator[None]:
    started = time.monotonic()
    yield
    report = os.environ.get("API_FUZZ_REPORT")
    if report:
        lines = [f"{count} {key}" for key, count in sorted(SENT.items())]
        lines.append(f"{sum(SENT.values())} requests in {time.monotonic() - started:.1f} s")
        with Path(report).open("a", encoding="utf-8") as out:
            out.write("\n".join(lines) + "\n")


def _count(case: Case, response: Response) -> None:
    SENT[f"{case.operation.label} {response.status_code}"] += 1


@pytest.fixture(name="admin_token")
def admin_token_headers(world: World) -> dict[str, str]:
    return bearer(world.users[Role.ADMIN])


@pytest.fixture(name="collector_token")
def collector_token_headers(world: World) -> dict[str, str]:
    return bearer(world.users[Role.COLLECTOR])


def _no_server_error(case: Case, headers: dict[str, str], safety_net: _Records) -> None:
    response = case.call(headers=headers)
    _count(case, response)
    case.validate_response(response, checks=[not_a_server_error])
    assert safety_net.records == [], [r.getMessage() for r in safety_net.records]


@schema.parametrize()
@FUZZ_SETTINGS
def test_no_request_of_an_administrator_gets_a_server_error(
    case: Case, admin_token: dict[str, str], safety_net: _Records, wsgi_in_transaction: None
) -> None:
    _no_server_error(case, admin_token, safety_net)


@schema.parametrize()
@FUZZ_SETTINGS
def test_no_request_of_a_collector_gets_a_server_error(
    case: Case, collector_token: dict[str, str], safety_net: _Records, wsgi_in_transaction: None
) -> None:
    _no_server_error(case, collector_token, safety_net)
