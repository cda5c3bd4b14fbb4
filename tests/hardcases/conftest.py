from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from autocollect.accounts.models import User
from autocollect.cases.models import CollectionCase
from tests.hardcases.helpers import worked_by
from tests.legal.helpers import make_case, users


@pytest.fixture(autouse=True)
def document_dir(settings: Any, tmp_path: Path) -> Path:
    """Stored documents (the agencies' signed authorisation letters) go to a temporary folder."""
    folder = tmp_path / "documents"
    block = dict(settings.AUTOCOLLECT)
    block["DOCUMENTS"] = {**(block.get("DOCUMENTS") or {}), "DIR": str(folder)}
    settings.AUTOCOLLECT = block
    return folder


@pytest.fixture
def people(db: None) -> dict[str, User]:
    return users()


@pytest.fixture
def case(people: dict[str, User]) -> CollectionCase:
    """An open case worked by the collector, in the team lead's team."""
    return worked_by(make_case(first_due_on=timezone.localdate() - timedelta(days=75)), people)
