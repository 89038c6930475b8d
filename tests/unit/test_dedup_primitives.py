"""URL normalisation, shingling, MinHash equivalence with datasketch, LSH math, real near-dups."""
import json

import datasketch
import numpy as np
import pytest

from tests.conftest import SHARED
from udfs.dedup import minhash as mh
from udfs.common.url_normalize import normalize_url, registered_domain, url_domain


@pytest.mark.parametrize("a, b", [
    ("HTTP://Example.COM:80/a/b/?b=2&a=1#frag", "http://example.com/a/b?a=1&b=2"),
    ("https://example.com/a?utm_source=x&utm_medium=y&id=3", "http://example.com/a?id=3"),
    ("http://example.com", "http://example.com/"),
    ("http://example.com:8080/x", "http://example.com:8080/x/"),
    ("http://example.com/a%7Eb", "http://example.com/a~b"),
    ("http://example.com/?fbclid=abc", "http://example.com/"),
])
def test_equivalent_urls_normalise_to_one_form(a, b):
    assert normalize_url(a) == normalize_url(b) is not None


def test_different_urls_stay_different_and_non_http_is_none():
    assert normalize_url("http://example.com/a?id=3") != normalize_url("http://example.com/a?id=4")
    assert normalize_url("http://example.com/A") != normalize_url("http://example.com/a")  # paths are case-sensitive
    assert normalize_url("ftp://example.com/x") is None and normalize_url("not a url") is None
    assert normalize_url("http://[2001:DB8::1]:8080/x/") == "http://[2001:db8::1]:8080/x"  # IPv6 literal
    assert normalize_url("https://[::1]:443/a") == normalize_url("http://[::1]/a")


def test_registered_domains_from_the_public_suffix_list():
    assert registered_domain("news.bbc.co.uk") == "bbc.co.uk"
    assert url_domain("https://a.b.example.com/x") == "example.com"
    assert registered_domain("localhost") == "localhost"


def test_shingles_are_word_ngrams_of_folded_text():
    assert mh.shingles("The cat  sat on THE mat", 3) == ["the cat sat", "cat sat on", "sat on the", "on the mat"]
    assert mh.shingles("two words", 5) == ["two words"] and mh.shingles("", 5) == []
    assert mh.normalize_text("  A\tb  C ") == "a b c"


def test_signature_equals_datasketch_with_its_parameters():
    items = mh.shingles("the quick brown fox jumps over the lazy dog again and again today", 3)
    ours = mh.signature(mh.hash_shingles(items, 32), num_perm=128, seed=1, hash_bits=32)
    theirs = datasketch.MinHash(num_perm=128, seed=1, scheme="legacy")  # datasketch < 2.0's default
    for item in items:
        theirs.update(item.encode())
    assert np.array_equal(ours, theirs.hashvalues.astype(np.uint64))


@pytest.mark.parametrize("family", mh.FAMILIES)
def test_estimates_track_true_jaccard_without_bias(family):
    errors = []
    for trial in range(40):
        base = [f"w{trial}_{i}" for i in range(400)]
        keep = [100, 200, 300, 380][trial % 4]  # true Jaccard from ~0.14 to ~0.9
        a = mh.shingle_hashes(" ".join(base), 5)
        b = mh.shingle_hashes(" ".join(base[:keep] + [f"x{trial}_{i}" for i in range(400 - keep)]), 5)
        true = len(np.intersect1d(a, b)) / len(np.union1d(a, b))
        estimate = mh.estimated_jaccard(mh.signature(a, 256, trial, family=family),
                                        mh.signature(b, 256, trial, family=family))
        errors.append(estimate - true)
    assert max(abs(e) for e in errors) < 0.1  # 256 permutations: standard error <= 0.031
    assert abs(np.mean(errors)) < 0.01


