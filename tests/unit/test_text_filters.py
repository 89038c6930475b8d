import pytest

from jobs.config import load_config
from udfs.common import text_metrics as tm
from udfs.extract.text_filters import text_reasons, text_signals

CFG = load_config().extract
PROSE = ("The museum opened a new wing last spring, and visitors have been arriving in large numbers ever since. "
         "Its collection of early photographs is one of the best in the country, and the curators say that "
         "more of it will be shown next year.")


def test_metric_definitions():
    assert tm.words("Don't stop-me now, 2 times!") == ["don't", "stop-me", "now", "2", "times"]
    assert tm.word_repetition("a b c d e a b c d e".split()) == pytest.approx(2 / 6)  # "a b c d e" twice of 6
    assert tm.word_repetition("a b c d e f".split()) == 0.0
    assert tm.char_repetition("abcdefghijklmnop") == 0.0
    assert tm.char_repetition("ab" * 50) > 0.4
    assert tm.special_char_ratio("a-b c!") == pytest.approx(3 / 6)  # '-', ' ', '!'
    assert 0.15 < tm.special_char_ratio(PROSE) < 0.25  # OBELICS's definition: prose sits near 0.2
    assert tm.ratio_in(["the", "cat"], frozenset({"the"})) == 0.5


def test_word_lists_ship_with_the_package():
    assert {"the", "and", "of"} <= tm.stop_words("en")
    assert {"und", "der"} <= tm.stop_words("de") and {"и", "в"} <= tm.stop_words("ru")
    assert len(tm.common_words("en")) == 50000 and "museum" in tm.common_words("en")
    assert tm.flagged_words("en") and tm.stop_words("xx") == frozenset()


def test_clean_prose_passes_paragraph_and_document_rules():
    s = text_signals(PROSE, "en")
    assert text_reasons(s, CFG.paragraph) == []
    assert text_reasons(s, CFG.document) == []


@pytest.mark.parametrize("text, reason", [
    ("Read more here", "too_few_words"),
    (" ".join(["word"] * 1200), "too_many_words"),
    ("buy now " * 30, "char_repetition"),
    ("#### $$$ %%% @@@ !!! the cat and the dog ### *** 123 456", "special_characters"),
    ("Quantum chromodynamics lattice simulations yield hadron masses precisely", "few_stop_words"),
    ("zxqv blorf quimble snarfle the wibbet of a frobnicated glorp and the xyzzy plugh is in a borogove",
     "uncommon_words"),
])
def test_paragraph_rules_with_exact_reasons(text, reason):
    assert reason in text_reasons(text_signals(text, "en"), CFG.paragraph)


def test_languages_without_lists_skip_list_rules():
    s = text_signals("Das Museum hat im Frühjahr einen neuen Flügel eröffnet und viele Besucher kommen.", "de")
    assert s.stop_word_ratio is not None and s.common_word_ratio is None and s.flagged_word_ratio is None
    assert "uncommon_words" not in text_reasons(s, CFG.paragraph)
