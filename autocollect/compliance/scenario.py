"""Scenarios for the contact gate: a history and the checks to decide, in a JSON or YAML file.

Compliance officers use them to ask "what would the gate say?" without touching the database
(``autocollect compliance simulate FILE``); the test suite uses the same files, with the answer
each check should get under ``expect``. The format, with examples, is in
``docs/compliance.md``::

    policy: cn                      # a built-in pack, or a pack file relative to this file
    timezone: Asia/Shanghai         # the debtor's zone: days and windows are decided in it
    product: premium-auto           # optional: apply the pack's overrides for this context
    region: "440300"                # optional
    events:
      - {at: "2026-03-02T09:00", type: contact, channel: call, party: borrower,
         number: "13800000001", outcome: answered}
      - {at: "2026-03-02T09:30", type: hold, reason: dispute}
    checks:
      - {at: "2026-03-02T10:00", channel: call, party: borrower, number: "13800000001"}

A time without an offset is the debtor's local wall clock in ``timezone``; one with an offset
(``Z``, ``+08:00``) is that instant. Every error names the event or check (numbered from 1) and
the field.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from autocollect.compliance.policy import PolicyError, load_policy
from autocollect.core.bounds import date_problem
from autocollect.core.errors import ApplicationError
from autocollect.engine.gate import Check, Decision, Event, decide
from autocollect.engine.policy import HHMM, Channel, Outcome, Party, Policy


class ScenarioError(ApplicationError):
    """A scenario file is missing or invalid; the message names the entry and the field."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _EventBase(_Strict):
    at: str | datetime
    note: str | None = None


class _Contact(_EventBase):
    type: Literal["contact"]
    channel: Channel
    party: Party
    number: str = Field(min_length=1)
    outcome: Outcome


class _Hold(_EventBase):
    type: Literal["hold", "release"]
    reason: str = Field(min_length=1)


class _OptOut(_EventBase):
    type: Literal["opt_out"]
    channel: Channel


class _ConsentHours(_EventBase):
    model_config = ConfigDict(populate_by_name=True)
    type: Literal["consent_hours"]
    start: HHMM = Field(alias="from")
    end: HHMM = Field(alias="to")


class _Unreachable(_EventBase):
    type: Literal["unreachable"]


_EventSpec = Annotated[
    _Contact | _Hold | _OptOut | _ConsentHours | _Unreachable, Field(discriminator="type")
]


class _Expect(_Strict):
    allowed: bool
    rules: list[str] | None = None
    next_allowed_at: str | datetime | None = None
    requirements: list[str] | None = None


class _CheckSpec(_Strict):
    at: str | datetime
    channel: Channel
    party: Party
    number: str = Field(min_length=1)
    agent_authorised: bool = True
    note: str | None = None
    expect: _Expect | None = None


class _ScenarioSpec(_Strict):
    policy: str = Field(min_length=1)
    timezone: str = Field(min_length=1)
    product: str | None = None
    region: str | None = None
    description: str | None = None
    events: list[_EventSpec] = []
    checks: list[_CheckSpec] = Field(min_length=1)


@dataclass(frozen=True)
class Expectation:
    """What a check should get (tests); ``None`` fields are not checked."""

    allowed: bool
    rules: frozenset[str] | None
    next_allowed_at: datetime | None
    check_next: bool
    requirements: frozenset[str] | None


@dataclass(frozen=True)
class Scenario:
    policy: Policy
    timezone: ZoneInfo
    events: tuple[Event, ...]
    checks: tuple[Check, ...]
    expectations: tuple[Expectation | None, ...]
    description: str | None = None

    def evaluate(self) -> list[Decision]:
        """One decision per check, each against the events at or before it."""
        return [
            decide(self.policy, check, self.events, timezone=self.timezone) for check in self.checks
        ]

    def report(self) -> dict[str, Any]:
        """``{"decisions": [...]}``; ``next_allowed_at`` in the debtor's zone."""
        return {"decisions": [d.as_dict(self.timezone) for d in self.evaluate()]}


def _instant(value: str | datetime, zone: ZoneInfo, where: str) -> datetime:
    """An aware UTC instant; a naive time is the wall clock in ``zone`` and must exist there,
    and its date lies within the ``compliance.at`` window (ten years either side of today)."""
    if isinstance(value, datetime):
        moment = value
    else:
        try:
            moment = datetime.fromisoformat(value)
        except ValueError as exc:
            raise ScenarioError(
                f"{where}: field at: {value!r} is not an ISO-8601 time (2026-03-02T08:00)"
            ) from exc
    # Before any conversion: year 1 or 9999 would overflow in astimezone (core.bounds).
    problem = date_problem(moment, "compliance.at")
    if problem:
        raise ScenarioError(f"{where}: field at: {problem}")
    if moment.tzinfo is None:
        naive = moment
        moment = naive.replace(tzinfo=zone)
        if moment.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != naive:
            raise ScenarioError(
                f"{where}: field at: {naive.isoformat()} does not exist in {zone.key} (the "
                "clocks skip it); give an offset or another time"
            )
    return moment.astimezone(UTC)


