"""Contact policies (联络合规策略): the rules of the contact gate, as data, compiled.

A policy is a pack's rules in order. Each rule has an id, a ``kind`` (what the gate does with
it: a time window, a daily limit, a hold …), its numbers, a reason in Chinese and English and
the regulation it comes from (see ``docs/compliance.md``). The single gate (``gate.py``) and
the batch gate (``gating.py``) read the same compiled ``Policy``; neither hard-codes a number.

A lender's pack may *tighten* the numbers per product or region (``overrides``); they are
applied by the caller before deciding: ``policy.for_context(product=…, region=…)``. Packs are
written as YAML files and read by ``autocollect.compliance.policy``; how a pack extends and
tightens another is ``policy_pack.py``.

Pure Python and pydantic: no Django, no files.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import time
from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, TypeAdapter, model_validator

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
_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


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


# --- the rules, as a pack writes them ----------------------------------------------------


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


class Tighten(_Strict):
    """The numbers a lender may change, each only in the stricter direction."""

    max: int | None = Field(default=None, ge=1)
    days: int | None = Field(default=None, ge=1, le=31)
    start: HHMM | None = None
    end: HHMM | None = None
    consent_extends: bool | None = None


class OverrideSpec(_Strict):
    product: str | None = Field(default=None, min_length=1)
    region: str | None = Field(default=None, min_length=1)
    tighten: dict[str, Tighten] = Field(min_length=1)

    @model_validator(mode="after")
    def _has_a_selector(self) -> OverrideSpec:
        if self.product is None and self.region is None:
            raise ValueError("an override needs a product, a region or both")
        return self

    @property
    def label(self) -> str:
        parts = [f"product {self.product}"] if self.product else []
        parts += [f"region {self.region}"] if self.region else []
        return ", ".join(parts)


# --- the compiled policy --------------------------------------------------------------------


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
    overrides: tuple[OverrideSpec, ...] = ()
    product: str | None = None
    region: str | None = None
    _contexts: dict[tuple[str | None, str | None], Policy] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        by_kind: dict[str, Any] = {}
        holds: dict[str, HoldRule] = {}
        requirements: list[RequirementRule] = []
        reasons: dict[str, Reason] = {}
        for rule in self.rules:
            reasons[rule.id] = format_reason(rule)
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
            rules = rules_tighten(rules, override.tighten)
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


def format_reason(rule: Rule) -> Reason:
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


def rules_tighten(rules: tuple[Rule, ...], tighten: Mapping[str, Tighten]) -> tuple[Rule, ...]:
    """The rules with each change of ``tighten`` (by rule id) applied and validated again
    (pydantic's ``ValidationError`` when a change breaks its rule)."""
    out = []
    for rule in rules:
        change = tighten.get(rule.id)
        if change is not None:
            rule = _RULE_ADAPTER.validate_python(
                {**rule.model_dump(), **change.model_dump(exclude_none=True)}
            )
        out.append(rule)
    return tuple(out)
