"""The content rule files (``content_rules/<lang>.yaml``): their vocabulary, their schema,
and their compilation into a ``RuleSet`` whose patterns match normalised text. The file
format is in docs/content-checker.md."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, get_args

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from autocollect.compliance.content_normalise import Spelling, fold_text, normalise
from autocollect.core.errors import ApplicationError

Audience = Literal["borrower", "third_party"]
Lang = Literal["zh", "en"]
Category = Literal[
    "threat",
    "insult",
    "false_legal",
    "impersonation",
    "shaming",
    "extra_fee",
    "third_party_disclosure",
]
AUDIENCES: tuple[str, ...] = get_args(Audience)
LANGS: tuple[str, ...] = get_args(Lang)
CATEGORIES: dict[str, dict[str, str]] = {
    "threat": {"zh": "威胁、恐吓", "en": "threats of violence or harm"},
    "insult": {"zh": "辱骂、侮辱", "en": "insults and humiliation"},
    "false_legal": {"zh": "虚假的抓捕、坐牢或刑事后果", "en": "false claims of arrest or crime"},
    "impersonation": {"zh": "冒充公检法、律师或监管", "en": "impersonating authorities"},
    "shaming": {"zh": "向单位、家人等曝光施压", "en": "shaming through employer or family"},
    "extra_fee": {"zh": "合同外费用或私人收款", "en": "fees or payees outside the contract"},
    "third_party_disclosure": {"zh": "向第三方透露债务", "en": "telling a third party of the debt"},
}


class ContentRulesError(ApplicationError):
    """A rule file is missing or invalid; the message names the file, the rule and the field."""


# --- the rule file schema -------------------------------------------------------------------


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _ReasonSpec(_Strict):
    zh: str = Field(min_length=1)
    en: str = Field(min_length=1)


def _check_regexes(patterns: list[str]) -> list[str]:
    for number, pattern in enumerate(patterns, start=1):
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ValueError(f"pattern {number} {pattern!r} does not compile: {exc}") from exc
    return patterns


def _check_terms(terms: list[str]) -> list[str]:
    for number, term in enumerate(terms, start=1):
        if not term.strip():
            raise ValueError(f"term {number} is empty")
    return terms


class _NearSpec(_Strict):
    groups: list[list[str]] = Field(min_length=2, max_length=4)
    within: int = Field(ge=1, le=30, description="most words from the first to the last phrase")
    ordered: bool = True

    @field_validator("groups")
    @classmethod
    def _groups_not_empty(cls, groups: list[list[str]]) -> list[list[str]]:
        for number, group in enumerate(groups, start=1):
            if not group:
                raise ValueError(f"group {number} is empty")
            _check_terms(group)
        return groups


class _RuleSpec(_Strict):
    id: str = Field(pattern=r"^[a-z]{2}(\.[a-z0-9_]+)+$")
    category: Category
    audiences: list[Audience] = Field(min_length=1)
    reason: _ReasonSpec
    source: str = Field(min_length=1)
    terms: list[str] = []
    words: list[str] = []
    regex: list[str] = []
    near: list[_NearSpec] = []
    allow: list[str] = []

    _terms_ok = field_validator("terms", "words")(_check_terms)
    _regex_ok = field_validator("regex", "allow")(_check_regexes)

    @model_validator(mode="after")
    def _has_a_pattern(self) -> _RuleSpec:
        if not (self.terms or self.words or self.regex or self.near):
            raise ValueError("a rule needs at least one of terms, words, regex or near")
        return self


class _RuleFileSpec(_Strict):
    lang: Lang
    dictionary: list[str] = []
    variants: dict[str, list[str]] = {}
    rules: list[_RuleSpec] = Field(min_length=1)


# --- compiled rules -------------------------------------------------------------------------


@dataclass(frozen=True)
class Near:
    groups: tuple[re.Pattern[str], ...]
    within: int
    ordered: bool


@dataclass(frozen=True)
class Rule:
    """One compiled rule; its patterns match the normalised text (see the module docstring)."""

    id: str
    category: str
    audiences: frozenset[str]
    reason: Mapping[str, str]
    source: str
    patterns: tuple[re.Pattern[str], ...]
    words: re.Pattern[str] | None
    near: tuple[Near, ...]
    allow: tuple[re.Pattern[str], ...]


@dataclass(frozen=True)
class RuleSet:
    lang: str
    rules: tuple[Rule, ...]
    dictionary: tuple[str, ...]
    # Variant spellings → their canonical form, applied after folding.
    variants: Mapping[str, str]
    variant_re: re.Pattern[str] | None

    def for_audience(self, audience: str) -> tuple[Rule, ...]:
        return tuple(rule for rule in self.rules if audience in rule.audiences)


def _is_latin(char: str) -> bool:
    return char.isascii() and char.isalnum()


def literal_regex(phrases: Sequence[str], *, bounded: bool) -> re.Pattern[str]:
    """One alternation, longest first; English (and Latin inside Chinese) matches whole words."""
    parts = []
    for phrase in sorted(set(phrases), key=lambda p: (-len(p), p)):
        body = re.escape(phrase)
        if bounded or _is_latin(phrase[0]):
            body = r"(?<![a-z0-9])" + body
        if bounded or _is_latin(phrase[-1]):
            body += r"(?![a-z0-9])"
        parts.append(body)
    return re.compile("|".join(parts))


def _rule_error(path: Path, raw: Any, loc: Sequence[int | str], message: str) -> str:
    """``zh.yaml: rule zh.threat.violence: field regex.2: …`` from a pydantic error location."""
    where = "top level"
    rest = list(loc)
    if len(loc) >= 2 and loc[0] == "rules" and isinstance(loc[1], int):
        index = loc[1]
        rules = raw.get("rules") if isinstance(raw, dict) else None
        rule_id = None
        if isinstance(rules, list) and index < len(rules) and isinstance(rules[index], dict):
            rule_id = rules[index].get("id")
        where = f"rule {rule_id or f'#{index + 1} (no id)'}"
        rest = list(loc[2:])
    field_name = ".".join(str(part + 1 if isinstance(part, int) else part) for part in rest)
    return f"{path.name}: {where}: field {field_name or '(rule)'}: {message}"


def load_rule_file(path: Path) -> RuleSet:
    """Read, validate and compile one rule file; every error names file, rule and field."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ContentRulesError(f"{path}: cannot read the rule file: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise ContentRulesError(f"{path.name}: not valid YAML: {exc}") from exc
    try:
        spec = _RuleFileSpec.model_validate(raw)
    except ValidationError as exc:
        lines = [_rule_error(path, raw, error["loc"], error["msg"]) for error in exc.errors()[:10]]
        raise ContentRulesError("\n".join(lines)) from exc
    return _compile(path, spec)


