"""Gopher, C4 and FineWeb document rules: each rule on small crafted texts, the signal columns,
float32 decisions, the word tokenizer, and the vectorized n-gram counts against plain loops."""
import dataclasses
import random
from collections import Counter

import pyarrow as pa
import pytest

from jobs.config import load_config
from schemas.quality_signals import FAMILY_VERSIONS, QUALITY_COLUMNS
from udfs.extract.quality_rules import quality_reasons, quality_signals, tokens

SENTENCES = [
    "The museum opened a new wing last spring, and visitors have been arriving ever since.",
    "Its collection of early photographs is one of the best in the country.",
    "The curators say that more of it will be shown to the public next year.",
    "A small team of volunteers restored the old wooden boats over the winter.",
    "They worked in a cold shed by the harbour with borrowed tools.",
    "Most of them had never held a plane or a chisel before they started.",
    "When the first boat went back into the water in April, half of the town came down to watch.",
    "The mayor gave a short speech, the children cheered, and the boat did not leak at all.",
]
GOOD = "\n\n".join(" ".join(SENTENCES[i:i + 2]) for i in range(0, len(SENTENCES), 2))
FIRST_LINE = " ".join(SENTENCES[:2])
FAMILIES = ("gopher", "c4", "fineweb")
SHIPPED = load_config().extract  # configs/default.yaml: datatrove's defaults (test_quality_oracle checks them)


def shipped(family: str, **changes):
    """The family's shipped thresholds with ``changes``."""
    return dataclasses.replace(getattr(SHIPPED, family), **changes)


def reasons(text: str, family: str, thresholds=None, lang: str = "en") -> list[str]:
    return quality_reasons(quality_signals(text, lang), family, thresholds or shipped(family))


def test_signals_are_exactly_the_columns_and_fit_their_types():
    schema = pa.schema([c.arrow() for c in QUALITY_COLUMNS])
    for text, lang in ((GOOD, "en"), ("", "en"), ("   \n\n ", "en"), ("# only a heading", "de"),
                       ("中文字符，你好。日本語のテキスト。", "zh")):
        signals = quality_signals(text, lang)
        assert set(signals) == {c.name for c in QUALITY_COLUMNS}
        assert pa.Table.from_pylist([signals], schema=schema).num_rows == 1  # raises if a value does not fit
    names = [c.name for c in QUALITY_COLUMNS]
    assert len(names) == len(set(names))
    assert all(any(n.startswith(v + "_") for v in FAMILY_VERSIONS.values()) for n in names)
    assert set(FAMILY_VERSIONS) == set(FAMILIES)


@pytest.mark.parametrize("family", FAMILIES)
def test_plain_prose_passes_every_family(family):
    assert reasons(GOOD, family) == []


def test_signals_of_plain_prose():
    s = quality_signals(GOOD, "en")
    assert s["gopher_v1_word_count"] == sum(len(x.split()) for x in SENTENCES)  # commas and periods are no words
    assert s["gopher_v1_stop_words"] == 8  # the, be, to, of, and, that, have, with
    assert (s["c4_v1_sentences"], s["c4_v1_lines_kept"], s["c4_v1_lines_removed"]) == (8, 4, 0)
    assert (s["fineweb_v1_lines"], s["fineweb_v1_line_punct_ratio"], s["fineweb_v1_char_dup_ratio"]) == (4, 1.0, 0.0)
    assert s["gopher_v1_dup_5gram_char_frac"] == 0.0 and s["gopher_v1_dup_line_frac"] == 0.0


REPEATED = " ".join(SENTENCES[:3])
GOPHER_CASES = [
    ("The cat sat on the mat and it was happy to be there.", "gopher_too_few_words"),
    (" ".join(f"I am so at it, we do go on to be in a by{i}." for i in range(8)), "gopher_short_words"),
    (" ".join(f"internationalisation{i} telecommunications{i} the of" for i in range(30)), "gopher_long_words"),
    (GOOD + "\n\n" + " ".join(f"#tag{i}" for i in range(30)), "gopher_too_many_hashes"),
    (GOOD + "\n\n" + " ".join(f"and then{i} ..." for i in range(30)), "gopher_too_many_ellipsis"),
    ("\n".join(f"- {s}" for s in SENTENCES), "gopher_too_many_bullets"),
    ("\n".join(s[:-1] + "..." for s in SENTENCES[:4]) + "\n" + "\n".join(SENTENCES[4:]),
     "gopher_too_many_end_ellipsis"),
    (GOOD + "\n\n" + " ".join(str(i) for i in range(40)), "gopher_few_alpha_words"),
    ("Rain fell on quiet hills while farmers waited for news. Their crops grew slowly in cold wet fields. "
     "Some families moved away, others stayed on their land. A new road now runs past old stone barns. "
     "Buses bring tourists every summer, who buy cheese, bread or honey from small shops. "
     "Prices rose last year, but trade kept growing. Nobody knows what next spring brings. "
     "Everyone hopes for sun.", "gopher_few_stop_words"),
    (GOOD + "\n\n" + "\n\n".join([SENTENCES[0]] * 4), "gopher_dup_para_frac"),
    (GOOD + "\n\n" + "\n\n".join([" ".join(SENTENCES)] * 2), "gopher_dup_para_char_frac"),
    ("\n".join(SENTENCES + SENTENCES[:4]), "gopher_dup_line_frac"),
    ("\n".join(SENTENCES) + "\n" + " ".join(SENTENCES) + "\n" + " ".join(SENTENCES), "gopher_dup_line_char_frac"),
    (" ".join(f"big cat word{i} of the" for i in range(40)), "gopher_top_2gram"),
    (" ".join(f"big red cat word{i} and" for i in range(40)), "gopher_top_3gram"),
    (" ".join(f"one big red cat word{i}" for i in range(40)), "gopher_top_4gram"),
    (GOOD + "\n\n" + REPEATED + " " + REPEATED, "gopher_dup_5gram"),
    (GOOD + "\n\n" + REPEATED + " and then " + REPEATED + " so " + REPEATED, "gopher_dup_10gram"),
]


