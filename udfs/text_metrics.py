"""OBELICS/Gopher text metrics on plain strings: each a pure function, testable alone.

Words are lower-cased tokens of letters and digits (apostrophes and hyphens inside a word kept);
ratios are over words unless named otherwise.
"""
from __future__ import annotations

import gzip
import math
import re
import unicodedata
from collections import Counter
from functools import lru_cache
from importlib import resources

_WORD = re.compile(r"\w+(?:['’\-]\w+)*", re.UNICODE)
_PUNCTUATION = ".,;:!?…"
_SPECIAL = re.compile(r"[\W\d_]")  # OBELICS: punctuation, symbols, emoji, digits and whitespace
MAX_REPETITION_CHARS = 100_000  # character repetition is measured on a text's first 100k characters


def words(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text)]


def char_repetition(text: str, n: int = 10) -> float:
    """Share of character n-gram occurrences taken by the top-k n-grams, with
    k = min(⌊√distinct⌋, distinct − singletons) (OBELICS); on the first 100k characters, so a
    huge page costs bounded memory."""
    text = text[:MAX_REPETITION_CHARS]
    if len(text) < n:
        return 0.0
    counts = Counter(text[i:i + n] for i in range(len(text) - n + 1))
    distinct = len(counts)
    singletons = sum(1 for c in counts.values() if c == 1)
    k = min(int(math.sqrt(distinct)), distinct - singletons)
    if k <= 0:
        return 0.0
    top = sorted(counts.values(), reverse=True)[:k]
    return sum(top) / sum(counts.values())


def word_repetition(tokens: list[str], n: int = 5) -> float:
    """Share of word n-gram occurrences whose n-gram occurs more than once (OBELICS)."""
    if len(tokens) < n:
        return 0.0
    grams = Counter(tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1))
    total = sum(grams.values())
    return sum(c for c in grams.values() if c > 1) / total


def special_char_ratio(text: str) -> float:
    """Share of characters that are not letters (OBELICS counts digits and whitespace too)."""
    if not text:
        return 0.0
    return len(_SPECIAL.findall(text)) / len(text)


def punctuation_ratio(text: str, tokens: list[str]) -> float:
    """Sentence punctuation marks per word."""
    if not tokens:
        return 0.0
    return sum(text.count(mark) for mark in _PUNCTUATION) / len(tokens)


def ratio_in(tokens: list[str], vocabulary: frozenset[str]) -> float:
    """Share of words found in ``vocabulary`` (stop words, flagged words, common words)."""
    if not tokens:
        return 0.0
    return sum(1 for t in tokens if t in vocabulary) / len(tokens)


def normalize(text: str) -> str:
    """NFKC, for comparing words with the lists."""
    return unicodedata.normalize("NFKC", text)


@lru_cache(maxsize=None)
def wordlist(name: str) -> frozenset[str]:
    """A shipped word list (udfs/wordlists/<name>.txt or .txt.gz); empty if there is none."""
    folder = resources.files("udfs").joinpath("wordlists")
    for candidate, opener in ((f"{name}.txt", lambda p: p.read_text(encoding="utf-8")),
                              (f"{name}.txt.gz", lambda p: gzip.decompress(p.read_bytes()).decode("utf-8"))):
        path = folder.joinpath(candidate)
        if path.is_file():
            return frozenset(w.strip() for w in opener(path).splitlines() if w.strip())
    return frozenset()


def stop_words(lang: str) -> frozenset[str]:
    return wordlist(f"stopwords_{lang}")


def flagged_words(lang: str) -> frozenset[str]:
    return wordlist(f"flagged_{lang}")


def common_words(lang: str) -> frozenset[str]:
    return wordlist(f"common_{lang}")
