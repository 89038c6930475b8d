"""The curate stage on local Spark: real decoded images, alt texts, documents and CLIP scores
from a tiny open_clip checkpoint (the clip stage runs first, as in the pipeline)."""
import dataclasses
import datetime as dt
import hashlib
from pathlib import Path

import numpy as np
import pytest

from jobs import clip, curate
from jobs.runtime import RunContext
from jobs.tables import read_table, write_table
from schemas.clip import CLIP_SCORES
from schemas.curate import OBELICS, PAIRS
from schemas.docs import ALT_PAIRS
from schemas.docs_dedup import DOCS_DEDUP
from schemas.images import IMAGES
from schemas.rejects import REJECTS
from tests.conftest import SHARED
from tests.tiny_clip import save_tiny_model, with_tiny_model
from udfs.images.image_decode import decode

pytestmark = pytest.mark.spark
FILES = {"astronaut": "captioned/skimage_astronaut.png", "coffee": "captioned/skimage_coffee.png",
         "horse": "captioned/skimage_horse.png", "narrow": "photos_odd_aspect/img2dataset_123_456.jpg",
         "wide": "photos_odd_aspect/img2dataset_524_316.jpg"}
PAIRS_IN = [
    ("d1", "astronaut", "An astronaut in a white space suit"),
    ("d1", "coffee", "A cup of hot coffee on a wooden table"),
    ("d1", "horse", "A horse standing in a green field today"),
    ("d2", "wide", "A red car parked in front of a house"),
    ("d2", "narrow", "A tall narrow photo of a lighthouse tower"),  # min side 123 < 200
    ("d2", "missing", "A picture that was never downloaded at all"),  # 404
    ("d3", "coffee", "Kaffee"),  # one word
    ("d3", "horse", "Ein Pferd steht heute auf der grünen Wiese"),  # German
]


def url(name: str) -> str:
    return f"http://img.example/{name}"


def run_folder(spark, settings, path, more_pairs=()) -> RunContext:
    ctx = RunContext(run_dir=str(path), config=settings)
    rows = [{**decode((SHARED / "images" / f).read_bytes(), None, settings.images), "image_url": url(n)}
            for n, f in FILES.items()]
    rows.append({"image_url": url("missing"), "status": "http_404"})
    write_table(spark.createDataFrame(rows, IMAGES.spark()), IMAGES, ctx)
    write_table(spark.createDataFrame([{"doc_id": d, "image_url": url(n), "alt_text": t, "page_url": f"http://{d}/",
                                        "position": 1} for d, n, t in [*PAIRS_IN, *more_pairs]], ALT_PAIRS.spark()),
                ALT_PAIRS, ctx)
    docs = [("d1", ["An astronaut.", None, "Coffee time.", None], [None, url("astronaut"), None, url("narrow")]),
            ("d2", ["Only a missing picture here.", None], [None, url("missing")])]
    write_table(spark.createDataFrame([{
        "doc_id": d, "url": f"http://{d}/", "texts": t, "images": i, "keep": True, "drop_reasons": [], "lang": "en",
        "fetch_time": dt.datetime(2024, 5, 1, tzinfo=dt.timezone.utc),
        "general_metadata": {"url": f"http://{d}/", "warc_filename": "f.warc.gz", "warc_record_offset": 7,
                             "warc_record_length": 1}} for d, t, i in docs], DOCS_DEDUP.spark()), DOCS_DEDUP, ctx)
    return ctx


def with_curate(settings, **changes):
    return dataclasses.replace(settings, curate=dataclasses.replace(settings.curate, **changes))


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return save_tiny_model(tmp_path_factory.mktemp("tiny_curate"), "weft-tiny-curate", seed=9)


@pytest.fixture(scope="module")
def settings(test_settings, tiny):
    # random weights give scores near 0: the threshold is lowered so the other rules can be seen
    return with_curate(with_tiny_model(test_settings, tiny, "weft-tiny-curate", embedding_dtype="float32"),
                       clip_threshold=-1.0)