def test_band_math():
    assert mh.lsh_threshold(14, 8) == pytest.approx(0.719, abs=0.001)  # datatrove's 14 x 8
    assert mh.candidate_probability(0.8, 14, 8) > 0.9
    assert mh.candidate_probability(0.5, 14, 8) < 0.06
    sig = np.arange(112, dtype=np.uint64)
    keys = mh.band_keys(sig, 14, 8)
    assert len(keys) == 14 and len(set(keys)) == 14
    assert mh.band_keys(sig.copy(), 14, 8) == keys


def test_real_licence_near_duplicates():
    folder = SHARED / "neardup" / "cs336_mit_license_fuzzy_dups"
    labels = json.loads((folder / "labels.json").read_text())
    texts = {p.name: p.read_text() for p in folder.glob("*.txt")}
    sigs = {name: mh.signature(mh.hash_shingles(mh.shingles(t, 5)), 112) for name, t in texts.items()}
    (a, b), = labels["duplicate_groups"]
    (single,) = labels["singletons"]
    assert set(mh.band_keys(sigs[a], 14, 8)) & set(mh.band_keys(sigs[b], 14, 8))
    assert not set(mh.band_keys(sigs[a], 14, 8)) & set(mh.band_keys(sigs[single], 14, 8))
    assert mh.jaccard(set(mh.shingles(texts[a], 5)), set(mh.shingles(texts[b], 5))) >= 0.5


def test_division_free_mersenne_modulo_is_exact():
    rng = np.random.default_rng(0)
    x = rng.integers(0, 2 ** 63, size=100000, dtype=np.uint64) * np.uint64(2) + rng.integers(0, 2, 100000, dtype=np.uint64)
    x = np.concatenate([x, np.array([0, 2 ** 61 - 2, 2 ** 61 - 1, 2 ** 61, 2 ** 64 - 1], dtype=np.uint64)])
    assert np.array_equal(mh.mod_mersenne(x.copy()), x % mh.MERSENNE_PRIME)


def test_numpy_shingle_hashes_behave_like_a_set_of_shingles():
    text = "the quick brown fox jumps over the lazy dog and the quick brown fox jumps again"
    hashes = mh.shingle_hashes(text, 5)
    assert len(hashes) == len(set(mh.shingles(text, 5)))  # one per distinct shingle, no collisions here
    assert np.array_equal(hashes, mh.shingle_hashes(text.upper() + "  ", 5))  # case and spacing folded
    assert len(mh.shingle_hashes("two words", 5)) == 1 and len(mh.shingle_hashes("", 5)) == 0
    other = mh.shingle_hashes("the quick brown fox jumps over the lazy cat and the quick brown fox jumps again", 5)
    overlap = len(np.intersect1d(hashes, other)) / len(np.union1d(hashes, other))
    assert overlap == pytest.approx(mh.jaccard(set(mh.shingles(text, 5)), set(mh.shingles(text.replace("dog", "cat"), 5))))


def test_image_set_keys_ignore_order_repeats_and_small_sets():
    from udfs.dedup.dedup_signatures import image_set_hash

    a, b = "http://x/1.jpg", "http://x/2.jpg"
    assert image_set_hash([None, a, b]) == image_set_hash([b, None, a, a])
    assert image_set_hash([a], min_images=2) is None and image_set_hash([None]) is None
    assert image_set_hash([a, b], min_images=2) is not None


def test_paragraph_hashes_fold_case_and_space_and_count_once_per_document():
    from udfs.dedup.repeated_content import paragraph_hash, paragraph_hashes

    assert paragraph_hash("Read  our Cookie policy") == paragraph_hash("read our cookie POLICY ")
    assert paragraph_hash("a") != paragraph_hash("b")
    assert -(1 << 63) <= paragraph_hash("x") < 1 << 63  # fits Spark's bigint
    assert paragraph_hashes(["one\n\ntwo", None, "ONE"]) == sorted({paragraph_hash("one"), paragraph_hash("two")})