def _location(raw: Any, loc: Sequence[int | str]) -> tuple[str, list[int | str]]:
    rest = list(loc)
    index = rest[1] if len(rest) >= 2 else None
    if rest[:1] in (["events"], ["checks"]) and isinstance(index, int):
        kind = "event" if rest[0] == "events" else "check"
        entries = raw.get(rest[0]) if isinstance(raw, dict) else None
        entry = entries[index] if isinstance(entries, list) and index < len(entries) else None
        rest = rest[2:]
        # Pydantic puts the discriminator value in the location; it is not a field.
        if rest and isinstance(entry, dict) and rest[0] == entry.get("type"):
            rest = rest[1:]
        return f"{kind} {index + 1}", rest
    return "top level", rest


def parse_scenario(raw: Any, *, source: str = "scenario", base_dir: Path | None = None) -> Scenario:
    """Validate a decoded scenario (a dict from JSON or YAML) into events and checks."""
    spec = _validated(raw, source)
    zone = _zone(spec, source)
    policy = _policy(spec, source, base_dir)
    events = []
    for number, item in enumerate(spec.events, start=1):
        where = f"{source}: event {number}"
        events.append(_event(item, _instant(item.at, zone, where), policy, where))
    checks = []
    expectations: list[Expectation | None] = []
    for number, check_spec in enumerate(spec.checks, start=1):
        where = f"{source}: check {number}"
        checks.append(
            Check(
                at=_instant(check_spec.at, zone, where),
                channel=check_spec.channel,
                party=check_spec.party,
                number=check_spec.number,
                agent_authorised=check_spec.agent_authorised,
            )
        )
        expect = check_spec.expect
        expectations.append(None if expect is None else _expectation(expect, zone, where))
    return Scenario(
        policy=policy,
        timezone=zone,
        events=tuple(events),
        checks=tuple(checks),
        expectations=tuple(expectations),
        description=spec.description,
    )


def _validated(raw: Any, source: str) -> _ScenarioSpec:
    try:
        return _ScenarioSpec.model_validate(raw)
    except ValidationError as exc:
        lines = []
        for error in exc.errors()[:10]:
            where, rest = _location(raw, error["loc"])
            name = ".".join(str(p + 1 if isinstance(p, int) else p) for p in rest) or "(entry)"
            lines.append(f"{source}: {where}: field {name}: {error['msg']}")
        raise ScenarioError("\n".join(lines)) from exc


def _zone(spec: _ScenarioSpec, source: str) -> ZoneInfo:
    try:
        return ZoneInfo(spec.timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ScenarioError(
            f"{source}: top level: field timezone: {spec.timezone!r} is not an IANA time zone "
            "(Asia/Shanghai, America/New_York)"
        ) from exc


def _policy(spec: _ScenarioSpec, source: str, base_dir: Path | None) -> Policy:
    """The scenario's pack (a pack file relative to the scenario), for its product and region."""
    policy_ref: str | Path = spec.policy
    if spec.policy.endswith((".yaml", ".yml")) and base_dir is not None:
        policy_ref = (base_dir / spec.policy).resolve()
    try:
        policy = load_policy(policy_ref)
    except PolicyError as exc:
        raise ScenarioError(f"{source}: top level: field policy: {exc.message}") from exc
    if spec.product is not None or spec.region is not None:
        policy = policy.for_context(product=spec.product, region=spec.region)
    return policy


def _event(item: _EventBase, at: datetime, policy: Policy, where: str) -> Event:
    if isinstance(item, _Contact):
        return Event(
            at=at,
            type="contact",
            channel=item.channel,
            party=item.party,
            number=item.number,
            outcome=item.outcome,
        )
    if isinstance(item, _Hold):
        if item.reason not in policy.holds:
            raise ScenarioError(
                f"{where}: field reason: {item.reason!r} is not a hold of pack "
                f"{policy.name} ({', '.join(policy.holds)})"
            )
        return Event(at=at, type=item.type, reason=item.reason)
    if isinstance(item, _OptOut):
        return Event(at=at, type="opt_out", channel=item.channel)
    if isinstance(item, _ConsentHours):
        return Event(at=at, type="consent_hours", start=item.start, end=item.end)
    return Event(at=at, type="unreachable")


def _expectation(expect: _Expect, zone: ZoneInfo, where: str) -> Expectation:
    next_at = expect.next_allowed_at
    return Expectation(
        allowed=expect.allowed,
        rules=None if expect.rules is None else frozenset(expect.rules),
        next_allowed_at=None if next_at is None else _instant(next_at, zone, f"{where}: expect"),
        check_next="next_allowed_at" in expect.model_fields_set,
        requirements=None if expect.requirements is None else frozenset(expect.requirements),
    )


def load_scenario(path: Path) -> Scenario:
    """Read a scenario file: ``.json`` is JSON, anything else YAML (a superset of JSON)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot read the scenario: {exc.strerror}") from exc
    try:
        raw = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        kind = "JSON" if path.suffix == ".json" else "YAML"
        raise ScenarioError(f"{path.name}: not valid {kind}: {exc}") from exc
    return parse_scenario(raw, source=path.name, base_dir=path.resolve().parent)
