"""Shared fixtures. The database is whatever ``DATABASE_URL`` says (SQLite when unset)."""

from __future__ import annotations

from pathlib import Path

import pytest

OUTPUT_DIR = Path(__file__).resolve().parent.parent / "test-output"


@pytest.fixture
def output_dir() -> Path:
    """A folder kept after the run for screenshots, rejects files and rendered documents."""
    OUTPUT_DIR.mkdir(exist_ok=True)
    return OUTPUT_DIR
