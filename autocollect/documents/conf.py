"""Settings of the document store, read from ``settings.AUTOCOLLECT["DOCUMENTS"]``: where
stored files are kept, how large an upload may be, and how old a file no row names must be before
the sweep removes it (docs/architecture.md, "The document store")."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings

DEFAULTS: dict[str, Any] = {
    "DIR": None,  # None: <VAR_DIR>/documents
    "MAX_BYTES": 10 * 1024 * 1024,
    # A pending file, or a stored file that no row names, is removed by the sweep once it is
    # older than this: far longer than any use case's transaction.
    "SWEEP_AFTER_MINUTES": 60,
}


def get(key: str) -> Any:
    block = getattr(settings, "AUTOCOLLECT", {}) or {}
    return {**DEFAULTS, **(block.get("DOCUMENTS") or {})}[key]


def document_dir() -> Path:
    configured = get("DIR")
    return Path(configured) if configured else Path(settings.VAR_DIR) / "documents"


def max_bytes() -> int:
    return int(get("MAX_BYTES"))


def sweep_after() -> timedelta:
    return timedelta(minutes=int(get("SWEEP_AFTER_MINUTES")))
