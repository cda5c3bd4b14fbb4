"""Settings of the document store, read from ``settings.AUTOCOLLECT["DOCUMENTS"]``: where
stored files are kept and how large an upload may be (docs/architecture.md, "Documents")."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings

DEFAULTS: dict[str, Any] = {
    "DIR": None,  # None: <VAR_DIR>/documents
    "MAX_BYTES": 10 * 1024 * 1024,
}


def get(key: str) -> Any:
    block = getattr(settings, "AUTOCOLLECT", {}) or {}
    return {**DEFAULTS, **(block.get("DOCUMENTS") or {})}[key]


def document_dir() -> Path:
    configured = get("DIR")
    return Path(configured) if configured else Path(settings.VAR_DIR) / "documents"


def max_bytes() -> int:
    return int(get("MAX_BYTES"))
