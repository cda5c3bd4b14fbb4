"""The case-workflow lists run the same number of queries for one row as for three (no query
per row), like the portfolio lists (docs/api.md, Performance)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from autocollect.accounts.roles import Role
from autocollect.arrangements.services import arrangement_propose
from autocollect.cases.models import CollectionCase
from autocollect.hardship.services import claim_file
from autocollect.legal.services.referrals import referral_create
from tests.accounts.conftest import World, open_case
from tests.api_support import api_document_dir, api_world, get_json, session  # noqa: F401 (fixtures)
from tests.factories import make_loan

pytestmark = pytest.mark.django_db


def _arrangement(world: World, case: CollectionCase) -> None:
    arrangement_propose(
        case=case,
        actor=world.users[Role.ADMIN],
        kind="installment_plan",
        installments=3,
        reason="测试",
    )


def _claim(world: World, case: CollectionCase) -> None:
    claim_file(case=case, actor=world.users[Role.ADMIN], claim_type="illness", description="测试")


def _referral(world: World, case: CollectionCase) -> None:
    referral_create(case=case, actor=world.users[Role.ADMIN], reason="other", note="测试")


@pytest.mark.parametrize(
    ("url", "make"),
    [
        ("/api/arrangements", _arrangement),
        ("/api/hardship/claims", _claim),
        ("/api/legal/referrals", _referral),
    ],
)
def test_a_list_runs_as_many_queries_for_three_rows_as_for_one(
    world: World, url: str, make: Callable[[World, CollectionCase], None]
) -> None:
    client = session(world.users[Role.ADMIN])
    make(world, world.own_case)

    def queries() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as captured:
            count = get_json(client, url)["count"]
        return count, len(captured.captured_queries)

    one, for_one = queries()
    for _ in range(2):
        make(world, open_case(make_loan()))
    three, for_three = queries()
    assert (one, three) == (1, 3)
    assert for_three == for_one
