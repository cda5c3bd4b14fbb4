"""Settings for the dispatcher processes of the fault test (``test_outbox_fault``).

The local settings, with the database from ``DATABASE_URL`` (the test database), the SMS
gateway from ``AUTOCOLLECT_SMS_ENDPOINT``/``AUTOCOLLECT_SMS_SECRET`` (a key generated per run),
and an outbox tuned for a two-minute test: short claims so that a killed dispatcher's rows are
taken over quickly, short backoff, room for the attempts that kills use up.
"""

from __future__ import annotations

from config.settings.default import *  # noqa: F403
from config.settings.default import AUTOCOLLECT, HUEY

DEBUG = False
HUEY = {**HUEY, "immediate": True}
AUTOCOLLECT = {
    **AUTOCOLLECT,
    "CHANNELS": {
        "SMS": {"TIMEOUT": 2.0, "APP_KEY": "fault-test"},
        "OUTBOX": {
            "MAX_ATTEMPTS": 40,
            "RETRY_BASE_SECONDS": 0.2,
            "RETRY_MAX_SECONDS": 1.0,
            "LEASE_SECONDS": 3.0,
            # 10,000 texts to a handful of borrowers at any hour: a transport test, see
            # ``tests/channels/conftest.py::transport_only``.
            "GATE_AT_SEND": False,
        },
    },
}
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