@pytest.mark.parametrize("text, reason", GOPHER_CASES, ids=[r for _, r in GOPHER_CASES])
def test_each_gopher_rule_drops_its_case(text, reason):
    assert reason in reasons(text, "gopher")
    assert reason not in reasons(GOOD, "gopher")


def test_gopher_limits_can_move_or_be_turned_off():
    assert "gopher_too_many_words" in reasons(GOOD, "gopher", shipped("gopher", max_doc_words=100))
    short = "The cat sat on the mat and it was happy to be there."
    assert "gopher_too_few_words" in reasons(short, "gopher")
    assert "gopher_too_few_words" not in reasons(short, "gopher", shipped("gopher", min_doc_words=None))
    repeated = GOPHER_CASES[-5][0]
    assert {"gopher_top_2gram", "gopher_top_3gram"} <= set(reasons(repeated, "gopher"))
    loose = shipped("gopher", top_2gram_char_frac=0.9, top_3gram_char_frac=None)
    assert not {"gopher_top_2gram", "gopher_top_3gram"} & set(reasons(repeated, "gopher", loose))


@pytest.mark.parametrize("text, reason", [
    ("\n".join(SENTENCES[:4]) + "\nHome\nAbout us", "c4_too_few_sentences"),
    (GOOD + "\nLorem ipsum dolor sit amet, consectetur.", "c4_lorem_ipsum"),
    (GOOD + "\nSet the {name} field before you save it.", "c4_curly_bracket"),
])
def test_each_c4_rule_drops_its_case(text, reason):
    assert reason in reasons(text, "c4")
    assert reason not in reasons(GOOD, "c4")


def test_c4_line_rules_shape_the_signals():
    lines = [
        "Read our privacy policy before you sign up for the course.",  # policy: removed
        "Please enable javascript to see the {map} of the area.",  # javascript: removed before the bracket rule
        "The bridge opened in 1932[1] and was repainted in 1990.[citation needed]",  # kept, citations dropped
        "Two words.",  # too few words
        "A line that ends without a mark",
        "A line that trails off...",
        "Dr. Smith arrived. Then it rained! Everyone went home.",  # 3 sentences: "Dr." ends none
        "",
    ]
    s = quality_signals("\n".join(lines), "en")
    assert (s["c4_v1_lines_kept"], s["c4_v1_lines_removed"], s["c4_v1_sentences"]) == (2, 5, 4)
    assert not s["c4_v1_curly_bracket"] and not s["c4_v1_lorem_ipsum"]
    assert reasons("\n".join(lines), "c4") == ["c4_too_few_sentences"]
    assert reasons("\n".join(lines), "c4", shipped("c4", min_num_sentences=4)) == []


@pytest.mark.parametrize("text, reason", [
    ("", "fineweb_empty"),
    ("\n".join(s[:-1] for s in SENTENCES), "fineweb_line_punct_ratio"),
    (GOOD + "\n" + "\n".join(f"Menu item {i}." for i in range(20)), "fineweb_short_line_ratio"),
    (GOOD + "\n" + FIRST_LINE, "fineweb_char_dup_ratio"),
    ("\n".join(f"{w}." for w in " ".join(SENTENCES).split()[:40]), "fineweb_list_ratio"),
])
def test_each_fineweb_rule_drops_its_case(text, reason):
    assert reason in reasons(text, "fineweb")
    assert reason not in reasons(GOOD, "fineweb")


