"""The clip stage on local Spark with a tiny open_clip model (seeded random weights saved as a
checkpoint file and loaded through clip.checkpoint)."""
import datetime as dt
import io

import numpy as np
import pytest
import torch
from PIL import Image

from jobs import clip
from jobs.runtime import RunContext
from jobs.tables import read_table, write_table
from schemas.clip import CLIP_EMBEDDINGS, CLIP_SCORES
from schemas.docs import ALT_PAIRS
from schemas.docs_dedup import DOCS_DEDUP
from schemas.images import IMAGES
from schemas.rejects import REJECTS
from tests.conftest import SHARED
from tests.tiny_clip import save_tiny_model, with_tiny_model
from udfs.images.image_decode import decode

pytestmark = pytest.mark.spark
FILES = ["captioned/skimage_astronaut.png", "odd/pillow_flower.jpg", "captioned/skimage_coffee.png"]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return save_tiny_model(tmp_path_factory.mktemp("tiny_clip_job"), "weft-tiny-job", seed=11)


def run_folder(spark, settings, tmp_path) -> RunContext:
    ctx = RunContext(run_dir=str(tmp_path), config=settings)
    rows = []
    for i, name in enumerate(FILES):
        row = decode((SHARED / "images" / name).read_bytes(), "image/png", settings.images)
        rows.append({**row, "image_url": f"http://img.example/{i}.png"})
    rows.append({**rows[0], "image_url": "http://mirror.example/0.png"})  # same bytes, other URL
    rows.append({"image_url": "http://img.example/broken.png", "status": "ok", "sha256": "f" * 64,
                 "image_bytes": b"not an image at all"})
    write_table(spark.createDataFrame(rows, IMAGES.spark()), IMAGES, ctx)
    pairs = [("d1", "http://img.example/0.png", "an astronaut"), ("d2", "http://img.example/1.png", "a flower"),
             ("d2", "http://img.example/broken.png", "broken")]
    write_table(spark.createDataFrame([{"doc_id": d, "image_url": u, "alt_text": t, "position": 1} for d, u, t in pairs],
                                      ALT_PAIRS.spark()), ALT_PAIRS, ctx)
    doc = {"doc_id": "d1", "url": "http://a.example/", "keep": True, "drop_reasons": [],
           "fetch_time": dt.datetime(2024, 5, 1, tzinfo=dt.timezone.utc),
           "texts": ["far away text", "intro text", None, "caption text", None, "more", "much later text"],
           "images": [None, None, "http://img.example/0.png", None, "http://mirror.example/0.png", None, None]}
    write_table(spark.createDataFrame([doc], DOCS_DEDUP.spark()), DOCS_DEDUP, ctx)
    return ctx


def settings_for(test_settings, tiny, **changes):
    return with_tiny_model(test_settings, tiny, "weft-tiny-job", embedding_dtype="float32", paragraph_window=1,
                           **changes)


@pytest.fixture(scope="module")
def done(spark, test_settings, tiny, tmp_path_factory):
    ctx = run_folder(spark, settings_for(test_settings, tiny, batch_size_cpu=2), tmp_path_factory.mktemp("clip"))
    return ctx, clip.run(spark, ctx)


def test_each_image_and_text_is_embedded_once_as_open_clip_does(spark, done, tiny):
    ctx, stats = done
    _, _, model, preprocess = tiny
    rows = read_table(spark, CLIP_EMBEDDINGS, ctx).collect()
    images = {r["key"]: np.array(r["embedding"]) for r in rows if r["modality"] == "image"}
    assert len(images) == 3 and stats["images_embedded"] == 3  # 4 ok URLs, 3 distinct sha256, 1 unreadable
    stored = {r["sha256"]: r["image_bytes"] for r in read_table(spark, IMAGES, ctx).collect()}
    with torch.no_grad():
        for key, vector in images.items():
            tensor = preprocess(Image.open(io.BytesIO(stored[key])).convert("RGB")).unsqueeze(0)
            expected = torch.nn.functional.normalize(model.encode_image(tensor), dim=-1)[0].numpy()
            assert np.allclose(vector, expected, atol=1e-5)
    assert {r["model"] for r in rows} == {f"weft-tiny-job@{tiny[1]}"}
    texts = {r["text"] for r in rows if r["modality"] == "text"}
    assert texts == {"an astronaut", "a flower", "broken", "intro text", "caption text", "more"}


def test_pairs_are_scored_by_cosine_similarity(spark, done):
    ctx, stats = done
    vectors = {r["key"]: np.array(r["embedding"]) for r in read_table(spark, CLIP_EMBEDDINGS, ctx).collect()}
    scores = read_table(spark, CLIP_SCORES, ctx).collect()
    found = {(r["doc_id"], r["image_url"], r["text_index"], r["text_kind"]) for r in scores}
    assert found == {("d1", "http://img.example/0.png", None, "alt_text"), ("d2", "http://img.example/1.png", None,
                     "alt_text"), ("d1", "http://img.example/0.png", 1, "paragraph"),
                     ("d1", "http://img.example/0.png", 3, "paragraph"), ("d1", "http://mirror.example/0.png", 3,
                     "paragraph"), ("d1", "http://mirror.example/0.png", 5, "paragraph")}
    for r in scores:
        assert r["similarity"] == pytest.approx(float(vectors[r["image_sha256"]] @ vectors[r["text_key"]]), abs=1e-5)


def test_an_unreadable_image_is_a_reject(spark, done):
    ctx, stats = done
    rejects = read_table(spark, REJECTS, ctx).where("stage = 'clip'").collect()
    assert [(r["reason"], r["key"]) for r in rejects] == [("image_unreadable", "f" * 64)]
    assert stats["rejected"] == {"image_unreadable": 1} and stats["balanced"]


def test_embeddings_do_not_depend_on_batch_sizes(spark, done, test_settings, tiny, tmp_path):
    ctx, _ = done
    spark.conf.set("spark.sql.execution.arrow.maxRecordsPerBatch", "1")
    try:
        other = run_folder(spark, settings_for(test_settings, tiny, batch_size_cpu=7), tmp_path)
        clip.run(spark, other)
    finally:
        spark.conf.unset("spark.sql.execution.arrow.maxRecordsPerBatch")
    first, second = ({r["key"]: np.array(r["embedding"]) for r in read_table(spark, CLIP_EMBEDDINGS, c).collect()}
                     for c in (ctx, other))
    assert first.keys() == second.keys()
    assert all(np.allclose(first[k], second[k], atol=1e-5) for k in first)
