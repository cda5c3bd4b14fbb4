"""Contact policy packs (联络合规策略包): the rules of the contact gate, as data.

A pack is a YAML file under ``policies/`` (or anywhere, by path). Each rule has an id, a
``kind`` (what the gate does with it: a time window, a daily limit, a hold …), its numbers, a
reason in Chinese and English and the regulation it comes from (see ``docs/compliance.md``).
The gate (``gate.py``) and the engine's batch gate (``engine/gating.py``) read the same
compiled ``Policy``; neither hard-codes a number.

A lender's pack ``extends`` a jurisdiction pack. It may add rules of its own (holds,
requirements) and *tighten* inherited numbers, for everyone (``tighten``) or per product or
region (``overrides``); it may never loosen them: a statutory limit is a floor, and a pack that
tries to raise one is rejected with the file, the rule and the field. Overrides are applied by
the caller before deciding: ``policy.for_context(product=…, region=…)``.

Pure Python (no Django): the engine imports it.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import time
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    model_validator,
)

from autocollect.core.errors import ApplicationError

POLICIES_DIR = Path(__file__).resolve().with_name("policies")

Channel = Literal["call", "robot_call", "sms", "email", "letter", "visit"]
Party = Literal["borrower", "guarantor", "third_party"]
Outcome = Literal["answered", "no_answer", "wrong_number", "refused"]
EventType = Literal["contact", "hold", "release", "opt_out", "consent_hours", "unreachable"]
CHANNELS: tuple[str, ...] = get_args(Channel)
PARTIES: tuple[str, ...] = get_args(Party)
OUTCOMES: tuple[str, ...] = get_args(Outcome)
EVENT_TYPES: tuple[str, ...] = get_args(EventType)
# A contact "reached" the person when they picked up: a conversation took place, even if they
# refused to talk. "answered" and "refused" count as answered calls (有效通话) and as telephone
# conversations (Reg F); "no_answer" is an unanswered attempt; "wrong_number" is neither.
REACHED_OUTCOMES = frozenset({"answered", "refused"})

RULE_ID = r"^[a-z][a-z0-9-]*(\.[a-z0-9_]+)+$"
PACK_NAME = r"^[a-z][a-z0-9-]*$"
_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


class PolicyError(ApplicationError):
    """A pack is missing or invalid; the message names the file, the rule and the field."""


@dataclass(frozen=True, slots=True)
class Reason:
    """Why the gate decided as it did, for the agent (zh) and the audit trail (en)."""

    zh: str
    en: str

    def as_dict(self) -> dict[str, str]:
        return {"zh": self.zh, "en": self.en}


def parse_hhmm(value: Any) -> time:
    """``"08:00"`` → ``time(8, 0)``. Times must be quoted strings in YAML: unquoted ``22:00`` is
    read by YAML 1.1 as the number 1320."""
    if isinstance(value, time):
        return value
    match = _HHMM.match(value) if isinstance(value, str) else None
    if match is None:
        raise ValueError(f'write a time as a quoted "HH:MM" string (00:00-23:59), not {value!r}')
    return time(int(match.group(1)), int(match.group(2)))


HHMM = Annotated[time, BeforeValidator(parse_hhmm)]


# --- the pack file schema -------------------------------------------------------------------


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _ReasonSpec(_Strict):
    zh: str = Field(min_length=1)
    en: str = Field(min_length=1)


class _RuleBase(_Strict):
    id: str = Field(pattern=RULE_ID)
    reason: _ReasonSpec
    source: str = Field(min_length=1, description="the regulation or policy the rule comes from")


class ContactWindowRule(_RuleBase):
    """Contact only between ``start`` and ``end`` (debtor-local wall clock), ``[start, end)``;
    with ``consent_extends`` the debtor's agreed hours are allowed as well."""

    kind: Literal["contact_window"]
    start: HHMM
    end: HHMM
    channels: frozenset[Channel] = Field(min_length=1)
    consent_extends: bool = True

    @model_validator(mode="after")
    def _start_before_end(self) -> ContactWindowRule:
        if self.start >= self.end:
            raise ValueError("start must be before end (a policy window does not wrap midnight)")
        return self


class AnsweredCallsDailyRule(_RuleBase):
    """At most ``max`` answered calls with the same party per debtor-local day."""

    kind: Literal["answered_calls_daily"]
    max: int = Field(ge=1)
    channels: frozenset[Channel] = Field(min_length=1)
    parties: frozenset[Party] = Field(min_length=1)


