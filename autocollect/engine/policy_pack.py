"""Policy packs (联络合规策略包): a pack as written, validated and compiled into a ``Policy``.

A pack is a mapping (read from a YAML file by ``autocollect.compliance.policy``): a name, a
title, a jurisdiction, rules, and optionally the pack it ``extends``. A lender's pack extends a
jurisdiction pack. It may add rules of its own (holds, requirements) and *tighten* inherited
numbers, for everyone (``tighten``) or per product or region (``overrides``); it may never
loosen them: a statutory limit is a floor, and a pack that tries to raise one is rejected with
the file, the rule and the field.

``pack_parse(raw, file=…)`` validates the mapping; ``pack_compile(spec, file=…, parent=…)``
checks it against the pack it extends (already compiled) and compiles it. Both raise
``PackError`` whose message starts with the file's name: ``cn.yaml: rule cn.window: field end: …``.

Pure Python and pydantic: no Django, no files.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import time
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from autocollect.engine.policy import (
    HoldRule,
    OverrideSpec,
    Policy,
    Rule,
    Tighten,
    format_reason,
    rules_tighten,
)

PACK_NAME = r"^[a-z][a-z0-9-]*$"
# Kinds a pack may hold several of; every other kind appears at most once.
_REPEATABLE = frozenset({"hold", "requirement"})
# The numbers of each kind a pack may tighten.
_FIELDS_BY_KIND: dict[str, frozenset[str]] = {
    "contact_window": frozenset({"start", "end", "consent_extends"}),
    "answered_calls_daily": frozenset({"max"}),
    "unanswered_attempts_daily": frozenset({"max"}),
    "calls_in_period": frozenset({"max", "days"}),
    "wait_after_conversation": frozenset({"days"}),
    "third_party_once": frozenset({"max"}),
}


class PackError(ValueError):
    """A pack is invalid; the message names the file, the rule and the field."""


class PackSpec(BaseModel):
    """A pack as written."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    pack: str = Field(pattern=PACK_NAME)
    title: str = Field(min_length=1)
    jurisdiction: str = Field(min_length=1)
    extends: str | None = Field(default=None, pattern=PACK_NAME)
    rules: list[Rule] = []
    tighten: dict[str, Tighten] = {}
    overrides: list[OverrideSpec] = []

    @model_validator(mode="after")
    def _root_has_rules(self) -> PackSpec:
        if self.extends is None and not self.rules:
            raise ValueError("a pack that extends nothing needs rules")
        if self.extends is None and self.tighten:
            raise ValueError("tighten changes inherited rules: it needs extends")
        return self


@dataclass(frozen=True)
class Pack:
    """A compiled pack, with what a pack extending it is checked against."""

    policy: Policy
    # rule id → (the rule as its defining pack wrote it, that pack's file name)
    roots: Mapping[str, tuple[Rule, str]]


# --- validating the mapping -----------------------------------------------------------------


def _where(raw: Any, loc: Sequence[int | str]) -> tuple[str, list[int | str]]:
    """(``rule cn.window`` | ``tighten cn.window`` | ``override 2 …`` | ``top level``, rest)."""
    rest = list(loc)
    if len(rest) >= 2 and rest[0] == "rules" and isinstance(rest[1], int):
        index = rest[1]
        rules = raw.get("rules") if isinstance(raw, dict) else None
        rule_id = None
        if isinstance(rules, list) and index < len(rules) and isinstance(rules[index], dict):
            rule_id = rules[index].get("id")
            # Pydantic puts the discriminator value in the location; it is not a field.
            if len(rest) >= 3 and rest[2] == rules[index].get("kind"):
                del rest[2]
        return f"rule {rule_id or f'#{index + 1} (no id)'}", rest[2:]
    if len(rest) >= 2 and rest[0] == "tighten":
        return f"tighten rule {rest[1]}", rest[2:]
    if len(rest) >= 2 and rest[0] == "overrides" and isinstance(rest[1], int):
        where = f"override {rest[1] + 1}"
        if len(rest) >= 4 and rest[2] == "tighten":
            return f"{where}: rule {rest[3]}", rest[4:]
        return where, rest[2:]
    return "top level", rest


def _pack_error(file: str, raw: Any, loc: Sequence[int | str], message: str) -> str:
    """``cn.yaml: rule cn.window: field end: …`` from a pydantic error location."""
    where, rest = _where(raw, loc)
    field_name = ".".join(str(part + 1 if isinstance(part, int) else part) for part in rest)
    return f"{file}: {where}: field {field_name or '(rule)'}: {message}"


def pack_parse(raw: Any, *, file: str) -> PackSpec:
    """Validate a decoded pack; ``file`` names it in the messages."""
    try:
        return PackSpec.model_validate(raw)
    except ValidationError as exc:
        lines = [_pack_error(file, raw, error["loc"], error["msg"]) for error in exc.errors()[:10]]
        raise PackError("\n".join(lines)) from exc


