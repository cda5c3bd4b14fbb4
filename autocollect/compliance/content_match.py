"""Matching for the content checker: where each rule finds something in a normalised text
(terms and regexes anywhere, words on word boundaries, near-combinations within a clause),
less what its ``allow`` patterns excuse."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from functools import cached_property
from itertools import permutations
from typing import Any

import jieba

from autocollect.compliance.content_normalise import Normalised, fold_text
from autocollect.compliance.content_ruleset import Near, Rule, RuleSet

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
                tokenizer.add_word(fold_text(word, rules.lang))
            _jieba_tokenizers[rules.lang] = tokenizer
        return _jieba_tokenizers[rules.lang]


@dataclass
class Document:
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


def _near_spans(doc: Document, near: Near) -> list[tuple[int, int]]:
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


def rule_spans(doc: Document, rule: Rule) -> list[tuple[int, int]]:
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
