"""The local settings the README's demo runs with, plus every log record of the process written
to ``$AUTOCOLLECT_VAR_DIR/demo.log`` (DEBUG and up: the importers' timings, the planner, the
outbox, the requests), for the scan in ``test_demo_scan``."""

from __future__ import annotations

import os

from config.settings.default import *  # noqa: F403
from config.settings.default import LOGGING, VAR_DIR

LOGGING = {
    **LOGGING,
    "handlers": {
        **LOGGING["handlers"],  # type: ignore[dict-item]
        "file": {
            "class": "logging.FileHandler",
            "filename": str(VAR_DIR / "demo.log"),
            "encoding": "utf-8",
            "formatter": "full",
        },
    },
    "formatters": {"full": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "root": {"handlers": ["console", "file"], "level": "DEBUG"},
    "loggers": {
        **LOGGING["loggers"],  # type: ignore[dict-item]
        # Every SQL statement and its parameters too, when asked for (slow, large).
        "django.db.backends": {
            "level": "DEBUG" if os.environ.get("DEMO_SCAN_SQL") == "1" else "WARNING"
        },
    },
}
