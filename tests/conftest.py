"""Shared fixtures. The database is whatever ``DATABASE_URL`` says (SQLite when unset)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

OUTPUT_DIR = Path(__file__).resolve().parent.parent / "test-output"


@pytest.fixture
def output_dir() -> Path:
    """A folder kept after the run for screenshots, rejects files and rendered documents."""
    OUTPUT_DIR.mkdir(exist_ok=True)
    return OUTPUT_DIR


@pytest.fixture(autouse=True)
def default_language() -> Iterator[None]:
    """Every test starts in the default language (zh-Hans). A request through the test client
    activates the language of its cookie or header for the whole thread and leaves it active,
    so without this a test's messages would depend on which test ran before it in the same
    process."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)