def test_removing_content_keeps_page_order_and_merges_texts():
    from udfs.dedup.repeated_content import cleaned_or_reason, paragraph_hash, remove_content

    doc = {"doc_id": "d", "texts": ["intro\n\nfooter", None, "body", None], "images": [None, "logo", None, "photo"],
           "image_meta": [None, {"src": "logo"}, None, {"src": "photo"}], "n_words": 4}
    unchanged = remove_content(doc, set(), set())
    assert unchanged["texts"] == doc["texts"] and unchanged["n_words"] == 4 and unchanged["n_paragraphs"] == 3
    cleaned = remove_content(doc, {paragraph_hash("footer")}, {"logo"})
    assert cleaned["texts"] == ["intro\n\nbody", None] and cleaned["images"] == [None, "photo"]
    assert cleaned["image_meta"] == [None, {"src": "photo"}]
    assert (cleaned["paragraphs_removed"], cleaned["images_removed"], cleaned["n_words"]) == (1, 1, 2)
    everything = {paragraph_hash(p) for p in ("intro", "footer", "body")}
    assert cleaned_or_reason(doc, everything, set(), 1)[1] == "no_text_after_paragraph_dedup"
    assert cleaned_or_reason(doc, set(), {"logo", "photo"}, 1)[1] == "no_images_after_image_dedup"
    assert cleaned_or_reason(doc, set(), {"logo", "photo"}, 0)[1] is None


def test_numpy_words_are_the_regex_words():
    import re

    text = "İstanbul’s café—naïve 東京タワー ½ x² emoji😀word ΣΑΣ ß don't_stop 3.14\n\tend"
    points, starts, ends = mh.word_spans(text)
    assert ["".join(map(chr, points[a:b])) for a, b in zip(starts, ends)] == re.findall(r"\w+", text.lower())
    words = mh.word_hashes("Alpha beta alpha BETA gamma")
    assert words[0] == words[2] and words[1] == words[3] and len(set(words.tolist())) == 3
    assert mh.word_hashes("ab")[0] != mh.word_hashes("ba")[0] and mh.word_hashes("a")[0] != mh.word_hashes("a_")[0]
    assert mh.word_hashes("  ...  ").size == 0


def test_batched_shingle_hashes_equal_one_text_at_a_time():
    from udfs.dedup.dedup_signatures import _groups

    texts = ["", "one", "two words", "İstanbul’s café—naïve 東京タワー and more words here", "...",
             (SHARED / "neardup" / "cs336_mit_license_fuzzy_dups" / "pytorch_license.txt").read_text(), "a b c d e"]
    batch = mh.shingle_hashes_batch(texts, 5)
    assert [len(h) for h in batch[:3]] == [0, 1, 1] and len(batch[5]) > 100
    for text, hashes in zip(texts, batch):
        alone = mh.shingle_hashes(text, 5)
        assert np.array_equal(hashes, alone) and len(alone) == len(set(mh.shingles(text, 5)))
    assert [len(g) for g in _groups(["ab", "cd", "ef"], max_chars=4)] == [2, 1]


def test_a_document_whose_keys_fail_gets_none_and_says_why():
    from jobs.config import load_config
    from udfs.dedup.dedup_signatures import _guarded_keys, source_file

    doc = {"doc_id": "d", "url": "http://x.example/", "fetch_time": None, "texts": [b"not text"], "images": [],
           "general_metadata": {"warc_filename": "s3://cc/crawl-data/CC-MAIN-2024-10/x.warc.gz"}}
    keys = _guarded_keys(doc, load_config().dedup, None)
    assert keys["key_error"].startswith("TypeError") and keys["band_keys"] == [] and "norm_url" not in keys
    assert keys["source_file"].startswith("x.warc.gz~") and source_file(None) == "unknown"
    assert source_file("a/b c:d.warc") != source_file("z/b c:d.warc") and ":" not in source_file("a/b c:d.warc")