class UnansweredAttemptsDailyRule(_RuleBase):
    """At most ``max`` unanswered call attempts to the same number per debtor-local day."""

    kind: Literal["unanswered_attempts_daily"]
    max: int = Field(ge=1)
    channels: frozenset[Channel] = Field(min_length=1)


class CallsInPeriodRule(_RuleBase):
    """At most ``max`` call attempts (any outcome) to the same party within ``days``
    consecutive debtor-local days."""

    kind: Literal["calls_in_period"]
    max: int = Field(ge=1)
    days: int = Field(ge=1, le=31)
    channels: frozenset[Channel] = Field(min_length=1)
    parties: frozenset[Party] = Field(min_length=1)


class WaitAfterConversationRule(_RuleBase):
    """No call to a party for ``days`` days after a conversation with it; the day of the
    conversation is the first of them."""

    kind: Literal["wait_after_conversation"]
    days: int = Field(ge=1, le=31)
    channels: frozenset[Channel] = Field(min_length=1)
    parties: frozenset[Party] = Field(min_length=1)


class ThirdPartyUnreachableOnlyRule(_RuleBase):
    """Third parties only while the debtor is unreachable."""

    kind: Literal["third_party_unreachable_only"]


class ThirdPartyRefusalRule(_RuleBase):
    """Never again to a number whose third party refused."""

    kind: Literal["third_party_refusal"]


class ThirdPartyOnceRule(_RuleBase):
    """At most ``max`` communications with each third party (number)."""

    kind: Literal["third_party_once"]
    max: int = Field(default=1, ge=1)


class OptOutRule(_RuleBase):
    """A channel the debtor refused is closed to them."""

    kind: Literal["opt_out"]
    parties: frozenset[Party] = frozenset({"borrower"})


class WrongNumberRule(_RuleBase):
    """A number found to be wrong is not contacted again."""

    kind: Literal["wrong_number"]


class AgentAuthorisationRule(_RuleBase):
    """Human channels need a collector certified and authorised for collection."""

    kind: Literal["agent_authorisation"]
    channels: frozenset[Channel] = Field(min_length=1)


class HoldRule(_RuleBase):
    """While a hold with this reason is on the case (until a release), no collection contact."""

    kind: Literal["hold"]
    hold: str = Field(pattern=r"^[a-z][a-z_]*$")


class RequirementRule(_RuleBase):
    """An allowed contact on these channels to these parties carries a condition."""

    kind: Literal["requirement"]
    requirement: str = Field(pattern=r"^[a-z][a-z_]*$")
    channels: frozenset[Channel] = frozenset(CHANNELS)  # type: ignore[arg-type]
    parties: frozenset[Party] = frozenset(PARTIES)  # type: ignore[arg-type]


Rule = Annotated[
    ContactWindowRule
    | AnsweredCallsDailyRule
    | UnansweredAttemptsDailyRule
    | CallsInPeriodRule
    | WaitAfterConversationRule
    | ThirdPartyUnreachableOnlyRule
    | ThirdPartyRefusalRule
    | ThirdPartyOnceRule
    | OptOutRule
    | WrongNumberRule
    | AgentAuthorisationRule
    | HoldRule
    | RequirementRule,
    Field(discriminator="kind"),
]
_RULE_ADAPTER: TypeAdapter[Rule] = TypeAdapter(Rule)
# Kinds a pack may hold several of; every other kind appears at most once.
_REPEATABLE = frozenset({"hold", "requirement"})


class _Tighten(_Strict):
    """The numbers a lender may change, each only in the stricter direction."""

    max: int | None = Field(default=None, ge=1)
    days: int | None = Field(default=None, ge=1, le=31)
    start: HHMM | None = None
    end: HHMM | None = None
    consent_extends: bool | None = None


class _OverrideSpec(_Strict):
    product: str | None = Field(default=None, min_length=1)
    region: str | None = Field(default=None, min_length=1)
    tighten: dict[str, _Tighten] = Field(min_length=1)

    @model_validator(mode="after")
    def _has_a_selector(self) -> _OverrideSpec:
        if self.product is None and self.region is None:
            raise ValueError("an override needs a product, a region or both")
        return self

    @property
    def label(self) -> str:
        parts = [f"product {self.product}"] if self.product else []
        parts += [f"region {self.region}"] if self.region else []
        return ", ".join(parts)


class _PackSpec(_Strict):
    pack: str = Field(pattern=PACK_NAME)
    title: str = Field(min_length=1)
    jurisdiction: str = Field(min_length=1)
    extends: str | None = Field(default=None, pattern=PACK_NAME)
    rules: list[Rule] = []
    tighten: dict[str, _Tighten] = {}
    overrides: list[_OverrideSpec] = []

    @model_validator(mode="after")
    def _root_has_rules(self) -> _PackSpec:
        if self.extends is None and not self.rules:
            raise ValueError("a pack that extends nothing needs rules")
        if self.extends is None and self.tighten:
            raise ValueError("tighten changes inherited rules: it needs extends")
        return self


