"""The content checker (话术内容检查): no text reaches a borrower or a third party unless it passes.

``lint_text(text, audience=..., lang=...)`` returns the findings of the rules in
``content_rules/<lang>.yaml`` that apply to the audience. The rules are data: each names its
category, the audiences it protects, a reason in Chinese and English, the regulation it comes
from, and its patterns (see ``docs/content-checker.md`` for the file format).

How a text is checked:

1. It is normalised so that spacing, punctuation and simple disguises do not hide a phrase:
   NFKC (full-width → half-width), lower case, zero-width characters, emoji, punctuation and
   spaces dropped between characters (Chinese) or collapsed to one space between words
   (English), variant spellings mapped to one form (傻b/沙比 → 傻逼, 您 → 你, l0ser → loser,
   you'll → you will). Every normalised character remembers where it came from, so a finding is
   reported as offsets into the original text.
2. Each rule's patterns run over the normalised text: ``terms`` (literal phrases, anywhere),
   ``words`` (literal phrases that must start and end on a word boundary; for Chinese the word
   boundaries come from jieba, so 坐牢 does not match inside 乘坐牢固), ``regex`` and ``near``
   (one phrase from each group, in order, within N words and within one clause).
3. A candidate is dropped when one of the rule's ``allow`` patterns overlaps it (谨防骗子,
   不收取任何手续费).

The module is pure Python (no database, no Django settings) so that templates can be checked in
bulk at render time and the engine's batch gate can call it.
"""

from __future__ import annotations

import enum
import logging
import re
import threading
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cache, cached_property, lru_cache
from itertools import permutations
from pathlib import Path
from typing import Any, Literal, get_args

import jieba
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from autocollect.core.errors import ApplicationError

RULES_DIR = Path(__file__).resolve().with_name("content_rules")

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

