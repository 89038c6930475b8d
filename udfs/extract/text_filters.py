"""Paragraph and document text signals, and the keep/drop rules on them (OBELICS thresholds).

Signals are numbers (columns in ``docs``); ``text_reasons`` turns them into stable reasons for
a given set of thresholds. Word-list signals are None for languages without a shipped list,
and a None signal never drops anything.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from udfs.common import text_metrics as tm
from udfs.common.settings import TextThresholds


@dataclass(frozen=True, slots=True)
class TextSignals:
    n_words: int
    char_repetition: float
    word_repetition: float
    special_char_ratio: float
    punctuation_ratio: float
    stop_word_ratio: float | None
    flagged_word_ratio: float | None
    common_word_ratio: float | None


def text_signals(text: str, lang: str) -> TextSignals:
    text = tm.normalize(text)
    tokens = tm.words(text)
    counts = Counter(tokens)  # one count of the words serves the three word lists
    stop, flagged, common = tm.stop_words(lang), tm.flagged_words(lang), tm.common_words(lang)
    return TextSignals(
        n_words=len(tokens),
        char_repetition=tm.char_repetition(text),
        word_repetition=tm.word_repetition(tokens),
        special_char_ratio=tm.special_char_ratio(text),
        punctuation_ratio=tm.punctuation_ratio(text, tokens),
        stop_word_ratio=tm.ratio_in(counts, stop) if stop else None,
        flagged_word_ratio=tm.ratio_in(counts, flagged) if flagged else None,
        common_word_ratio=tm.ratio_in(counts, common) if common else None,
    )


def text_reasons(s: TextSignals, t: TextThresholds) -> list[str]:
    """Reasons ``s`` fails thresholds ``t`` (a TextThresholds), in a fixed order; [] keeps it.
    A None signal (no word list for the language, or not stored) fails nothing."""
    def over(value, limit) -> bool:
        return value is not None and value > limit

    def under(value, limit) -> bool:
        return value is not None and value < limit

    checks = [
        ("too_few_words", under(s.n_words, t.min_words)),
        ("too_many_words", over(s.n_words, t.max_words)),
        ("char_repetition", over(s.char_repetition, t.max_char_repetition)),
        ("word_repetition", over(s.word_repetition, t.max_word_repetition)),
        ("special_characters", over(s.special_char_ratio, t.max_special_chars)),
        ("few_stop_words", under(s.stop_word_ratio, t.min_stop_words)),
        ("flagged_words", over(s.flagged_word_ratio, t.max_flagged_words)),
        ("little_punctuation", s.n_words is not None and s.n_words >= t.punctuation_min_words
         and under(s.punctuation_ratio, t.min_punctuation)),
        ("uncommon_words", under(s.common_word_ratio, t.min_common_words)),
    ]
    return [reason for reason, failed in checks if failed]
