"""The dedup stage on a small corpus with planted URL, exact and near duplicates of real text."""
import dataclasses
import datetime as dt
import random

import pytest

from jobs import dedup
from jobs.runtime import RunContext
from jobs.tables import read_table, write_table
from schemas.docs import DOCS
from schemas.docs_dedup import DOCS_DEDUP
from schemas.duplicates import DUPLICATES
from schemas.rejects import REJECTS
from tests.conftest import SHARED

pytestmark = pytest.mark.spark


def corpus() -> list[dict]:
    base = (SHARED / "neardup" / "cs336_mit_license_fuzzy_dups" / "pytorch_license.txt").read_text().split()
    rng = random.Random(7)
    words = [w for w in base if w.isalpha()]
    texts = {f"t{i}": " ".join(rng.choice(words) + str(rng.randrange(1000)) for _ in range(300)) for i in range(6)}
    near = texts["t2"].split()
    near[10:14] = ["edited", "words", "here", "now"]  # ~97% shingle overlap with t2
    far = texts["t3"].split()[:150] + texts["t4"].split()[:150]  # ~50% with t3

    def day(d):
        return dt.datetime(2024, 5, d, tzinfo=dt.timezone.utc)

    rows = [
        ("a1", "https://example.com/a?utm_source=x", texts["t0"], day(1)),
        ("a2", "http://EXAMPLE.com/a", texts["t5"], day(2)),              # same URL, newer: kept
        ("b1", "http://example.com/b", texts["t1"], day(1)),
        ("b2", "http://example.com/b-copy", "  " + texts["t1"].upper(), day(1)),  # exact (case/space)
        ("c1", "http://example.com/c", texts["t2"], day(3)),
        ("c2", "http://example.com/c2", " ".join(near), day(1)),         # near duplicate of c1
        ("d1", "http://example.com/d", texts["t3"], day(1)),
        ("d2", "http://example.com/d2", " ".join(far), day(1)),          # half the same: not a duplicate
    ]
    docs = [{"doc_id": d, "url": u, "texts": [t, None], "images": [None, f"http://img.example.com/{d}.jpg"],
             "image_meta": [None, None], "fetch_time": f, "keep": True, "drop_reasons": []} for d, u, t, f in rows]
    gallery = ["http://img.example.com/1.jpg", "http://img.example.com/2.jpg"]
    for doc_id, text, images, when in (("e1", "First caption page about a gallery of harbour boats.", gallery, day(4)),
                                       ("e2", "Another page, other words, the very same two pictures.",
                                        list(reversed(gallery)) + [gallery[0]], day(2))):
        docs.append({"doc_id": doc_id, "url": f"http://example.com/{doc_id}", "texts": [text] + [None] * len(images),
                     "images": [None] + images, "image_meta": [None] * (len(images) + 1), "fetch_time": when,
                     "keep": True, "drop_reasons": []})
    return docs


@pytest.fixture(scope="module")
def run(spark, test_settings, tmp_path_factory):
    ctx = RunContext(run_dir=str(tmp_path_factory.mktemp("dedup")), config=test_settings)
    write_table(spark.createDataFrame(corpus(), DOCS.spark()), DOCS, ctx)
    return ctx, dedup.run(spark, ctx), spark


def test_planted_duplicates_are_found_and_the_rest_kept(run):
    ctx, stats, spark = run
    found = {(r["doc_id"], r["kind"], r["kept_doc_id"]) for r in read_table(spark, DUPLICATES, ctx).collect()}
    assert found == {("a1", "url", "a2"), ("b2", "exact", "b1"), ("c2", "near", "c1"), ("e2", "image_set", "e1")}
    assert stats["input_rows"] == 10 and stats["output_rows"] == 6
    assert stats["rejected"] == {"dup_url": 1, "dup_exact": 1, "dup_image_set": 1, "dup_near": 1}
    assert stats["balanced"]
    rejects = read_table(spark, REJECTS, ctx).where("stage = 'dedup'")
    assert sorted(r["key"] for r in rejects.collect()) == ["a1", "b2", "c2", "e2"]
    kept = read_table(spark, DOCS_DEDUP, ctx)
    assert sorted(r["doc_id"] for r in kept.collect()) == ["a2", "b1", "c1", "d1", "d2", "e1"]


def test_rerun_gives_the_identical_table(run):
    ctx, _, spark = run
    before = sorted(tuple(r) for r in read_table(spark, DUPLICATES, ctx).collect())
    dedup.run(spark, ctx)
    assert sorted(tuple(r) for r in read_table(spark, DUPLICATES, ctx).collect()) == before


def test_connected_components_follow_chains(spark):
    edges = spark.createDataFrame([("e", "d"), ("d", "c"), ("c", "b"), ("b", "a"), ("x", "y")], "src string, dst string")
    labels, rounds = dedup.connected_components(spark, edges, max_iterations=20, checkpoint_every=2)
    assert dict(labels.collect()) == {"a": "a", "b": "a", "c": "a", "d": "a", "e": "a", "x": "x", "y": "x"}
    assert rounds >= 2


def test_a_rule_set_the_docs_were_not_measured_for_is_an_error(spark, test_settings, tmp_path):
    from jobs.config import ConfigError
    from jobs.tables import decided_documents, night_path
    from udfs.extract.document_rules import family_signals

    ctx = RunContext(run_dir=str(tmp_path), config=test_settings)
    older = spark.createDataFrame(corpus(), DOCS.spark()).drop(*family_signals("gopher"))  # before gopher_v1
    older.write.parquet(night_path(DOCS, ctx))
    assert decided_documents(spark, ctx).count() == len(corpus())  # the rule sets it was measured for: as before
    extract = dataclasses.replace(test_settings.extract, document_rules=["obelics", "gopher"])
    later = dataclasses.replace(ctx, config=dataclasses.replace(test_settings, extract=extract))
    with pytest.raises(ConfigError, match="document_rules has gopher"):
        decided_documents(spark, later)
