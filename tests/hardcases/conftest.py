from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from autocollect.accounts.models import User
from autocollect.cases.models import CollectionCase
from tests.legal.helpers import make_case, users


@pytest.fixture
def people(db: None) -> dict[str, User]:
    return users()


@pytest.fixture
def case(db: None) -> CollectionCase:
    return make_case(first_due_on=timezone.localdate() - timedelta(days=75))
