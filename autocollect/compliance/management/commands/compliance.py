"""``autocollect compliance SUBCOMMAND …``: compliance tools on the command line.

``lint-text`` checks one text with the content checker (``autocollect.compliance.content``)::

    autocollect compliance lint-text --audience borrower --lang zh "请于本周五前还款。" [--json]

Exit status: 0 when the text passes, 1 when it has findings, 2 when it could not be checked
(bad arguments, invalid rule file), so that scripts and CI can gate on it.

``simulate`` decides the checks of a scenario file with the contact gate, without touching the
database (``autocollect.compliance.scenario``; format in ``docs/compliance.md``)::

    autocollect compliance simulate scenario.yaml [--json]

It prints one decision per check (``{"decisions": [...]}`` with ``--json``) and exits 0
whatever the decisions are; 2 when the scenario or its pack is invalid.

``replay`` decides every recorded contact again with the gate and the whole history before it
(``autocollect.compliance.replay``) and exits 1 when any would have been refused::

    autocollect compliance replay [--since YYYY-MM-DD] [--json]

A subcommand is one ``Subcommand`` entry in ``SUBCOMMANDS``: a help line, a function that adds
its arguments to its own parser, and a handler that returns the exit status.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from autocollect.compliance.content import LintResult, lint_text
from autocollect.compliance.content_ruleset import AUDIENCES, LANGS
from autocollect.compliance.replay import group_by_rule, replay_history
from autocollect.compliance.scenario import load_scenario
from autocollect.core.errors import ApplicationError

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_UNCHECKED = 2


@dataclass(frozen=True)
class Subcommand:
    help: str
    add_arguments: Callable[[CommandParser], None]
    # Receives the running command (for its styled stdout) and the parsed options.
    handle: Callable[[BaseCommand, dict[str, Any]], int]


def _lint_text_arguments(parser: CommandParser) -> None:
    parser.add_argument("--audience", required=True, choices=AUDIENCES, help="who will read it")
    parser.add_argument("--lang", required=True, choices=LANGS, help="the text's language")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("text", metavar="TEXT", help="the text to check; '-' reads stdin")


def _lint_text(command: BaseCommand, options: dict[str, Any]) -> int:
    text = sys.stdin.read() if options["text"] == "-" else options["text"]
    try:
        result = lint_text(text, audience=options["audience"], lang=options["lang"])
    except ApplicationError as exc:
        raise CommandError(exc.message, returncode=EXIT_UNCHECKED) from exc
    if options["json"]:
        command.stdout.write(json.dumps(result.as_dict(), ensure_ascii=False))
    else:
        _write_report(command, result, audience=options["audience"], lang=options["lang"])
    return EXIT_OK if result.ok else EXIT_FINDINGS


def _write_report(command: BaseCommand, result: LintResult, *, audience: str, lang: str) -> None:
    heading = f"(audience {audience}, lang {lang})"
    if result.ok:
        command.stdout.write(command.style.SUCCESS(f"OK: no findings {heading}"))
        return
    count = len(result.findings)
    noun = "finding" if count == 1 else "findings"
    command.stdout.write(command.style.ERROR(f"FAIL: {count} {noun} {heading}"))
    for number, finding in enumerate(result.findings, start=1):
        command.stdout.write(
            f"  {number}. [{finding.rule}] {finding.category}, "
            f"characters {finding.start}-{finding.end}: “{finding.text}”"
        )
        command.stdout.write(f"     {finding.reason}")
        command.stdout.write(f"     source: {finding.source}")


def _simulate_arguments(parser: CommandParser) -> None:
    parser.add_argument("file", metavar="FILE", help="a scenario file (.json, or YAML)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def _simulate(command: BaseCommand, options: dict[str, Any]) -> int:
    try:
        scenario = load_scenario(Path(options["file"]))
        report = scenario.report()
    except ApplicationError as exc:
        raise CommandError(exc.message, returncode=EXIT_UNCHECKED) from exc
    if options["json"]:
        command.stdout.write(json.dumps(report, ensure_ascii=False))
        return EXIT_OK
    heading = f"policy {scenario.policy.name}, time zone {scenario.timezone.key}"
    command.stdout.write(f"{len(scenario.checks)} check(s), {heading}")
    for number, (check, decision) in enumerate(
        zip(scenario.checks, report["decisions"], strict=True), start=1
    ):
        local = check.at.astimezone(scenario.timezone).isoformat()
        what = f"{check.channel} to {check.party} {check.number} at {local}"
        if decision["allowed"]:
            command.stdout.write(command.style.SUCCESS(f"  {number}. ALLOWED  {what}"))
        else:
            command.stdout.write(command.style.ERROR(f"  {number}. BLOCKED  {what}"))
            command.stdout.write(f"     next allowed at: {decision['next_allowed_at'] or 'never'}")
        for rule, reason in zip(decision["rules"], decision["reasons"], strict=True):
            command.stdout.write(f"     [{rule}] {reason['zh']} / {reason['en']}")
    return EXIT_OK


def _replay_arguments(parser: CommandParser) -> None:
    parser.add_argument("--since", help="only contacts from this date (UTC), YYYY-MM-DD")
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def _replay(command: BaseCommand, options: dict[str, Any]) -> int:
    since = None
    if options["since"]:
        try:
            since = datetime.combine(date.fromisoformat(options["since"]), time(), tzinfo=UTC)
        except ValueError as exc:
            raise CommandError(
                f"--since: '{options['since']}' is not a date (YYYY-MM-DD)",
                returncode=EXIT_UNCHECKED,
            ) from exc
    report = replay_history(since=since)
    if options["json"]:
        command.stdout.write(
            json.dumps(
                {
                    "contacts": report.contacts,
                    "violations": [
                        {
                            "interaction": v.interaction_id,
                            "case": v.case_id,
                            "at": v.at.isoformat(),
                            "channel": v.channel,
                            "rules": list(v.rules),
                            "reasons": list(v.reasons),
                        }
                        for v in report.violations
                    ],
                },
                ensure_ascii=False,
            )
        )
    elif not report.violations:
        command.stdout.write(
            command.style.SUCCESS(f"{report.contacts} contacts replayed: no violation")
        )
    else:
        command.stdout.write(
            command.style.ERROR(
                f"{report.contacts} contacts replayed: {len(report.violations)} violation(s) "
                f"{group_by_rule(report.violations)}"
            )
        )
        for v in report.violations[:50]:
            command.stdout.write(
                f"  interaction {v.interaction_id} case {v.case_id} {v.at.isoformat()} "
                f"{v.channel}: {', '.join(v.rules)}"
            )
    return EXIT_FINDINGS if report.violations else EXIT_OK


SUBCOMMANDS: dict[str, Subcommand] = {
    "lint-text": Subcommand(
        help="check a text for prohibited collection content (exit 1 on findings)",
        add_arguments=_lint_text_arguments,
        handle=_lint_text,
    ),
    "simulate": Subcommand(
        help="decide the checks of a contact-gate scenario file, without the database",
        add_arguments=_simulate_arguments,
        handle=_simulate,
    ),
    "replay": Subcommand(
        help="decide every recorded contact again against the gate (exit 1 on violations)",
        add_arguments=_replay_arguments,
        handle=_replay,
    ),
}


class Command(BaseCommand):
    help = (
        "Compliance tools: lint-text (prohibited content), simulate (gate scenarios), replay "
        "(the contact history against the gate)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        subparsers = parser.add_subparsers(
            dest="subcommand", metavar="SUBCOMMAND", required=True, parser_class=CommandParser
        )
        for name, subcommand in SUBCOMMANDS.items():
            subparser = subparsers.add_parser(name, help=subcommand.help)
            subcommand.add_arguments(subparser)

    def handle(self, *args: Any, **options: Any) -> None:
        status = SUBCOMMANDS[options["subcommand"]].handle(self, options)
        if status != EXIT_OK:
            # Output is already written; the status tells scripts what it means.
            raise SystemExit(status)