# A punctuation mark in this set ends a clause, which bounds ``near`` combinations ("通知我们。
# 单位地址…" is not "通知…单位"). A clause shorter than MIN_CLAUSE characters is merged into the
# next one, so that a mark put between single characters (通。知。你。单。位) splits nothing.
# The set is tested after NFKC, which turns ，！？；： into their ASCII forms and … into "...".
_CLAUSE_BREAKS = frozenset("。、,;:!?.\n\r")
MIN_CLAUSE = 4
_APOSTROPHES = frozenset("'’‘ʼ")
# Leetspeak in English words (l0ser, $cum, 4rrest); applied only inside a word with a letter.
_LEET = str.maketrans(
    {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s"}
)
_CONTRACTIONS = {
    "won't": "will not",
    "can't": "cannot",
    "shan't": "shall not",
    "ain't": "is not",
    "let's": "let us",
    "y'all": "you all",
}
_SUFFIXES = (
    ("n't", " not"),
    ("'ll", " will"),
    ("'re", " are"),
    ("'ve", " have"),
    ("'m", " am"),
    ("'d", " would"),
)
# "'s" is "is" after these words and a possessive (dropped) after any other.
_IS_BEFORE = frozenset({"it", "he", "she", "that", "there", "what", "who", "where", "here", "this"})


class ContentRulesError(ApplicationError):
    """A rule file is missing or invalid; the message names the file, the rule and the field."""


class ContentCheckError(ApplicationError):
    """A request to the checker is invalid (unknown audience or language)."""


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
class _Near:
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
    near: tuple[_Near, ...]
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


def _literal_regex(phrases: Sequence[str], *, bounded: bool) -> re.Pattern[str]:
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
    variants: dict[str, str] = {}
    for canonical, spellings in spec.variants.items():
        for spelling in spellings:
            key = _fold_text(spelling, lang)
            if not key:
                raise ContentRulesError(
                    f"{path.name}: top level: field variants.{canonical}: {spelling!r} is empty "
                    "once normalised"
                )
            variants[key] = _fold_text(canonical, lang)
    variant_re = _literal_regex(list(variants), bounded=lang == "en") if variants else None
    partial = RuleSet(lang, (), tuple(spec.dictionary), variants, variant_re)

    def phrase(rule_id: str, field_name: str, text: str) -> str:
        normalised = normalise(text, partial).text
        if not normalised:
            raise ContentRulesError(
                f"{path.name}: rule {rule_id}: field {field_name}: {text!r} is empty once "
                "normalised (only spaces or punctuation)"
            )
        return normalised

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
        patterns = [re.compile(p) for p in rule.regex]
        if rule.terms:
            terms = [phrase(rule.id, "terms", t) for t in rule.terms]
            patterns.insert(0, _literal_regex(terms, bounded=lang == "en"))
        words = [phrase(rule.id, "words", w) for w in rule.words]
        near = tuple(
            _Near(
                groups=tuple(
                    _literal_regex(
                        [phrase(rule.id, "near.groups", t) for t in group], bounded=lang == "en"
                    )
                    for group in n.groups
                ),
                within=n.within,
                ordered=n.ordered,
            )
            for n in rule.near
        )
        rules.append(
            Rule(
                id=rule.id,
                category=rule.category,
                audiences=frozenset(rule.audiences),
                reason={"zh": rule.reason.zh, "en": rule.reason.en},
                source=rule.source,
                patterns=tuple(patterns),
                words=_literal_regex(words, bounded=lang == "en") if words else None,
                near=near,
                allow=tuple(re.compile(p) for p in rule.allow),
            )
        )
    return RuleSet(lang, tuple(rules), tuple(spec.dictionary), variants, variant_re)


@cache
def load_rules(lang: str) -> RuleSet:
    """The rules for a language, read once per process from ``content_rules/<lang>.yaml``."""
    if lang not in LANGS:
        raise ContentCheckError(f"lang must be one of {', '.join(LANGS)}, not {lang!r}")
    return load_rule_file(RULES_DIR / f"{lang}.yaml")


# --- normalisation --------------------------------------------------------------------------


class _Kind(enum.Enum):
    WORD = "word"  # part of a word: kept
    BREAK = "break"  # ends a clause: dropped
    OTHER = "other"  # space, symbol, emoji, zero-width or combining mark: dropped


@lru_cache(maxsize=1 << 16)
def _fold_char(char: str, lang: str) -> tuple[str, _Kind]:
    """(characters kept, kind) of one character after NFKC and lower case.

    Letters and digits are kept; anything else (spaces, punctuation, symbols, emoji, zero-width
    and combining marks) is dropped, so 坐 . 牢 reads 坐牢. English keeps apostrophes and the
    leetspeak symbols @ and $ inside words as well, to expand contractions and read l@ser.
    """
    folded = unicodedata.normalize("NFKC", char).lower()
    kept = "".join(c for c in folded if unicodedata.category(c)[0] in "LN")
    if kept:
        return kept, _Kind.WORD
    if lang == "en" and folded in _APOSTROPHES:
        return "'", _Kind.WORD
    if lang == "en" and folded in ("@", "$"):
        return folded, _Kind.WORD
    if any(c in _CLAUSE_BREAKS for c in folded):
        return "", _Kind.BREAK
    return "", _Kind.OTHER


def _fold_text(text: str, lang: str) -> str:
    if lang == "en":
        return " ".join(_english_words(text))
    return "".join(_fold_char(c, lang)[0] for c in text)


def _english_words(text: str) -> list[str]:
    """The words of a rule phrase or variant, with the same treatment as a checked text."""
    return [t for t, _s, _e in _english_tokens(text)]


@dataclass(frozen=True)
class Normalised:
    """The normalised text; ``starts[i]``/``ends[i]`` locate character i in the original."""

    text: str
    starts: list[int]
    ends: list[int]
    clauses: list[int]

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        return self.starts[start], self.ends[end - 1]


def normalise(text: str, rules: RuleSet) -> Normalised:
    """Normalise ``text`` for ``rules.lang`` and map each character back to the original."""
    folded = _normalise_english(text) if rules.lang == "en" else _normalise_chinese(text)
    return _apply_variants(folded, rules)


def _normalise_chinese(text: str) -> Normalised:
    chars: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    clauses: list[int] = []
    clause = fragment = 0
    pending_break = False
    for index, char in enumerate(text):
        kept, kind = _fold_char(char, "zh")
        if kind is _Kind.BREAK:
            pending_break = True
        for out in kept:
            if pending_break and fragment >= MIN_CLAUSE:
                clause += 1
                fragment = 0
            pending_break = False
            chars.append(out)
            starts.append(index)
            ends.append(index + 1)
            clauses.append(clause)
            fragment += 1
    return Normalised("".join(chars), starts, ends, clauses)


# An English token: its text and, per character, where it came from.
_Token = tuple[str, list[int], list[int]]


def _raw_english_tokens(text: str) -> Iterator[tuple[str, list[int], list[int], bool]]:
    """Runs of word characters: (text, starts, ends, a clause break came before it)."""
    chars: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    pending_break = False
    broke = False
    for index, char in enumerate(text):
        kept, kind = _fold_char(char, "en")
        if kind is _Kind.WORD:
            if not chars:
                broke, pending_break = pending_break, False
            for out in kept:
                chars.append(out)
                starts.append(index)
                ends.append(index + 1)
            continue
        if chars:
            yield "".join(chars), starts, ends, broke
            chars, starts, ends = [], [], []
        if kind is _Kind.BREAK:
            pending_break = True
    if chars:
        yield "".join(chars), starts, ends, broke


def _expand_word(word: str) -> list[str]:
    """you'll → you will, don't → do not, l0ser → loser, $500 → 500, borrower's → borrower."""
    word = word.strip("'")
    if "'" in word:
        if word in _CONTRACTIONS:
            return _CONTRACTIONS[word].split()
        for suffix, expansion in _SUFFIXES:
            if word.endswith(suffix) and len(word) > len(suffix):
                stem = word[: -len(suffix)]
                return f"{stem}{expansion}".replace("'", "").split()
        if word.endswith("'s"):
            stem = word[:-2].replace("'", "")
            return [stem, "is"] if stem in _IS_BEFORE else [stem]
        word = word.replace("'", "")
    if any(c.isalpha() for c in word):
        return [word.translate(_LEET)]
    return [word.replace("@", "").replace("$", "")] if word.strip("@$") else []


def _english_tokens(text: str) -> list[tuple[str, int, int]]:
    """Words as (text, first character, last character + 1); used for rule phrases."""
    return [(t, s[0], e[-1]) for t, s, e, _b in _english_token_stream(text)]


def _english_token_stream(text: str) -> list[tuple[str, list[int], list[int], bool]]:
    tokens: list[tuple[str, list[int], list[int], bool]] = []
    for raw, starts, ends, broke in _raw_english_tokens(text):
        words = _expand_word(raw)
        if len(words) == 1 and len(words[0]) == len(starts):
            # Same length (lower case, leetspeak): character-for-character mapping.
            tokens.append((words[0], starts, ends, broke))
            continue
        # A changed length (contraction, dropped symbol): every character maps to the whole word.
        for position, word in enumerate(words):
            span_starts = [starts[0]] * len(word)
            span_ends = [ends[-1]] * len(word)
            tokens.append((word, span_starts, span_ends, broke and position == 0))
    return _join_spelled_out(tokens)


def _join_spelled_out(
    tokens: list[tuple[str, list[int], list[int], bool]],
) -> list[tuple[str, list[int], list[int], bool]]:
    """Three or more one-letter words in a row are one spelled-out word: "l o s e r" → loser."""
    out: list[tuple[str, list[int], list[int], bool]] = []
    run: list[tuple[str, list[int], list[int], bool]] = []

    def flush() -> None:
        if len(run) >= 3:
            out.append(
                (
                    "".join(t[0] for t in run),
                    [s for t in run for s in t[1]],
                    [e for t in run for e in t[2]],
                    run[0][3],
                )
            )
        else:
            out.extend(run)
        run.clear()

    for token in tokens:
        if len(token[0]) == 1 and token[0].isalpha():
            run.append(token)
            continue
        flush()
        out.append(token)
    flush()
    return out


def _normalise_english(text: str) -> Normalised:
    chars: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    clauses: list[int] = []
    clause = fragment = 0
    for word, word_starts, word_ends, broke in _english_token_stream(text):
        if broke and fragment >= MIN_CLAUSE:
            clause += 1
            fragment = 0
        if chars:
            # The separating space spans the gap between the two words.
            chars.append(" ")
            starts.append(ends[-1])
            ends.append(word_starts[0])
            clauses.append(clause)
        chars.extend(word)
        starts.extend(word_starts)
        ends.extend(word_ends)
        clauses.extend([clause] * len(word))
        fragment += len(word)
    return Normalised("".join(chars), starts, ends, clauses)


def _apply_variants(folded: Normalised, rules: RuleSet) -> Normalised:
    if rules.variant_re is None or not rules.variant_re.search(folded.text):
        return folded
    chars: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    clauses: list[int] = []
    position = 0
    for match in rules.variant_re.finditer(folded.text):
        begin, finish = match.span()
        chars.append(folded.text[position:begin])
        starts.extend(folded.starts[position:begin])
        ends.extend(folded.ends[position:begin])
        clauses.extend(folded.clauses[position:begin])
        canonical = rules.variants[match.group()]
        chars.append(canonical)
        starts.extend([folded.starts[begin]] * len(canonical))
        ends.extend([folded.ends[finish - 1]] * len(canonical))
        clauses.extend([folded.clauses[begin]] * len(canonical))
        position = finish
    chars.append(folded.text[position:])
    starts.extend(folded.starts[position:])
    ends.extend(folded.ends[position:])
    clauses.extend(folded.clauses[position:])
    return Normalised("".join(chars), starts, ends, clauses)


# --- word segmentation ----------------------------------------------------------------------

_jieba_lock = threading.Lock()
_jieba_tokenizers: dict[str, Any] = {}


def _jieba_for(rules: RuleSet) -> Any:
    """A private jieba tokenizer with the rule file's domain words, built once (≈0.5 s).

    Private so that our added words never change how other code segments text. jieba logs its
    dictionary loading at DEBUG on the "jieba" logger; it is raised to WARNING to keep CLI
    output and test logs clean.
    """
    tokenizer = _jieba_tokenizers.get(rules.lang)
    if tokenizer is not None:
        return tokenizer
    with _jieba_lock:
        if rules.lang not in _jieba_tokenizers:
            jieba.setLogLevel(logging.WARNING)
            tokenizer = jieba.Tokenizer()
            tokenizer.initialize()
            for word in rules.dictionary:
                tokenizer.add_word(_fold_text(word, rules.lang))
            _jieba_tokenizers[rules.lang] = tokenizer
        return _jieba_tokenizers[rules.lang]


@dataclass
class _Document:
    """A normalised text plus its words, segmented only when a rule needs them."""

    norm: Normalised
    rules: RuleSet

    @cached_property
    def _segmentation(self) -> tuple[list[int], frozenset[int], frozenset[int]]:
        text = self.norm.text
        index = [0] * len(text)
        word_starts: set[int] = set()
        word_ends: set[int] = set()
        if self.rules.lang == "en":
            number = 0
            for position, char in enumerate(text):
                if char == " ":
                    number += 1
                    word_ends.add(position)
                    word_starts.add(position + 1)
                index[position] = number
            word_starts.add(0)
            word_ends.add(len(text))
        else:
            # HMM off: unknown runs split into single characters, which only adds boundaries,
            # and the result does not depend on a statistical guess (and is faster).
            words = _jieba_for(self.rules).tokenize(text, HMM=False)
            for number, (_word, begin, finish) in enumerate(words):
                word_starts.add(begin)
                word_ends.add(finish)
                index[begin:finish] = [number] * (finish - begin)
        return index, frozenset(word_starts), frozenset(word_ends)

    def word_number(self, position: int) -> int:
        return self._segmentation[0][position]

    def on_word_boundaries(self, start: int, end: int) -> bool:
        _index, word_starts, word_ends = self._segmentation
        return start in word_starts and end in word_ends


# --- matching -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    rule: str
    category: str
    start: int
    end: int
    text: str
    reason: str
    source: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "category": self.category,
            "start": self.start,
            "end": self.end,
            "text": self.text,
            "reason": self.reason,
            "source": self.source,
        }


