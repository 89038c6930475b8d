"""The mmc4 stage on local Spark: documents, real decoded images and a tiny open_clip checkpoint;
the clip stage runs first, as in the pipeline."""
import dataclasses
import datetime as dt
import json
from pathlib import Path

import numpy as np
import pytest

from jobs import clip, mmc4
from jobs.runtime import RunContext
from jobs.tables import read_table, write_table
from schemas.clip import CLIP_EMBEDDINGS
from schemas.docs_dedup import DOCS_DEDUP
from schemas.images import IMAGES
from schemas.mmc4 import MMC4
from schemas.rejects import REJECTS
from tests.conftest import SHARED
from tests.tiny_clip import save_tiny_model, with_tiny_model
from udfs.images.image_decode import decode

pytestmark = pytest.mark.spark
FILES = {"astronaut": "captioned/skimage_astronaut.png", "flower": "odd/pillow_flower.jpg",
         "coffee": "captioned/skimage_coffee.png"}
TEXT = "The astronaut floats above the Earth. She smiles at the camera.\nA cup of coffee waits on the desk."


def url(name: str) -> str:
    return f"http://img.example/{name}"


def doc(doc_id, page, texts, images, lang="en"):
    return {"doc_id": doc_id, "url": page, "keep": True, "drop_reasons": [], "lang": lang, "texts": texts,
            "images": images, "fetch_time": dt.datetime(2024, 5, 1, tzinfo=dt.timezone.utc),
            "general_metadata": {"url": page, "warc_filename": "f.warc.gz", "warc_record_offset": len(doc_id),
                                 "warc_record_length": 1}}


def run_folder(spark, settings, path) -> RunContext:
    ctx = RunContext(run_dir=str(path), config=settings)
    rows = []
    for name in ("astronaut", "flower", "coffee"):
        row = decode((SHARED / "images" / FILES[name]).read_bytes(), None, settings.images)
        rows.append({**row, "image_url": url(name)})
    rows.append({**rows[0], "image_url": url("astronaut-copy")})  # same picture, other URL
    rows.append({"image_url": url("missing"), "status": "http_404"})
    write_table(spark.createDataFrame(rows, IMAGES.spark()), IMAGES, ctx)
    docs = [
        doc("d1", "http://a.example/story", [TEXT, None, "Flowers bloom in spring. The end.", None],
            [None, url("astronaut"), None, url("coffee")]),
        doc("d2", "http://A.example/story#comments", ["Flowers grow. Bees visit them often.", None, None, None, None],
            [None, url("flower"), url("astronaut"), url("astronaut-copy"), url("missing")]),
        doc("d3", "http://b.example/", ["Only text here. Nothing else."], [None]),
        doc("d4", "http://c.example/", [None], [url("coffee")]),
        doc("d5", "http://d.example/", ["Der Kaffee ist heiß. Wirklich? Ja!", None], [None, url("coffee")], "de"),
    ]
    write_table(spark.createDataFrame(docs, DOCS_DEDUP.spark()), DOCS_DEDUP, ctx)
    return ctx


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return save_tiny_model(tmp_path_factory.mktemp("tiny_mmc4"), "weft-tiny-mmc4", seed=5)


@pytest.fixture(scope="module")
def settings(test_settings, tiny):
    base = with_tiny_model(test_settings, tiny, "weft-tiny-mmc4", embedding_dtype="float32")
    # random weights give similarities near 0: keep every image so the placements can be checked
    return dataclasses.replace(base, mmc4=dataclasses.replace(base.mmc4, min_similarity=-1.0))


@pytest.fixture(scope="module")
def done(spark, settings, tmp_path_factory):
    ctx = run_folder(spark, settings, tmp_path_factory.mktemp("mmc4"))
    clip.run(spark, ctx)
    return ctx, mmc4.run(spark, ctx)


def test_every_document_is_an_mmc4_row_or_a_reject(spark, done):
    ctx, stats = done
    rows = {r["doc_id"]: r for r in read_table(spark, MMC4, ctx).collect()}
    rejects = {r["key"]: r["reason"] for r in read_table(spark, REJECTS, ctx).where("stage = 'mmc4'").collect()}
    assert set(rows) == {"d1", "d2", "d5"}
    assert rejects == {"d3": "no_matching_image", "d4": "no_sentences"}
    assert stats["input_rows"] == 5 and stats["balanced"] and stats["output_rows"] == 3