# --- the compiled policy --------------------------------------------------------------------


_FIELDS_BY_KIND: dict[str, frozenset[str]] = {
    "contact_window": frozenset({"start", "end", "consent_extends"}),
    "answered_calls_daily": frozenset({"max"}),
    "unanswered_attempts_daily": frozenset({"max"}),
    "calls_in_period": frozenset({"max", "days"}),
    "wait_after_conversation": frozenset({"days"}),
    "third_party_once": frozenset({"max"}),
}


@dataclass(frozen=True, eq=False)
class Policy:
    """A compiled pack: its rules in order, and each kind at hand for the gate.

    ``for_context(product=…, region=…)`` returns the policy with the pack's matching overrides
    applied (cached); the gate always decides with the policy it is given.
    """

    name: str
    title: str
    jurisdiction: str
    files: tuple[str, ...]
    rules: tuple[Rule, ...]
    overrides: tuple[_OverrideSpec, ...] = ()
    product: str | None = None
    region: str | None = None
    _contexts: dict[tuple[str | None, str | None], Policy] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        by_kind: dict[str, Any] = {}
        holds: dict[str, HoldRule] = {}
        requirements: list[RequirementRule] = []
        reasons: dict[str, Reason] = {}
        for rule in self.rules:
            reasons[rule.id] = _format_reason(rule)
            if isinstance(rule, HoldRule):
                holds[rule.hold] = rule
            elif isinstance(rule, RequirementRule):
                requirements.append(rule)
            else:
                by_kind[rule.kind] = rule
        set_ = object.__setattr__
        set_(self, "reasons", reasons)
        set_(self, "holds", holds)
        set_(self, "requirements", tuple(requirements))
        set_(self, "window", by_kind.get("contact_window"))
        set_(self, "answered_calls_daily", by_kind.get("answered_calls_daily"))
        set_(self, "unanswered_attempts_daily", by_kind.get("unanswered_attempts_daily"))
        set_(self, "calls_in_period", by_kind.get("calls_in_period"))
        set_(self, "wait_after_conversation", by_kind.get("wait_after_conversation"))
        set_(self, "third_party_unreachable_only", by_kind.get("third_party_unreachable_only"))
        set_(self, "third_party_refusal", by_kind.get("third_party_refusal"))
        set_(self, "third_party_once", by_kind.get("third_party_once"))
        set_(self, "opt_out", by_kind.get("opt_out"))
        set_(self, "wrong_number", by_kind.get("wrong_number"))
        set_(self, "agent_authorisation", by_kind.get("agent_authorisation"))
        # How many local days back the day-counting rules look (the check's day included).
        periods = [
            rule.days
            for rule in (by_kind.get("calls_in_period"), by_kind.get("wait_after_conversation"))
            if rule is not None
        ]
        set_(self, "lookback_days", max([1, *periods]))

    # Set in __post_init__ (declared for type checkers).
    reasons: Mapping[str, Reason] = field(init=False, repr=False)
    holds: Mapping[str, HoldRule] = field(init=False, repr=False)
    requirements: tuple[RequirementRule, ...] = field(init=False, repr=False)
    window: ContactWindowRule | None = field(init=False, repr=False)
    answered_calls_daily: AnsweredCallsDailyRule | None = field(init=False, repr=False)
    unanswered_attempts_daily: UnansweredAttemptsDailyRule | None = field(init=False, repr=False)
    calls_in_period: CallsInPeriodRule | None = field(init=False, repr=False)
    wait_after_conversation: WaitAfterConversationRule | None = field(init=False, repr=False)
    third_party_unreachable_only: ThirdPartyUnreachableOnlyRule | None = field(
        init=False, repr=False
    )
    third_party_refusal: ThirdPartyRefusalRule | None = field(init=False, repr=False)
    third_party_once: ThirdPartyOnceRule | None = field(init=False, repr=False)
    opt_out: OptOutRule | None = field(init=False, repr=False)
    wrong_number: WrongNumberRule | None = field(init=False, repr=False)
    agent_authorisation: AgentAuthorisationRule | None = field(init=False, repr=False)
    lookback_days: int = field(init=False, repr=False)

    def rule(self, rule_id: str) -> Rule:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)

    @property
    def id(self) -> str:
        """The pack and its context, for the record: ``cn``, ``example-lender:premium-auto:-``."""
        if self.product is None and self.region is None:
            return self.name
        return f"{self.name}:{self.product or '-'}:{self.region or '-'}"

    @property
    def rule_ids(self) -> tuple[str, ...]:
        return tuple(rule.id for rule in self.rules)

    def for_context(self, *, product: str | None = None, region: str | None = None) -> Policy:
        """The policy for a loan of ``product`` in ``region``: every override whose product and
        region (those it names) match is applied, in file order. Overrides only tighten, so the
        result is never looser than this policy."""
        key = (product, region)
        cached = self._contexts.get(key)
        if cached is not None:
            return cached
        rules = self.rules
        for override in self.overrides:
            if override.product not in (None, product) or override.region not in (None, region):
                continue
            rules = _apply(rules, override.tighten)
        policy = Policy(
            name=self.name,
            title=self.title,
            jurisdiction=self.jurisdiction,
            files=self.files,
            rules=rules,
            overrides=(),
            product=product,
            region=region,
        )
        self._contexts[key] = policy
        return policy


