"""The strategy definition format: segments mapped to treatment paths (docs/strategy.md).

A definition is data (YAML or JSON), validated here with pydantic before it can be saved as a
version, and again before a version is activated. ``parse_definition`` returns the validated
model or raises ``DefinitionError`` whose lines each name the strategy, the segment, path or
step, and the field::

    strategy default: step call_d5 (path standard): field minutes: needed for an agent step

Pure Python: no database, no Django. The planner turns definitions into the engine's frames
(``autocollect.engine.segments``) with ``engine_frames`` (``segment_rules`` and ``step_rows``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import time
from typing import Any, Literal

import polars as pl
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from autocollect.core.errors import ApplicationError
from autocollect.engine.frames import AUTOMATED_CHANNELS
from autocollect.engine.segments import SEGMENT_RULES, STEPS

Channel = Literal[
    "sms",
    "email",
    "robot_call",
    "letter",
    "call",
    "visit",
    "review_team_lead",
    "review_legal",
]
# Work for people, in queues; machines send the engine's ``AUTOMATED_CHANNELS`` through the
# outbox (``autocollect.engine.frames``, beside ``CONTACT_CHANNELS``, the ones the gate decides).
AGENT_CHANNELS: frozenset[str] = frozenset({"call", "visit", "review_team_lead", "review_legal"})

Trigger = Literal[
    "case_opened",
    "promise_due",
    "promise_broken",
    "promise_partly_kept",
    "arrangement_broken",
    "rolled_forward",
    "lost_contact",
    "hardship_claimed",
    "vehicle_risk",
]
TRIGGERS: tuple[str, ...] = Trigger.__args__  # type: ignore[attr-defined]

# Case flags a segment can require or exclude: the case flags (cases.FlagKind) plus two the
# planner derives from promises (docs/strategy.md).
Flag = Literal[
    "lost_contact",
    "hardship_claimed",
    "vehicle_risk",
    "broken_promise",
    "promise_pending",
    "broken_arrangement",
]
FLAGS: tuple[str, ...] = Flag.__args__  # type: ignore[attr-defined]

# The debtor-local wall-clock time a step is planned for when it does not say.
DEFAULT_TIMES: Mapping[str, time] = {
    "sms": time(9, 0),
    "email": time(9, 0),
    "robot_call": time(10, 0),
    "letter": time(9, 0),
    "call": time(9, 0),
    "visit": time(10, 0),
    "review_team_lead": time(9, 0),
    "review_legal": time(9, 0),
}
# Estimated minutes of work when an agent step does not say.
DEFAULT_MINUTES: Mapping[str, int] = {
    "call": 6,
    "visit": 120,
    "review_team_lead": 10,
    "review_legal": 20,
}

ID_PATTERN = r"^[a-z][a-z0-9_]{0,39}$"
# The longest an action blocked or over capacity is carried before it lapses.
MAX_VALID_DAYS = 30


class DefinitionError(ApplicationError):
    """A definition that cannot be used; ``lines`` says each problem with where it is."""

    def __init__(self, lines: Sequence[str]) -> None:
        super().__init__("\n".join(lines), extra={"errors": list(lines)})
        self.lines = list(lines)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Range(_Strict):
    """Inclusive bounds; either may be left out."""

    min: int | None = Field(default=None, ge=0)
    max: int | None = Field(default=None, ge=0)


class Conditions(_Strict):
    """What a case must satisfy to be in a segment; every condition given must hold, and a
    condition left out holds for every case."""

    buckets: list[str] | None = Field(default=None, min_length=1)
    dpd: Range | None = None
    overdue_fen: Range | None = None
    products: list[str] | None = Field(default=None, min_length=1)
    regions: list[str] | None = Field(default=None, min_length=1)
    risk_bands: list[str] | None = Field(default=None, min_length=1)
    flags_present: list[Flag] = Field(default_factory=list)
    flags_absent: list[Flag] = Field(default_factory=list)


class Segment(_Strict):
    id: str = Field(pattern=ID_PATTERN)
    name: str = ""
    when: Conditions = Field(default_factory=Conditions)
    path: str


class Step(_Strict):
    id: str = Field(pattern=ID_PATTERN)
    channel: Channel
    # Case day on which the step is due: 1 is the date the case opened. With ``every``, due
    # again every that many days from ``day`` (through ``until`` when given).
    day: int | None = Field(default=None, ge=1, le=3650)
    every: int | None = Field(default=None, ge=1, le=365)
    until: int | None = Field(default=None, ge=1, le=3650)
    trigger: Trigger | None = None
    template: str | None = Field(default=None, min_length=1, max_length=60)
    queue: str | None = Field(default=None, min_length=1, max_length=40)
    priority: int = Field(default=50, ge=0, le=100)
    minutes: int | None = Field(default=None, ge=1, le=480)
    at: time | None = None
    # How many days an action blocked by the gate, or left over by capacity, is carried to
    # the next days before it lapses.
    valid_days: int = Field(default=3, ge=1, le=MAX_VALID_DAYS)

    @field_validator("at", mode="before")
    @classmethod
    def _hhmm(cls, value: Any) -> Any:
        if isinstance(value, int) and not isinstance(value, bool):
            # YAML 1.1 reads an unquoted 09:00 as a sexagesimal number (540).
            return time(value // 60, value % 60) if 0 <= value < 24 * 60 else value
        return value

    @property
    def automated(self) -> bool:
        return self.channel in AUTOMATED_CHANNELS

    @property
    def local_time(self) -> time:
        return self.at or DEFAULT_TIMES[self.channel]

    @property
    def estimated_minutes(self) -> int:
        if self.automated:
            return 0
        return self.minutes or DEFAULT_MINUTES[self.channel]


class Path(_Strict):
    id: str = Field(pattern=ID_PATTERN)
    name: str = ""
    steps: list[Step] = Field(min_length=1)


class StrategyDefinition(_Strict):
    code: str = Field(pattern=ID_PATTERN)
    name: str = Field(min_length=1, max_length=100)
    description: str = ""
    segments: list[Segment] = Field(min_length=1)
    paths: list[Path] = Field(min_length=1)

    def path(self, path_id: str) -> Path:
        for path in self.paths:
            if path.id == path_id:
                return path
        raise KeyError(path_id)

    def steps(self) -> list[tuple[Path, Step]]:
        return [(path, step) for path in self.paths for step in path.steps]

    def templates(self) -> set[tuple[str, str]]:
        """(channel, template code) of every automated step."""
        return {
            (step.channel, step.template)
            for _, step in self.steps()
            if step.automated and step.template
        }

    def queues(self) -> set[str]:
        return {step.queue for _, step in self.steps() if step.queue}


# --- errors with their place ----------------------------------------------------------------


def _named(items: Any, index: int, kind: str) -> str:
    if isinstance(items, list) and index < len(items) and isinstance(items[index], dict):
        item_id = items[index].get("id")
        if item_id:
            return f"{kind} {item_id}"
    return f"{kind} #{index + 1}"


def _where(raw: Any, loc: Sequence[int | str]) -> tuple[str, list[int | str]]:
    """(``segment late`` | ``step sms_d1 (path standard)`` | ``top level``, the rest)."""
    rest = list(loc)
    data = raw if isinstance(raw, dict) else {}
    if len(rest) >= 2 and rest[0] == "segments" and isinstance(rest[1], int):
        return _named(data.get("segments"), rest[1], "segment"), rest[2:]
    if len(rest) >= 2 and rest[0] == "paths" and isinstance(rest[1], int):
        paths = data.get("paths")
        path = _named(paths, rest[1], "path")
        if len(rest) >= 4 and rest[2] == "steps" and isinstance(rest[3], int):
            steps = None
            if (
                isinstance(paths, list)
                and rest[1] < len(paths)
                and isinstance(paths[rest[1]], dict)
            ):
                steps = paths[rest[1]].get("steps")
            return f"{_named(steps, rest[3], 'step')} ({path})", rest[4:]
        return path, rest[2:]
    return "top level", rest


def _line(code: str, where: str, field: str, message: str) -> str:
    return f"strategy {code}: {where}: field {field or '(whole)'}: {message}"


def _cross_checks(definition: StrategyDefinition) -> list[str]:
    """What a schema cannot say: references, uniqueness, and what each kind of step needs."""
    code = definition.code
    path_ids = [path.id for path in definition.paths]
    errors = _duplicates(code, "path", path_ids)
    errors += _duplicates(code, "segment", [segment.id for segment in definition.segments])
    for segment in definition.segments:
        errors += _segment_problems(code, segment, path_ids)
    step_ids: dict[str, str] = {}
    for path, step in definition.steps():
        where = f"step {step.id} (path {path.id})"
        if step.id in step_ids:
            errors.append(
                _line(
                    code,
                    where,
                    "id",
                    f"also used in path {step_ids[step.id]}; step ids are unique in a strategy",
                )
            )
        step_ids.setdefault(step.id, path.id)
        errors += _timing_problems(code, where, step)
        errors += _channel_problems(code, where, step)
    return errors


def _duplicates(code: str, kind: str, ids: list[str]) -> list[str]:
    return [
        _line(code, f"{kind} {duplicate}", "id", f"used by more than one {kind}")
        for duplicate in sorted({i for i in ids if ids.count(i) > 1})
    ]


def _segment_problems(code: str, segment: Segment, path_ids: list[str]) -> list[str]:
    """A path that does not exist, a range upside down, a flag both required and excluded."""
    where = f"segment {segment.id}"
    errors: list[str] = []
    if segment.path not in path_ids:
        errors.append(
            _line(
                code,
                where,
                "path",
                f"no path {segment.path!r} (paths: {', '.join(path_ids)})",
            )
        )
    for name in ("dpd", "overdue_fen"):
        bounds = getattr(segment.when, name)
        if (
            bounds is not None
            and bounds.min is not None
            and bounds.max is not None
            and bounds.min > bounds.max
        ):
            errors.append(
                _line(code, where, f"when.{name}", f"min {bounds.min} > max {bounds.max}")
            )
    both = set(segment.when.flags_present) & set(segment.when.flags_absent)
    if both:
        errors.append(
            _line(
                code,
                where,
                "when.flags_present",
                f"{', '.join(sorted(both))} also in flags_absent: no case can match",
            )
        )
    return errors


def _timing_problems(code: str, where: str, step: Step) -> list[str]:
    """A step falls due on a case day (optionally repeated) or on a trigger, not both."""
    errors: list[str] = []
    if (step.day is None) == (step.trigger is None):
        errors.append(_line(code, where, "day", "give either day or trigger, not both"))
    if step.trigger is not None and (step.every is not None or step.until is not None):
        errors.append(_line(code, where, "every", "every/until only go with day"))
    if step.until is not None and step.day is not None and step.until < step.day:
        errors.append(_line(code, where, "until", f"{step.until} is before day {step.day}"))
    if step.until is not None and step.every is None:
        errors.append(_line(code, where, "until", "only meaningful with every"))
    return errors


def _channel_problems(code: str, where: str, step: Step) -> list[str]:
    """A machine's step has a template and no queue or minutes; a person's, the reverse."""
    errors: list[str] = []
    if step.automated:
        if not step.template:
            errors.append(_line(code, where, "template", f"needed for a {step.channel} step"))
        if step.queue is not None:
            errors.append(_line(code, where, "queue", f"a {step.channel} step is sent, not queued"))
        if step.minutes is not None:
            errors.append(
                _line(code, where, "minutes", f"a {step.channel} step takes no agent time")
            )
    else:
        if not step.queue:
            errors.append(_line(code, where, "queue", f"needed for a {step.channel} step"))
        if step.template is not None:
            errors.append(
                _line(code, where, "template", f"a {step.channel} step is done by a person")
            )
    return errors


def load_text(text: str, *, source: str = "definition") -> Any:
    """YAML or JSON text to plain data (JSON is YAML)."""
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise DefinitionError([f"{source}: not valid YAML or JSON: {exc}"]) from exc


def parse_definition(raw: Any) -> StrategyDefinition:
    """Validate plain data as a definition; every problem at once, each with its place."""
    code = raw.get("code") if isinstance(raw, dict) else None
    label = str(code) if code else "(no code)"
    if not isinstance(raw, dict):
        raise DefinitionError([f"strategy {label}: top level: a mapping of code, name, …"])
    try:
        definition = StrategyDefinition.model_validate(raw)
    except ValidationError as exc:
        lines = []
        for error in exc.errors()[:20]:
            where, rest = _where(raw, error["loc"])
            field = ".".join(str(part + 1 if isinstance(part, int) else part) for part in rest)
            lines.append(_line(label, where, field, error["msg"]))
        raise DefinitionError(lines) from exc
    errors = _cross_checks(definition)
    if errors:
        raise DefinitionError(errors)
    return definition


def definition_text(definition: Mapping[str, Any]) -> str:
    """A stored definition as YAML for editing (keys in their written order)."""
    return yaml.safe_dump(dict(definition), allow_unicode=True, sort_keys=False, width=100)


def definition_json(definition: StrategyDefinition) -> dict[str, Any]:
    """The validated definition as JSON-ready data (what a version stores)."""
    data: dict[str, Any] = json.loads(definition.model_dump_json(exclude_none=True))
    return data


# --- to the engine --------------------------------------------------------------------------


def segment_rules(definition: StrategyDefinition, *, version_id: int) -> list[dict[str, Any]]:
    """One row per segment, in order, for ``engine.segments.SEGMENT_RULES``."""
    rows = []
    for order, segment in enumerate(definition.segments):
        when = segment.when
        rows.append(
            {
                "version_id": version_id,
                "order": order,
                "segment_id": segment.id,
                "path_id": segment.path,
                "buckets": when.buckets,
                "dpd_min": when.dpd.min if when.dpd else None,
                "dpd_max": when.dpd.max if when.dpd else None,
                "overdue_min_fen": when.overdue_fen.min if when.overdue_fen else None,
                "overdue_max_fen": when.overdue_fen.max if when.overdue_fen else None,
                "products": when.products,
                "regions": when.regions,
                "risk_bands": when.risk_bands,
                "flags_present": list(when.flags_present),
                "flags_absent": list(when.flags_absent),
            }
        )
    return rows


def step_rows(definition: StrategyDefinition, *, version_id: int) -> list[dict[str, Any]]:
    """One row per step, for ``engine.segments.STEPS``."""
    return [
        {
            "version_id": version_id,
            "path_id": path.id,
            "step_id": step.id,
            "channel": step.channel,
            "template": step.template,
            "queue": step.queue,
            "priority": step.priority,
            "minutes": step.estimated_minutes,
            "local_time": step.local_time,
            "day": step.day,
            "every": step.every,
            "until": step.until,
            "trigger": step.trigger,
            "valid_days": step.valid_days,
        }
        for path, step in definition.steps()
    ]


def engine_frames(
    definitions: Mapping[int, StrategyDefinition],
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """``SEGMENT_RULES`` and ``STEPS`` of the versions, keyed by version id."""
    rules: list[dict[str, Any]] = []
    steps: list[dict[str, Any]] = []
    for version_id, definition in definitions.items():
        rules += segment_rules(definition, version_id=version_id)
        steps += step_rows(definition, version_id=version_id)
    return (
        pl.DataFrame(rules, schema=dict(SEGMENT_RULES)),
        pl.DataFrame(steps, schema=dict(STEPS)),
    )