def _compile(path: Path, spec: _RuleFileSpec) -> RuleSet:
    lang = spec.lang
    if path.stem != lang:
        raise ContentRulesError(f"{path.name}: field lang: {lang!r} does not match the file name")
    variants = _variants(path, spec)
    variant_re = literal_regex(list(variants), bounded=lang == "en") if variants else None
    phrases = _Phrases(path, RuleSet(lang, (), tuple(spec.dictionary), variants, variant_re))
    rules: list[Rule] = []
    seen: set[str] = set()
    for rule in spec.rules:
        if not rule.id.startswith(f"{lang}."):
            raise ContentRulesError(
                f"{path.name}: rule {rule.id}: field id: must start with '{lang}.'"
            )
        if rule.id in seen:
            raise ContentRulesError(f"{path.name}: rule {rule.id}: field id: duplicate id")
        seen.add(rule.id)
        rules.append(_compile_rule(rule, phrases))
    return RuleSet(lang, tuple(rules), tuple(spec.dictionary), variants, variant_re)


def _variants(path: Path, spec: _RuleFileSpec) -> dict[str, str]:
    """Each variant spelling, folded, → its canonical form, folded."""
    variants: dict[str, str] = {}
    for canonical, spellings in spec.variants.items():
        for spelling in spellings:
            key = fold_text(spelling, spec.lang)
            if not key:
                raise ContentRulesError(
                    f"{path.name}: top level: field variants.{canonical}: {spelling!r} is empty "
                    "once normalised"
                )
            variants[key] = fold_text(canonical, spec.lang)
    return variants


@dataclass(frozen=True)
class _Phrases:
    """A rule's phrases, normalised as the texts they are looked for in will be."""

    path: Path
    spelling: Spelling

    def normalised(self, rule_id: str, field_name: str, text: str) -> str:
        normalised = normalise(text, self.spelling).text
        if not normalised:
            raise ContentRulesError(
                f"{self.path.name}: rule {rule_id}: field {field_name}: {text!r} is empty once "
                "normalised (only spaces or punctuation)"
            )
        return normalised

    def regex(self, rule_id: str, field_name: str, texts: Sequence[str]) -> re.Pattern[str]:
        phrases = [self.normalised(rule_id, field_name, text) for text in texts]
        return literal_regex(phrases, bounded=self.spelling.lang == "en")


def _compile_rule(rule: _RuleSpec, phrases: _Phrases) -> Rule:
    patterns = [re.compile(p) for p in rule.regex]
    if rule.terms:
        patterns.insert(0, phrases.regex(rule.id, "terms", rule.terms))
    words = phrases.regex(rule.id, "words", rule.words) if rule.words else None
    near = tuple(
        Near(
            groups=tuple(phrases.regex(rule.id, "near.groups", group) for group in n.groups),
            within=n.within,
            ordered=n.ordered,
        )
        for n in rule.near
    )
    return Rule(
        id=rule.id,
        category=rule.category,
        audiences=frozenset(rule.audiences),
        reason={"zh": rule.reason.zh, "en": rule.reason.en},
        source=rule.source,
        patterns=tuple(patterns),
        words=words,
        near=near,
        allow=tuple(re.compile(p) for p in rule.allow),
    )