@dataclass(frozen=True)
class LintResult:
    findings: tuple[Finding, ...]

    @property
    def ok(self) -> bool:
        return not self.findings

    @property
    def categories(self) -> frozenset[str]:
        return frozenset(f.category for f in self.findings)

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "findings": [f.as_dict() for f in self.findings]}


def _near_spans(doc: _Document, near: _Near) -> list[tuple[int, int]]:
    text = doc.norm.text
    matches = [[m.span() for m in group.finditer(text)] for group in near.groups]
    if not all(matches):
        return []
    orders = [matches] if near.ordered else [list(p) for p in permutations(matches)]
    clauses = doc.norm.clauses
    spans: list[tuple[int, int]] = []
    for ordered_groups in orders:
        # Partial chains: (first start, last end); each next phrase starts after the last ends.
        chains = [(start, end) for start, end in ordered_groups[0]]
        for group in ordered_groups[1:]:
            chains = [
                (first, end)
                for first, last_end in chains
                for start, end in group
                if start >= last_end
                and doc.word_number(start) - doc.word_number(first) <= near.within
                and clauses[start] == clauses[first]
            ]
            if not chains:
                break
        spans.extend(chains)
    return spans


def _rule_spans(doc: _Document, rule: Rule) -> list[tuple[int, int]]:
    text = doc.norm.text
    spans = [m.span() for pattern in rule.patterns for m in pattern.finditer(text)]
    if rule.words is not None:
        spans.extend(
            m.span() for m in rule.words.finditer(text) if doc.on_word_boundaries(*m.span())
        )
    for near in rule.near:
        spans.extend(_near_spans(doc, near))
    spans = [(start, end) for start, end in spans if end > start]
    if spans and rule.allow:
        allowed = [m.span() for pattern in rule.allow for m in pattern.finditer(text)]
        spans = [
            (start, end)
            for start, end in spans
            if not any(a_start < end and start < a_end for a_start, a_end in allowed)
        ]
    return _merge(spans)


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def lint_text(text: str, *, audience: str, lang: str) -> LintResult:
    """Check one text for one audience; ``ok`` only when no rule finds anything.

    ``start``/``end`` of each finding are offsets into ``text`` (``text[start:end]`` is the
    finding's ``text``); the reason is in ``lang``.
    """
    if audience not in AUDIENCES:
        raise ContentCheckError(f"audience must be one of {', '.join(AUDIENCES)}, not {audience!r}")
    rules = load_rules(lang)
    doc = _Document(normalise(text, rules), rules)
    findings: list[Finding] = []
    for rule in rules.for_audience(audience):
        for start, end in _rule_spans(doc, rule):
            begin, finish = doc.norm.original_span(start, end)
            findings.append(
                Finding(
                    rule=rule.id,
                    category=rule.category,
                    start=begin,
                    end=finish,
                    text=text[begin:finish],
                    reason=rule.reason[lang],
                    source=rule.source,
                )
            )
    findings.sort(key=lambda f: (f.start, f.end, f.rule))
    return LintResult(tuple(findings))
