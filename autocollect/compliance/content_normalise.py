"""Normalisation for the content checker: a text as its rules see it, each character mapped
back to where it came from (``content.py`` explains the steps).

NFKC (full-width → half-width), lower case; zero-width characters, emoji, punctuation and
spaces dropped between characters (Chinese) or collapsed to one space between words (English);
English contractions expanded and leetspeak read (you'll → you will, l0ser → loser); and the
rule file's variant spellings mapped to one form (傻b/沙比 → 傻逼, 您 → 你).
"""

from __future__ import annotations

import enum
import re
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol

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


class Spelling(Protocol):
    """What normalisation needs of a rule set (``content_ruleset.RuleSet``): its language and
    its variant spellings, with the regex that finds them."""

    @property
    def lang(self) -> str: ...

    @property
    def variants(self) -> Mapping[str, str]: ...

    @property
    def variant_re(self) -> re.Pattern[str] | None: ...


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


def fold_text(text: str, lang: str) -> str:
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


def normalise(text: str, rules: Spelling) -> Normalised:
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


def _apply_variants(folded: Normalised, rules: Spelling) -> Normalised:
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