class _Placeholders(dict[str, str]):
    def __missing__(self, key: str) -> str:
        raise ValueError(f"unknown placeholder {{{key}}}")


def _format_reason(rule: Rule) -> Reason:
    """Reasons may quote the rule's numbers: {max}, {days}, {start}, {end}."""
    values = _Placeholders()
    for name in ("max", "days"):
        if hasattr(rule, name):
            values[name] = str(getattr(rule, name))
    for name in ("start", "end"):
        if hasattr(rule, name):
            values[name] = getattr(rule, name).strftime("%H:%M")
    return Reason(
        zh=string.Formatter().vformat(rule.reason.zh, (), values),
        en=string.Formatter().vformat(rule.reason.en, (), values),
    )


def _apply(rules: tuple[Rule, ...], tighten: Mapping[str, _Tighten]) -> tuple[Rule, ...]:
    out = []
    for rule in rules:
        change = tighten.get(rule.id)
        if change is not None:
            rule = _RULE_ADAPTER.validate_python(
                {**rule.model_dump(), **change.model_dump(exclude_none=True)}
            )
        out.append(rule)
    return tuple(out)


# --- loading --------------------------------------------------------------------------------


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


def _pack_error(path: Path, raw: Any, loc: Sequence[int | str], message: str) -> str:
    """``cn.yaml: rule cn.window: field end: …`` from a pydantic error location."""
    where, rest = _where(raw, loc)
    field_name = ".".join(str(part + 1 if isinstance(part, int) else part) for part in rest)
    return f"{path.name}: {where}: field {field_name or '(rule)'}: {message}"