def test_fineweb_thresholds():
    no_marks = "\n".join(s[:-1] for s in SENTENCES)
    assert reasons(no_marks, "fineweb", shipped("fineweb", line_punct_exclude_zero=True)) == []
    assert reasons(GOOD + "\n" + FIRST_LINE, "fineweb", shipped("fineweb", char_duplicates_ratio=0.5)) == []


def test_decisions_compare_as_float32_and_none_never_drops():
    # 3 repeated lines of 10: exactly datatrove's 0.3, which passes (0.3 stored as float32 is above 0.3)
    text = "\n".join(SENTENCES[:7] + SENTENCES[:3])
    s = quality_signals(text, "en")
    assert s["gopher_v1_dup_line_frac"] == pytest.approx(0.3) and s["gopher_v1_dup_line_frac"] > 0.3
    assert "gopher_dup_line_frac" not in quality_reasons(s, "gopher", shipped("gopher"))
    nothing = {k: None for k in s}
    nothing.update({"gopher_v1_word_count": 100, "gopher_v1_stop_words": 8, "c4_v1_sentences": 9,
                    "c4_v1_lorem_ipsum": False, "c4_v1_curly_bracket": False, "fineweb_v1_lines": 3})
    assert all(quality_reasons(nothing, f, shipped(f)) == [] for f in FAMILIES)


def test_reasons_reject_unknown_families_and_mismatched_thresholds():
    s = quality_signals(GOOD, "en")
    with pytest.raises(ValueError):
        quality_reasons(s, "dolma", shipped("gopher"))
    with pytest.raises(TypeError):
        quality_reasons(s, "c4", shipped("gopher"))


@pytest.mark.parametrize("text, words", [
    ("Hello, world.", ["Hello", ",", "world", "."]),
    ("I haven't seen Mr. Smith's e-mail (e.g., at 10am).",
     ["I", "have", "n't", "seen", "Mr.", "Smith", "'s", "e", "-", "mail", "(", "e.g.", ",", "at", "10", "am", ")",
      "."]),
    ("U.S. rates rose 2.5% to $1,000... wow!!", ["U.S.", "rates", "rose", "2.5", "%", "to", "$", "1,000", "...", "wow",
                                               "!", "!"]),
    ("See http://x.com/a.html. COVID-19 well-known end.Start",
     ["See", "http://x.com/a.html", ".", "COVID-19", "well", "-", "known", "end", ".", "Start"]),
    ("“Quoted” — dash, x--y, f(x) and ©2008 ★", ["“", "Quoted", "”", "—", "dash", ",", "x", "--", "y", ",", "f(x",
                                                 ")", "and", "©", "2008", "★"]),
    ("so my question is" + "." * 3000 + "what", ["so", "my", "question", "is", "." * 3000, "what"]),
])
def test_words_follow_spacys_english_rules(text, words):
    assert tokens(text, "en") == words  # what spacy.blank("en") gives (checked when the cases were written)


def test_chinese_and_japanese_are_split_into_characters():
    assert tokens("中文字符，你好。", "zh") == ["中", "文", "字", "符", "，", "你", "好", "。"]
    assert tokens("中文字符，你好。", "en") == ["中文字符，你好", "。"]


def _plain_ngrams(words: list[str], text_len: int) -> dict[str, float | None]:
    """Gopher's n-gram fractions, written as the plain loops they are defined by."""
    out: dict[str, float | None] = {}
    for n in (2, 3, 4):
        grams = [" ".join(words[i:i + n]) for i in range(len(words) - n + 1)]
        out[f"gopher_v1_top_{n}gram_char_frac"] = None
        if grams:
            gram, count = Counter(grams).most_common(1)[0]
            out[f"gopher_v1_top_{n}gram_char_frac"] = len(gram) * count / text_len
    for n in range(5, 11):
        seen, i, chars = set(), 0, 0
        while i < len(words) - n + 1:
            gram = tuple(words[i:i + n])
            if gram in seen:
                chars += sum(map(len, gram))
                i += n
            else:
                seen.add(gram)
                i += 1
        out[f"gopher_v1_dup_{n}gram_char_frac"] = chars / text_len
    return out


@pytest.mark.parametrize("seed", range(40))
def test_vectorized_ngram_counts_equal_plain_loops(seed):
    rng = random.Random(seed)
    vocabulary = [f"w{i}" for i in range(rng.choice([3, 6, 20, 200]))] + [",", "."]
    words = [rng.choice(vocabulary) for _ in range(rng.choice([1, 4, 11, 60, 400]))]
    if seed % 3 == 0:  # repeated passages, as boilerplate makes them
        words = words[:30] + words[5:25] * 3 + words[30:]
    text = " ".join(words)
    s = quality_signals(text, "en")
    assert tokens(text) == words
    expected = _plain_ngrams(words, len(text))
    for name, value in expected.items():
        assert s[name] == (None if value is None else pytest.approx(value, rel=1e-6)), name
