"""``autocollect strategy load [FILE]`` and ``autocollect strategy validate FILE``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from autocollect.core.errors import ApplicationError
from autocollect.strategy.definitions import load_text, parse_definition
from autocollect.strategy.services import DEFAULT_STRATEGY_FILE, strategy_load_file


class Command(BaseCommand):
    help = (
        "load: create a strategy file's queues, strategy and versions, activate its champion "
        "and set its challenger (default: the shipped strategy). validate: check a definition."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        load = sub.add_parser("load", help="load a strategy file (default: the shipped one)")
        load.add_argument("file", nargs="?", type=Path, default=DEFAULT_STRATEGY_FILE)
        load.add_argument("--actor", default="cli")
        check = sub.add_parser("validate", help="validate a definition (YAML/JSON) or file")
        check.add_argument("file", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        try:
            if options["action"] == "validate":
                raw = load_text(path.read_text(encoding="utf-8"), source=path.name)
                sections = (
                    [raw["strategy"], (raw.get("challenger") or {}).get("definition")]
                    if isinstance(raw, dict) and "strategy" in raw
                    else [raw]
                )
                for section in sections:
                    if section is not None:
                        definition = parse_definition(section)
                        self.stdout.write(
                            f"{path.name}: strategy {definition.code}: "
                            f"{len(definition.segments)} segments, {len(definition.paths)} "
                            f"paths, {len(definition.steps())} steps: valid"
                        )
                return
            result = strategy_load_file(path=path, actor=options["actor"])
        except OSError as exc:
            raise CommandError(f"{path}: {exc.strerror}") from exc
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        challenger = (
            f"challenger v{result.challenger.version} on {result.strategy.challenger_share_bp} bp"
            if result.challenger and result.strategy.challenger_id
            else "no challenger"
        )
        made = ", ".join(result.created) or "nothing new"
        self.stdout.write(
            f"strategy {result.strategy.code}: champion v{result.champion.version}, {challenger} "
            f"({made})"
        )