def test_rows_follow_mmc4s_layout_and_rules(spark, done):
    ctx, _ = done
    rows = {r["doc_id"]: r for r in read_table(spark, MMC4, ctx).collect()}
    d1, d2, d5 = rows["d1"], rows["d2"], rows["d5"]
    assert d1["text_list"] == ["The astronaut floats above the Earth.", "She smiles at the camera.",
                               "A cup of coffee waits on the desk.", "Flowers bloom in spring.", "The end."]
    assert d1["text_positions"] == [0, 0, 0, 2, 2] and d1["sentences"] == "senter"
    assert [i["position"] for i in d1["image_info"]] == [1, 3]
    assert d5["sentences"] == "sentencizer" and d5["text_list"] == ["Der Kaffee ist heiß.", "Wirklich?", "Ja!"]
    # d2: the copy of the astronaut is a pHash duplicate of the astronaut, the 404 was never fetched
    assert [i["raw_url"] for i in d2["image_info"]] == [url("flower"), url("astronaut")]
    assert {(d["raw_url"], d["reason"]) for d in d2["dropped_images"]} == {
        (url("astronaut-copy"), "image_duplicate_phash"), (url("missing"), "image_not_fetched")}
    for row in rows.values():
        assert len(row["similarity_matrix"]) == len(row["image_info"]) == row["n_images"]
        assert all(len(r) == len(row["text_list"]) for r in row["similarity_matrix"])
        matched = [i["matched_text_index"] for i in row["image_info"]]
        assert all(0 <= m < len(row["text_list"]) for m in matched)
        assert len(set(matched)) == len(matched)  # fewer images than sentences: one image per sentence
        assert row["image_info"][0]["image_name"] == row["image_info"][0]["image_sha256"] + (
            ".jpg" if row["doc_id"] == "d2" else ".png")
    assert d1["could_have_url_duplicate"] and d2["could_have_url_duplicate"]  # same page, normalised
    assert not d5["could_have_url_duplicate"]


def test_similarities_are_the_stored_embeddings_dot_products(spark, done):
    ctx, stats = done
    embeddings = read_table(spark, CLIP_EMBEDDINGS, ctx).collect()
    images = {r["key"]: np.array(r["embedding"]) for r in embeddings if r["modality"] == "image"}
    texts = {r["text"]: np.array(r["embedding"]) for r in embeddings if r["modality"] == "text"}
    for row in read_table(spark, MMC4, ctx).collect():
        sentences = np.array([texts[s] for s in row["text_list"]])
        expected = np.array([images[i["image_sha256"]] for i in row["image_info"]]) @ sentences.T
        assert np.allclose(row["similarity_matrix"], expected, atol=1e-5)
        for k, info in enumerate(row["image_info"]):
            assert info["matched_sim"] == pytest.approx(expected[k, info["matched_text_index"]], abs=1e-5)
    # sentences the clip stage had not seen were embedded here, once each; nothing was embedded twice
    assert stats["sentences_embedded"] > 0 and stats["images_embedded"] == 0
    keys = [r["key"] for r in embeddings]
    assert len(keys) == len(set(keys))


def test_a_rerun_reuses_embeddings_and_writes_the_same_rows(spark, done):
    ctx, _ = done
    before = sorted(map(str, read_table(spark, MMC4, ctx).collect()))
    stats = mmc4.run(spark, ctx)
    assert stats["sentences_embedded"] == 0 and stats["images_embedded"] == 0
    assert sorted(map(str, read_table(spark, MMC4, ctx).collect())) == before
    assert read_table(spark, REJECTS, ctx).where("stage = 'mmc4'").count() == 2


def test_without_the_clip_stage_images_are_embedded_here(spark, settings, tmp_path):
    ctx = run_folder(spark, settings, tmp_path)
    stats = mmc4.run(spark, ctx)
    assert stats["images_embedded"] == 3 and stats["output_rows"] == 3  # astronaut, coffee, flower


def test_a_high_threshold_leaves_documents_without_images(spark, settings, tmp_path):
    strict = dataclasses.replace(settings, mmc4=dataclasses.replace(settings.mmc4, min_similarity=0.99))
    ctx = run_folder(spark, strict, tmp_path)
    stats = mmc4.run(spark, ctx)
    assert stats["output_rows"] == 0 and stats["rejected"] == {"no_matching_image": 4, "no_sentences": 1}
    detail = {r["key"]: r["detail"] for r in read_table(spark, REJECTS, ctx).where("stage = 'mmc4'").collect()}
    assert "image_below_min_similarity 2" in detail["d1"]


def test_export_writes_mmc4s_json_lines(spark, done):
    ctx, _ = done
    from jobs import export

    stats = export.run(spark, ctx)
    lines = [line for part in sorted((Path(ctx.run_dir) / "export_mmc4").glob("run_date=*/part-*.json"))
             for line in part.read_text().splitlines()]
    published = json.loads((SHARED / "interleaved" / "mmc4_core_ff_shard151" /
                            "docs_no_face_shard_151_v3.first107.jsonl").read_text().splitlines()[0])
    docs = [json.loads(line) for line in lines]
    assert len(docs) == stats["exports"]["export_mmc4"] == stats["inputs"]["mmc4"] == 3
    assert stats["balanced"] and stats["seconds"] > 0 and stats["output_rows"] == sum(stats["exports"].values())
    assert json.loads((Path(ctx.run_dir) / "_stats" / "export.json").read_text())["exports"] == stats["exports"]
    for exported in docs:
        assert set(exported) == set(published) | {"could_have_url_duplicate"}
        assert set(exported["image_info"][0]) == set(published["image_info"][0])
        assert exported["image_info"][0]["face_detections"] is None
        assert len(exported["similarity_matrix"]) == len(exported["image_info"])