# --- extending and tightening ---------------------------------------------------------------


def _looser(name: str, value: Any, base: Any) -> bool:
    """Whether ``value`` of field ``name`` is looser than the inherited ``base``."""
    return {
        "max": value > base,
        "days": value < base,
        "start": value < base,
        "end": value > base,
        "consent_extends": value and not base,
    }[name]


def _check_tighten(
    file: str,
    where: str,
    rules: Mapping[str, Rule],
    roots: Mapping[str, tuple[Rule, str]],
    tighten: Mapping[str, Tighten],
) -> None:
    """Every change names a known rule, a field of its kind, and is at least as strict as the
    rule in the pack that defined it."""
    for rule_id, change in tighten.items():
        prefix = f"{file}: {where}rule {rule_id}"
        if rule_id not in rules:
            raise PackError(f"{prefix}: no such rule in the packs this one extends")
        rule = rules[rule_id]
        root, root_file = roots[rule_id]
        allowed = _FIELDS_BY_KIND.get(rule.kind, frozenset())
        changes = change.model_dump(exclude_none=True)
        if not changes:
            raise PackError(f"{prefix}: nothing to tighten")
        for name, value in changes.items():
            if name not in allowed:
                fields = ", ".join(sorted(allowed)) or "nothing"
                raise PackError(
                    f"{prefix}: field {name}: a {rule.kind} rule can only tighten {fields}"
                )
            base = getattr(root, name)
            if _looser(name, value, base):
                shown = value.strftime("%H:%M") if isinstance(value, time) else value
                was = base.strftime("%H:%M") if isinstance(base, time) else base
                raise PackError(
                    f"{prefix}: field {name}: {shown} loosens {was} set by {root_file}; "
                    "a pack may only tighten what it inherits"
                )
        try:
            rules_tighten((rule,), {rule_id: change})
        except ValidationError as exc:
            error = exc.errors()[0]
            fields = ", ".join(sorted(changes))
            raise PackError(f"{prefix}: field {fields}: {error['msg']}") from exc


def _add_rules(
    file: str, spec: PackSpec, rules: dict[str, Rule], roots: dict[str, tuple[Rule, str]]
) -> None:
    """Add the pack's own rules: new ids, one rule of each kind (holds and requirements
    apart), one rule per hold reason, reasons whose placeholders the rule fills."""
    kinds = {rule.kind: rule.id for rule in rules.values() if rule.kind not in _REPEATABLE}
    holds = {rule.hold: rule.id for rule in rules.values() if isinstance(rule, HoldRule)}
    for rule in spec.rules:
        prefix = f"{file}: rule {rule.id}"
        if rule.id in rules:
            raise PackError(f"{prefix}: field id: duplicate id")
        if rule.kind in kinds:
            raise PackError(
                f"{prefix}: field kind: a pack has one {rule.kind} rule ({kinds[rule.kind]}); "
                "tighten it instead"
            )
        if isinstance(rule, HoldRule) and rule.hold in holds:
            raise PackError(f"{prefix}: field hold: {rule.hold!r} is held by {holds[rule.hold]}")
        try:
            format_reason(rule)
        except ValueError as exc:
            raise PackError(f"{prefix}: field reason: {exc}") from exc
        if rule.kind not in _REPEATABLE:
            kinds[rule.kind] = rule.id
        if isinstance(rule, HoldRule):
            holds[rule.hold] = rule.id
        rules[rule.id] = rule
        roots[rule.id] = (rule, file)


def pack_compile(spec: PackSpec, *, file: str, parent: Pack | None = None) -> Pack:
    """The pack ``spec`` (from ``file``) on top of the ``parent`` it extends, compiled."""
    rules: dict[str, Rule] = {}
    roots: dict[str, tuple[Rule, str]] = {}
    overrides: list[OverrideSpec] = []
    files: tuple[str, ...] = (file,)
    if parent is not None:
        rules = {rule.id: rule for rule in parent.policy.rules}
        roots = dict(parent.roots)
        overrides = list(parent.policy.overrides)
        files = (file, *parent.policy.files)
        _check_tighten(file, "tighten ", rules, roots, spec.tighten)
        rules = {rule.id: rule for rule in rules_tighten(tuple(rules.values()), spec.tighten)}
    _add_rules(file, spec, rules, roots)
    for number, override in enumerate(spec.overrides, start=1):
        where = f"override {number} ({override.label}): "
        _check_tighten(file, where, rules, roots, override.tighten)
        overrides.append(override)
    policy = Policy(
        name=spec.pack,
        title=spec.title,
        jurisdiction=spec.jurisdiction,
        files=files,
        rules=tuple(rules.values()),
        overrides=tuple(overrides),
    )
    return Pack(policy, roots)
