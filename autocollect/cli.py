"""The ``autocollect`` console command: Django's management commands with friendlier names.

``autocollect migrate``, ``autocollect import loans FILE``, ``autocollect demo`` … Every command
honours ``DATABASE_URL`` (through the settings) and ``DJANGO_SETTINGS_MODULE``.
"""

from __future__ import annotations

import os
import sys

# Sub-commands whose natural name is not a valid or free management command name.
ALIASES = {"import": "import_data"}


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.default")
    if args and args[0] in ALIASES:
        args[0] = ALIASES[args[0]]
    from django.core.management import execute_from_command_line

    execute_from_command_line(["autocollect", *args])
    return 0


if __name__ == "__main__":
    sys.exit(main())
