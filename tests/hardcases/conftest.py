from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from autocollect.accounts.models import User
from autocollect.cases.models import CollectionCase
from tests.hardcases.helpers import worked_by
from tests.legal.helpers import make_case, users


@pytest.fixture
def people(db: None) -> dict[str, User]:
    return users()


@pytest.fixture
def case(people: dict[str, User]) -> CollectionCase:
    """An open case worked by the collector, in the team lead's team."""
    return worked_by(make_case(first_due_on=timezone.localdate() - timedelta(days=75)), people)
