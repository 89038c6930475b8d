"""MetaCLIP: captions matched against metadata entries, and the balancing draw.

Matching is MetaCLIP's: the caption is padded with spaces, the punctuation , . ; : ? ! ` is
spaced out and tabs/newlines become spaces; an entry matches where ``" entry "`` occurs (an
Aho-Corasick automaton over all entries, built once per worker). Balancing keeps a pair when,
for any entry it matches, a uniform draw falls below ``t / max(count, t)`` (the entry's count
over the run); the draw is a hash of (seed, pair uid, entry), so reruns keep the same pairs.
"""
from __future__ import annotations

from importlib import resources

import xxhash

SHIPPED = resources.files("udfs.common").joinpath("wordlists", "metaclip_entries.txt")  # also inside a --py-files zip
PUNCTUATION = (",", ".", ";", ":", "?", "!", "`")
SPACES = ("\t", "\n", "\r")


def spacing(text: str) -> str:
    """MetaCLIP's text normalisation before matching."""
    spaced = f" {text} "
    for mark in PUNCTUATION:
        spaced = spaced.replace(mark, f" {mark} ")
    for char in SPACES:
        spaced = spaced.replace(char, " ")
    return spaced


def read_entries(text: str) -> tuple[str, ...]:
    """Entries of a list file: one per line, blank lines and # comments skipped, first occurrence kept."""
    seen: dict[str, None] = {}
    for line in text.splitlines():
        entry = line.strip()
        if entry and not entry.startswith("#"):
            seen.setdefault(entry, None)
    return tuple(seen)


def automaton(entries: tuple[str, ...], case_sensitive: bool):
    """An Aho-Corasick automaton over ``" entry "`` for every entry (value: the entry's index);
    build it once and keep it (``udfs.curate.curate_batches`` keeps one per worker)."""
    import ahocorasick

    built = ahocorasick.Automaton()
    for index, entry in enumerate(entries):
        key = f" {entry if case_sensitive else entry.lower()} "
        if key not in built:
            built.add_word(key, index)
    if len(built):
        built.make_automaton()
    return built


def match(text: str | None, matcher, case_sensitive: bool) -> list[int]:
    """Indices of the entries the caption matches, ascending (``matcher``: ``automaton(...)``)."""
    if not text or not len(matcher):
        return []
    spaced = spacing(text if case_sensitive else text.lower())
    return sorted({index for _, index in matcher.iter(spaced)})


def match_naive(text: str | None, entries: tuple[str, ...], case_sensitive: bool) -> list[int]:
    """The same by a loop over the entries (MetaCLIP's plain version): the benchmark's and the
    tests' reference."""
    if not text:
        return []
    spaced = spacing(text if case_sensitive else text.lower())
    return [i for i, e in enumerate(entries) if f" {e if case_sensitive else e.lower()} " in spaced]


def keep_probability(count: int, t: int) -> float:
    """MetaCLIP's per-entry keep probability."""
    return t / max(count, t)


def draw(seed: int, uid: str, entry: int) -> float:
    """A deterministic uniform [0, 1) draw for (seed, pair, entry)."""
    return xxhash.xxh64_intdigest(f"{uid}\x00{entry}".encode(), seed=seed) / 2.0 ** 64


def balanced_keep(uid: str, matched: list[int], counts: dict[int, int], t: int, seed: int) -> bool:
    """Whether balancing keeps a pair matching ``matched`` (unmatched pairs are not kept)."""
    return any(draw(seed, uid, e) < keep_probability(counts.get(e, 0), t) for e in matched)
