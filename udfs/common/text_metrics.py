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

import numpy as np

_WORD = re.compile(r"\w+(?:['’\-]\w+)*", re.UNICODE)
_PUNCTUATION = ".,;:!?…"
_SPECIAL = re.compile(r"[\W\d_]")  # OBELICS: punctuation, symbols, emoji, digits and whitespace
_GRAM_BASE = np.uint64(0x100000001B3)
MAX_REPETITION_CHARS = 100_000  # character repetition is measured on a text's first 100k characters


def words(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text)]


def _repeated_counts(keys: np.ndarray) -> np.ndarray:
    """Occurrences of each distinct value of ``keys`` (sorted, then run lengths)."""
    keys = np.sort(keys)
    starts = np.flatnonzero(np.concatenate(([True], keys[1:] != keys[:-1])))
    return np.diff(np.append(starts, len(keys)))


def _gram_keys(ids: np.ndarray, n: int) -> np.ndarray:
    """A 64-bit key per window of ``n`` consecutive ids (polynomial hash, wrapping: collisions
    among a page's n-grams have odds of about 1 in 10^9 and would only merge two counts)."""
    ids = ids.astype(np.uint64)
    keys = np.zeros(len(ids) - n + 1, dtype=np.uint64)
    for j in range(n):
        keys = keys * _GRAM_BASE + ids[j:len(ids) - n + 1 + j]
    return keys


def char_repetition(text: str, n: int = 10) -> float:
    """Share of character n-gram occurrences taken by the top-k n-grams, with
    k = min(⌊√distinct⌋, distinct − singletons) (OBELICS); on the first 100k characters, so a
    huge page costs bounded memory."""
    text = text[:MAX_REPETITION_CHARS]
    if len(text) < n:
        return 0.0
    counts = _repeated_counts(_gram_keys(np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32), n))
    distinct = len(counts)
    k = min(math.isqrt(distinct), distinct - int(np.count_nonzero(counts == 1)))
    if k <= 0:
        return 0.0
    return float(np.sort(counts)[distinct - k:].sum()) / float(counts.sum())  # sort: partition is slower on many ties


def word_repetition(tokens: list[str], n: int = 5) -> float:
    """Share of word n-gram occurrences whose n-gram occurs more than once (OBELICS)."""
    if len(tokens) < n:
        return 0.0
    ids = np.fromiter(map(hash, tokens), dtype=np.int64, count=len(tokens)).view(np.uint64)
    counts = _repeated_counts(_gram_keys(ids, n))
    return float(counts[counts > 1].sum()) / float(counts.sum())


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


def ratio_in(tokens: list[str] | Counter, vocabulary: frozenset[str]) -> float:
    """Share of words found in ``vocabulary`` (stop words, flagged words, common words); the
    words as a list or as their Counter (one count serves several lists)."""
    counts = tokens if isinstance(tokens, Counter) else Counter(tokens)
    total = sum(counts.values())
    if not total:
        return 0.0
    return sum(c for w, c in counts.items() if w in vocabulary) / total


def normalize(text: str) -> str:
    """NFKC, for comparing words with the lists."""
    return unicodedata.normalize("NFKC", text)


@lru_cache(maxsize=None)
def wordlist(name: str) -> frozenset[str]:
    """A shipped word list (udfs/common/wordlists/<name>.txt or .txt.gz); empty if there is none."""
    folder = resources.files("udfs.common").joinpath("wordlists")
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
