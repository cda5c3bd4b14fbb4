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

The checker is pure Python (no database, no Django settings) so that templates can be checked in
bulk at render time and the engine's batch gate can call it. This module is its interface; the
rule files are read and compiled by ``content_ruleset``, texts normalised by
``content_normalise`` and matched by ``content_match``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from autocollect.compliance.content_match import Document, rule_spans
from autocollect.compliance.content_normalise import normalise
from autocollect.compliance.content_ruleset import AUDIENCES, LANGS, RuleSet, load_rule_file
from autocollect.core.errors import ApplicationError

RULES_DIR = Path(__file__).resolve().with_name("content_rules")


class ContentCheckError(ApplicationError):
    """A request to the checker is invalid (unknown audience or language)."""


@cache
def load_rules(lang: str) -> RuleSet:
    """The rules for a language, read once per process from ``content_rules/<lang>.yaml``."""
    if lang not in LANGS:
        raise ContentCheckError(f"lang must be one of {', '.join(LANGS)}, not {lang!r}")
    return load_rule_file(RULES_DIR / f"{lang}.yaml")


# --- findings -------------------------------------------------------------------------------


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


def lint_text(text: str, *, audience: str, lang: str) -> LintResult:
    """Check one text for one audience; ``ok`` only when no rule finds anything.

    ``start``/``end`` of each finding are offsets into ``text`` (``text[start:end]`` is the
    finding's ``text``); the reason is in ``lang``.
    """
    if audience not in AUDIENCES:
        raise ContentCheckError(f"audience must be one of {', '.join(AUDIENCES)}, not {audience!r}")
    rules = load_rules(lang)
    doc = Document(normalise(text, rules), rules)
    findings: list[Finding] = []
    for rule in rules.for_audience(audience):
        for start, end in rule_spans(doc, rule):
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
