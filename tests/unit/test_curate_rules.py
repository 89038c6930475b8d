"""Curate's pure parts: DataComp's basic rules, MetaCLIP matching and balancing, caption
signals, FAISS clustering, the NSFW head."""
import dataclasses
import io
from types import SimpleNamespace

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.conftest import SHARED
from udfs.curate import metaclip
from udfs.curate.caption_signals import signals
from udfs.curate.clusters import assign, nearest_clusters, train
from udfs.curate.curate_batches import metadata, uid, vector_batches
from udfs.curate.nsfw import load_head, scores
from udfs.curate.pair_filters import caption_reason, pair_image_reason

CAPTIONS = SHARED / "captions_text" / "img2dataset_test_10000_url_alttext.parquet"
SIZES = SimpleNamespace(min_side=200, max_aspect=3.0)


@pytest.mark.parametrize("status,width,height,reason", [
    ("ok", 400, 300, None), ("ok", 199, 400, "image_too_small"), ("ok", 200, 601, "image_aspect"),
    ("ok", 600, 200, None), ("timeout", 400, 300, "image_not_fetched"), (None, None, None, "image_not_fetched"),
    ("ok", None, 300, "image_size_unknown"),
])
def test_image_rules(status, width, height, reason):
    assert pair_image_reason(status, width, height, SIZES) == reason


@pytest.mark.parametrize("caption,lang,reason", [
    ("a red car parked outside", "en", None), ("red car", "en", "caption_too_few_words"),
    ("a b c", "en", "caption_too_short"), ("ein rotes Auto draußen", "de", "caption_language"), (None, "en",
                                                                                                  "caption_too_few_words"),
])
def test_caption_rules(test_settings, caption, lang, reason):
    assert caption_reason(caption, lang, test_settings.curate) == reason
    assert caption_reason(caption, lang, dataclasses.replace(test_settings.curate, languages=[])) == (
        None if reason == "caption_language" else reason)


def test_metaclip_spacing_and_matching_follow_metaclip():
    assert metaclip.spacing("Dog,cat.\tbird!") == " Dog , cat .  bird !  "
    listed = ("dog", "hot dog", "cat", "at", "New York")
    folded, exact = metaclip.automaton(listed, False), metaclip.automaton(listed, True)
    assert metaclip.match("A hot dog, and a cat.", folded, False) == [0, 1, 2]  # "at" inside "cat" is no match
    assert metaclip.match("new york at night", exact, True) == [3]  # case-sensitive: "New York" does not match
    assert metaclip.match("new york at night", folded, False) == [3, 4]
    assert metaclip.match("", folded, False) == [] and metaclip.match("dog", metaclip.automaton((), False), False) == []


def real_captions() -> list[str]:
    return [t or "" for t in pq.read_table(CAPTIONS, columns=["TEXT"]).column("TEXT").to_pylist()]


def test_hand_checked_real_captions_match_the_shipped_entries(test_settings):
    listed, matcher = metadata(test_settings)
    assert len(listed) == 20000 and "guyana" in listed and "the" not in listed and "with" not in listed
    by_caption = {c: {listed[i] for i in metaclip.match(c, matcher, False)} for c in real_captions()[:40]}
    # checked by hand against the list: words that are entries match, stop words ("with", "and",
    # "top") and rarer words ("dragonfly", "bokeh") do not, and "pattern-" is not "pattern"
    # (MetaCLIP spaces out , . ; : ? ! ` only)
    assert by_caption["Banded Dragonfly, Guyana, South America"] == {"south", "america", "guyana"}
    assert by_caption["Pressure gauge with bokeh"] == {"pressure", "gauge"}
    assert by_caption["Coffee Table with Tray Top Color: Gray"] == {"table", "color", "coffee", "gray", "tray"}
    assert by_caption["Stir Fry Mango Chicken"] == {"chicken", "stir", "fry", "mango"}
    assert by_caption["Vector seamless fruit pattern- apple and pear"] == {"apple", "fruit", "vector", "pear",
                                                                           "seamless"}


def test_aho_corasick_equals_the_naive_loop_on_10000_real_captions(test_settings):
    listed = metadata(test_settings)[0][:3000]
    matcher = metaclip.automaton(listed, False)
    captions = real_captions()
    assert len(captions) == 10000
    assert all(metaclip.match(c, matcher, False) == metaclip.match_naive(c, listed, False) for c in captions)
    assert sum(bool(metaclip.match(c, matcher, False)) for c in captions) > 8000