@pytest.fixture(scope="module")
def done(spark, settings, tmp_path_factory):
    ctx = run_folder(spark, settings, tmp_path_factory.mktemp("curate"))
    clip.run(spark, ctx)
    return ctx, curate.run(spark, ctx)


def reasons(spark, ctx) -> dict[str, str]:
    """caption → reject reason of the curate stage's pair rejects."""
    uids = {r["key"]: r["reason"] for r in read_table(spark, REJECTS, ctx).where("stage = 'curate'").collect()}
    return {t: uids[u] for t, u in captions_by_uid(ctx).items() if u in uids}


def captions_by_uid(ctx) -> dict[str, str]:
    from udfs.curate.curate_batches import uid
    from udfs.images.image_decode import decode as dec

    sha = {n: dec((SHARED / "images" / f).read_bytes(), None, ctx.config.images)["sha256"] for n, f in FILES.items()}
    return {t: uid(sha.get(n), url(n), t) for _, n, t in PAIRS_IN}


def test_datacomp_basic_rules_each_have_a_reason(spark, done):
    ctx, stats = done
    kept = {r["text"] for r in read_table(spark, PAIRS, ctx).collect()}
    assert kept == {"An astronaut in a white space suit", "A cup of hot coffee on a wooden table",
                    "A horse standing in a green field today", "A red car parked in front of a house"}
    assert reasons(spark, ctx) == {
        "A tall narrow photo of a lighthouse tower": "image_too_small",
        "A picture that was never downloaded at all": "image_not_fetched",
        "Kaffee": "caption_too_few_words",
        "Ein Pferd steht heute auf der grünen Wiese": "caption_language"}
    assert stats["balanced"] and stats["pairs_in"] == 8 and stats["pairs"] == 4


def test_pairs_carry_datacomp_columns_and_signals(spark, done):
    ctx, _ = done
    scores = {(r["doc_id"], r["image_url"]): r["similarity"] for r in
              read_table(spark, CLIP_SCORES, ctx).where("text_kind = 'alt_text'").collect()}
    for row in read_table(spark, PAIRS, ctx).collect():
        assert len(row["uid"]) == 32 and int(row["uid"], 16) >= 0
        assert row["clip_score"] == pytest.approx(scores[(row["doc_id"], row["url"])])
        assert row["lang"] == "en" and row["width"] > 0 and row["nsfw_score"] is None and row["cluster_id"] is None
        assert row["n_nouns"] >= 1 and row["noun_chunks"]
    horse = read_table(spark, PAIRS, ctx).where("text LIKE 'A horse%'").first()
    assert (horse["n_nouns"], horse["n_adjectives"], horse["n_verbs"]) == (3, 1, 1)  # horse field today; green; standing
    assert "horse" in horse["metaclip_entries"] and "green" in horse["metaclip_entries"]


def test_documents_lose_the_images_that_failed(spark, done):
    ctx, stats = done
    docs = {r["doc_id"]: r for r in read_table(spark, OBELICS, ctx).collect()}
    assert set(docs) == {"d1"} and stats["obelics"] == 1
    assert docs["d1"]["images"] == [None, url("astronaut"), None]  # the narrow image is gone; texts merged
    assert docs["d1"]["texts"] == ["An astronaut.", None, "Coffee time."]
    assert docs["d1"]["images_filtered"] == {"image_too_small": 1}
    rejects = read_table(spark, REJECTS, ctx).where("stage = 'curate' AND key = 'd2'").collect()
    assert [(r["reason"], r["warc_filename"]) for r in rejects] == [("no_images_after_image_filter", "f.warc.gz")]


def tree_digest(root: Path, skip: tuple[str, ...]) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(root.rglob("*"))
            if p.is_file() and not str(p.relative_to(root)).startswith(skip)}