def _read(path: Path) -> _PackSpec:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise PolicyError(f"{path}: cannot read the policy pack: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise PolicyError(f"{path.name}: not valid YAML: {exc}") from exc
    try:
        spec = _PackSpec.model_validate(raw)
    except ValidationError as exc:
        lines = [_pack_error(path, raw, error["loc"], error["msg"]) for error in exc.errors()[:10]]
        raise PolicyError("\n".join(lines)) from exc
    if spec.pack != path.stem:
        raise PolicyError(
            f"{path.name}: top level: field pack: {spec.pack!r} does not match the file name"
        )
    return spec


def _check_tighten(
    path: Path,
    where: str,
    rules: Mapping[str, Rule],
    roots: Mapping[str, tuple[Rule, str]],
    tighten: Mapping[str, _Tighten],
) -> None:
    """Every change names a known rule, a field of its kind, and is at least as strict as the
    rule in the pack that defined it."""
    for rule_id, change in tighten.items():
        prefix = f"{path.name}: {where}rule {rule_id}"
        if rule_id not in rules:
            raise PolicyError(f"{prefix}: no such rule in the packs this one extends")
        rule = rules[rule_id]
        root, root_file = roots[rule_id]
        allowed = _FIELDS_BY_KIND.get(rule.kind, frozenset())
        changes = change.model_dump(exclude_none=True)
        if not changes:
            raise PolicyError(f"{prefix}: nothing to tighten")
        for name, value in changes.items():
            if name not in allowed:
                fields = ", ".join(sorted(allowed)) or "nothing"
                raise PolicyError(
                    f"{prefix}: field {name}: a {rule.kind} rule can only tighten {fields}"
                )
            base = getattr(root, name)
            looser = {
                "max": value > base,
                "days": value < base,
                "start": value < base,
                "end": value > base,
                "consent_extends": value and not base,
            }[name]
            if looser:
                shown = value.strftime("%H:%M") if isinstance(value, time) else value
                was = base.strftime("%H:%M") if isinstance(base, time) else base
                raise PolicyError(
                    f"{prefix}: field {name}: {shown} loosens {was} set by {root_file}; "
                    "a pack may only tighten what it inherits"
                )
        try:
            _apply((rule,), {rule_id: change})
        except ValidationError as exc:
            error = exc.errors()[0]
            fields = ", ".join(sorted(changes))
            raise PolicyError(f"{prefix}: field {fields}: {error['msg']}") from exc


def _extends_path(path: Path, name: str) -> Path:
    """A pack extends a pack beside it, or else a built-in one."""
    beside = path.with_name(f"{name}.yaml")
    return beside if beside.is_file() else POLICIES_DIR / f"{name}.yaml"


@dataclass(frozen=True)
class _Loaded:
    policy: Policy
    # rule id → (the rule as its defining pack wrote it, that pack's file name)
    roots: Mapping[str, tuple[Rule, str]]


def _load(path: Path, chain: tuple[Path, ...]) -> _Loaded:
    if path in chain:
        names = " → ".join(p.stem for p in (*chain, path))
        raise PolicyError(f"{chain[-1].name}: top level: field extends: circular ({names})")
    spec = _read(path)
    rules: dict[str, Rule] = {}
    roots: dict[str, tuple[Rule, str]] = {}
    overrides: list[_OverrideSpec] = []
    files: tuple[str, ...] = (path.name,)
    if spec.extends is not None:
        parent_path = _extends_path(path, spec.extends)
        if not parent_path.is_file():
            raise PolicyError(
                f"{path.name}: top level: field extends: no pack named {spec.extends!r}"
            )
        parent = _load(parent_path, (*chain, path))
        rules = {rule.id: rule for rule in parent.policy.rules}
        roots = dict(parent.roots)
        overrides = list(parent.policy.overrides)
        files = (path.name, *parent.policy.files)
        _check_tighten(path, "tighten ", rules, roots, spec.tighten)
        rules = {rule.id: rule for rule in _apply(tuple(rules.values()), spec.tighten)}
    kinds = {rule.kind: rule.id for rule in rules.values() if rule.kind not in _REPEATABLE}
    holds = {rule.hold: rule.id for rule in rules.values() if isinstance(rule, HoldRule)}
    for rule in spec.rules:
        prefix = f"{path.name}: rule {rule.id}"
        if rule.id in rules:
            raise PolicyError(f"{prefix}: field id: duplicate id")
        if rule.kind in kinds:
            raise PolicyError(
                f"{prefix}: field kind: a pack has one {rule.kind} rule ({kinds[rule.kind]}); "
                "tighten it instead"
            )
        if isinstance(rule, HoldRule) and rule.hold in holds:
            raise PolicyError(f"{prefix}: field hold: {rule.hold!r} is held by {holds[rule.hold]}")
        try:
            _format_reason(rule)
        except ValueError as exc:
            raise PolicyError(f"{prefix}: field reason: {exc}") from exc
        if rule.kind not in _REPEATABLE:
            kinds[rule.kind] = rule.id
        if isinstance(rule, HoldRule):
            holds[rule.hold] = rule.id
        rules[rule.id] = rule
        roots[rule.id] = (rule, path.name)
    for number, override in enumerate(spec.overrides, start=1):
        where = f"override {number} ({override.label}): "
        _check_tighten(path, where, rules, roots, override.tighten)
        overrides.append(override)
    policy = Policy(
        name=spec.pack,
        title=spec.title,
        jurisdiction=spec.jurisdiction,
        files=files,
        rules=tuple(rules.values()),
        overrides=tuple(overrides),
    )
    return _Loaded(policy, roots)


@cache
def _load_file(path: Path) -> Policy:
    return _load(path, ()).policy


def policy_path(name_or_path: str | Path) -> Path:
    """A built-in pack's name (``cn``, ``us-reg-f``) or the path of a pack file."""
    if isinstance(name_or_path, Path) or "/" in name_or_path or name_or_path.endswith(".yaml"):
        return Path(name_or_path).resolve()
    if not re.match(PACK_NAME, name_or_path):
        raise PolicyError(f"{name_or_path!r} is neither a pack name nor a .yaml path")
    return POLICIES_DIR / f"{name_or_path}.yaml"


def load_policy(name_or_path: str | Path) -> Policy:
    """Read, validate and compile a pack (and the packs it extends), once per process."""
    return _load_file(policy_path(name_or_path))


def builtin_policies() -> tuple[str, ...]:
    return tuple(sorted(path.stem for path in POLICIES_DIR.glob("*.yaml")))