def test_balancing_keeps_about_t_per_over_represented_entry():
    t, seed = 500, 3
    counts = {0: 20000, 1: 200}
    kept_big = sum(metaclip.balanced_keep(f"a{i}", [0], counts, t, seed) for i in range(20000))
    kept_small = sum(metaclip.balanced_keep(f"b{i}", [1], counts, t, seed) for i in range(200))
    assert abs(kept_big - t) < 4 * np.sqrt(t * (1 - t / 20000))  # binomial(20000, t/20000): within 4 sigma
    assert kept_small == 200  # under t: all kept
    assert kept_big == sum(metaclip.balanced_keep(f"a{i}", [0], counts, t, seed) for i in range(20000))  # seeded
    assert not metaclip.balanced_keep("x", [], counts, t, seed)  # no match: not kept
    both = sum(metaclip.balanced_keep(f"c{i}", [0, 1], counts, t, seed) for i in range(1000))
    assert both == 1000  # a pair matching an entry under t is always kept


def test_caption_signals(test_settings):
    horse, empty = signals(["A brown horse is running across the wide green field", ""], test_settings.nlp.spacy_model)
    assert (horse["n_nouns"], horse["n_adjectives"], horse["n_verbs"]) == (2, 3, 1)
    assert horse["noun_chunks"] == ["A brown horse", "the wide green field"]
    assert empty == {"n_nouns": 0, "n_adjectives": 0, "n_verbs": 0, "noun_chunks": []}


def planted(rng, k=5, per=200, d=32):
    centers = rng.normal(size=(k, d)) * 10
    labels = np.repeat(np.arange(k), per)
    return (centers[labels] + rng.normal(size=(k * per, d))).astype(np.float32), labels


def test_kmeans_recovers_planted_clusters():
    rng = np.random.default_rng(1)
    x, labels = planted(rng)
    found, _ = assign(x, train(x, 5, 20, 0))
    # the same partition: each planted cluster maps to exactly one found cluster and back
    pairs = set(zip(labels.tolist(), found.tolist()))
    assert len(pairs) == 5 and len({f for _, f in pairs}) == 5


def test_distributed_assignment_equals_faiss_single_process_search():
    import faiss

    rng = np.random.default_rng(2)
    x, _ = planted(rng, k=8, per=100)
    kmeans = faiss.Kmeans(x.shape[1], 8, niter=20, seed=0)
    kmeans.train(x)
    _, expected = kmeans.index.search(x, 1)
    table = pa.table({"key": [str(i) for i in range(len(x))], "embedding": pa.array(list(x), pa.list_(pa.float32()))})
    batches = table.to_batches(max_chunksize=37)[1:] + [table.slice(0, 37).to_batches()[0]]  # sliced, out of order
    out = pa.Table.from_batches(list(vector_batches(iter(batches), lambda m: assign(m, kmeans.centroids)[0],
                                                    "cluster_id", pa.int32())))
    got = dict(zip(out.column("key").to_pylist(), out.column("cluster_id").to_pylist()))
    assert [got[str(i)] for i in range(len(x))] == expected[:, 0].tolist()
    assert nearest_clusters(kmeans.centroids[[2, 5]] + 0.01, kmeans.centroids) == {2, 5}


def test_nsfw_head(tmp_path, test_settings):
    w0, b0 = np.eye(3, 2, dtype=np.float32), np.array([0.0, -1.0], np.float32)
    w1, b1 = np.array([[2.0], [1.0]], np.float32), np.array([0.5], np.float32)
    path = tmp_path / "head.npz"
    np.savez(path, w0=w0, b0=b0, w1=w1, b1=b1)
    layers = load_head(str(path), test_settings.storage)
    x = np.array([[1.0, 3.0, 0.0], [0.0, 0.0, 1.0]], np.float32)
    hidden = np.maximum(x @ w0 + b0, 0)
    assert np.allclose(scores(x, layers), 1 / (1 + np.exp(-(hidden @ w1 + b1)[:, 0])))
    bad = io.BytesIO()
    np.savez(bad, w0=np.ones((3, 2), np.float32), b0=np.zeros(2, np.float32))
    (tmp_path / "bad.npz").write_bytes(bad.getvalue())
    with pytest.raises(ValueError, match="one output"):
        load_head(str(tmp_path / "bad.npz"), test_settings.storage)


def test_uid_is_128_bit_hex_of_image_and_caption():
    a = uid("ab" * 32, "http://x/1.jpg", "a cat")
    assert len(a) == 32 and a == uid("ab" * 32, "http://other/", "a cat") != uid("ab" * 32, "http://x", "a dog")
    assert uid(None, "http://x/1.jpg", "a cat") != a