def test_a_rerun_with_another_threshold_changes_only_curates_tables(spark, done):
    ctx, _ = done
    own = ("pairs", "obelics", f"rejects/run_date={ctx.run_date}/stage=curate", "_stats/curate.json")
    before = tree_digest(Path(ctx.run_dir), own)
    median = float(np.median([r["clip_score"] for r in read_table(spark, PAIRS, ctx).collect()]))
    stricter = RunContext(run_dir=ctx.run_dir, config=with_curate(ctx.config, clip_threshold=median))
    stats = curate.run(spark, stricter)
    assert stats["pairs"] == 2 and stats["rejected"]["clip_score_below_threshold"] == 2
    assert tree_digest(Path(ctx.run_dir), own) == before  # every upstream table byte-identical
    top = RunContext(run_dir=ctx.run_dir, config=with_curate(ctx.config, clip_top_fraction=0.25))
    assert curate.run(spark, top)["pairs"] <= 2


def test_clusters_tag_pairs_and_cap_them(spark, done, tmp_path):
    ctx, _ = done
    capped = RunContext(run_dir=ctx.run_dir, config=with_curate(
        ctx.config, clusters=dataclasses.replace(ctx.config.curate.clusters, k=2, max_per_cluster=1)))
    stats = curate.run(spark, capped)
    rows = read_table(spark, PAIRS, ctx).collect()
    assert stats["clusters_k"] == 2 and len(rows) == 2 and {r["cluster_id"] for r in rows} == {0, 1}
    assert stats["rejected"]["cluster_cap"] == 2


def test_nsfw_head_scores_images(spark, done, tmp_path):
    ctx, _ = done
    rng = np.random.default_rng(0)
    head = tmp_path / "head.npz"
    np.savez(head, w0=rng.normal(size=(32, 8)).astype(np.float32), b0=np.zeros(8, np.float32),
             w1=rng.normal(size=(8, 1)).astype(np.float32), b1=np.zeros(1, np.float32))
    scored = RunContext(run_dir=ctx.run_dir, config=with_curate(ctx.config, nsfw_head=str(head), max_nsfw=0.5))
    stats = curate.run(spark, scored)
    rows = read_table(spark, PAIRS, ctx).collect()
    assert all(r["nsfw_score"] is not None and r["nsfw_score"] <= 0.5 for r in rows)
    assert len(rows) + stats["rejected"].get("nsfw", 0) == 4


def test_metaclip_balancing_runs_last_on_the_pairs_that_pass(spark, done):
    ctx, _ = done
    balance = dataclasses.replace(ctx.config.curate.metaclip, balance=True, t=1, seed=4)
    stats = curate.run(spark, RunContext(run_dir=ctx.run_dir, config=with_curate(ctx.config, metaclip=balance)))
    rows = read_table(spark, PAIRS, ctx).collect()
    dropped = {r: n for r, n in stats["rejected"].items() if r.startswith("metaclip")}
    assert len(rows) + sum(dropped.values()) == 4 and set(dropped) <= {"metaclip_balanced_out", "metaclip_no_match"}
    assert all(r["metaclip_entries"] and r["n_nouns"] is not None for r in rows)
    again = curate.run(spark, RunContext(run_dir=ctx.run_dir, config=with_curate(ctx.config, metaclip=balance)))
    assert again["rejected"] == stats["rejected"]  # seeded: the same pairs every time


def test_the_same_image_and_caption_on_two_pages_is_one_pair(spark, settings, tmp_path):
    """A uid names an image and its caption: a second page with both adds a duplicate_pair reject."""
    ctx = run_folder(spark, settings, tmp_path, more_pairs=[("d9", "astronaut", PAIRS_IN[0][2])])
    stats = curate.run(spark, ctx)
    pairs = read_table(spark, PAIRS, ctx).collect()
    assert len({p["uid"] for p in pairs}) == len(pairs) == stats["pairs"]
    astronaut = [p for p in pairs if p["url"] == url("astronaut")]
    assert [p["doc_id"] for p in astronaut] == ["d1"]  # no CLIP scores here: the smallest doc_id stays
    dup = read_table(spark, REJECTS, ctx).where("stage = 'curate' AND reason = 'duplicate_pair'").collect()
    assert [r["key"] for r in dup] == [astronaut[0]["uid"]] and dup[0]["detail"] == "also on http://d9/"
