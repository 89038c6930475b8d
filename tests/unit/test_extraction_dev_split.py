"""The extraction development set's tuning/check split: by site, stratified, stable."""
from collections import Counter

from tests import extraction_dev as dev


def test_no_site_is_in_both_halves_and_every_page_is_in_one():
    halves = dev.split()
    assert len(halves) == len(dev.pages()) == 774 and set(halves.values()) == set(dev.HALVES)
    sites = {name: {p.site for p in dev.half(name)} for name in dev.HALVES}
    assert not sites["tune"] & sites["check"]
    assert len(sites["tune"]) + len(sites["check"]) >= 400  # sites, not a few big families


def test_every_source_and_large_language_is_in_both_halves_in_about_equal_parts():
    halves = dev.split()
    assert abs(Counter(halves.values())["tune"] - len(halves) / 2) < 0.05 * len(halves)
    for key in ("source", "language"):
        counts = Counter((getattr(p, key), halves[p.id]) for p in dev.pages())
        for value in {getattr(p, key) for p in dev.pages()}:
            tune, check = counts[(value, "tune")], counts[(value, "check")]
            if tune + check >= 20:
                assert min(tune, check) >= 0.3 * (tune + check), (key, value, tune, check)


def test_tokens_count_words_and_each_cjk_character():
    assert dev.tokens("The cat, the CAT!") == Counter({"the": 2, "cat": 2})
    assert dev.tokens("中文字 and 日本語") == Counter({"中": 1, "文": 1, "字": 1, "and": 1, "日": 1, "本": 1, "語": 1})
