"""``autocollect worker [run_huey options]``: the background worker (Huey's consumer).

It runs the outbox's dispatches, the nightly cycle (01:30 Beijing) and plan (02:30), and the
sweeper. Every option of Huey's ``run_huey`` passes through (``--workers 4``,
``--worker-type process``, ``--no-periodic`` …).
"""

from __future__ import annotations

from typing import Any

from django.core.management import call_command
from huey.contrib.djhuey.management.commands.run_huey import Command as RunHuey


class Command(RunHuey):
    help = "Run the background worker (Huey consumer): dispatches, nightly cycle and plan."

    def handle(self, *args: Any, **options: Any) -> None:
        passed = {key: value for key, value in options.items() if value is not None}
        call_command("run_huey", *args, **passed)
