"""The mmc4 stage's two tasks.

``prepare_batches``: documents with their images' ``images`` rows in; each document split into
sentences (``udfs.mmc4.sentences``) with its candidate images (``udfs.mmc4.mmc4_images``) out.
``retrofit_batches``: prepared documents with their sentence and image embeddings in; the
similarity matrix, MMC4's placement (``udfs.mmc4.assignment``) and the finished ``mmc4`` row out.
A document that cannot be processed becomes a reject; it never fails the task.
"""
from __future__ import annotations

from collections import Counter
from typing import Any, Iterator

import numpy as np
import pyarrow as pa

from schemas.mmc4 import MMC4_PREPARED, MMC4_ROWS
from udfs.common.arrow_rows import reject_row, to_batch
from udfs.mmc4.assignment import is_core, place
from udfs.mmc4.mmc4_images import candidates
from udfs.mmc4.sentences import mode_for, split_documents
from udfs.common.settings import Config

STAGE = "mmc4"
EXTENSIONS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "GIF": "gif"}
DOCUMENT_FIELDS = ("doc_id", "url", "lang", "warc_filename", "warc_record_offset")


def _reject(doc: dict[str, Any], reason: str, detail: str) -> dict[str, Any]:
    return reject_row(STAGE, reason, detail, doc["doc_id"], doc.get("warc_filename"), doc.get("warc_record_offset"))


def image_name(sha256: str, image_format: str | None) -> str:
    """MMC4's file name for an image: its hash and extension."""
    return f"{sha256}.{EXTENSIONS.get(image_format or '', (image_format or 'bin').lower())}"


def prepared_row(doc: dict[str, Any], split: tuple[list[str], list[int]], config: Config) -> dict[str, Any]:
    """The prepared document (or a reject when it has no sentence)."""
    sentences, positions = split
    if not sentences:
        return _reject(doc, "no_sentences", "the document has no text to split into sentences")
    refs = sorted(doc.get("image_refs") or [], key=lambda r: r["position"])
    kept, dropped = candidates(refs, config.mmc4, config.extract.images.banned_url_substrings)
    return {
        **{k: doc.get(k) for k in DOCUMENT_FIELDS}, "row_kind": "document",
        "text_list": sentences, "text_positions": positions,
        "sentences": mode_for(doc.get("lang"), config.mmc4.sentences),
        "candidates": [{"raw_url": r["image_url"], "image_sha256": r["sha256"], "position": r["position"],
                        "image_name": image_name(r["sha256"], r.get("format"))} for r in kept],
        "dropped_images": [{"raw_url": url, "reason": reason} for url, reason in dropped],
    }


def prepare_batches(batches: Iterator[pa.RecordBatch], config: Config) -> Iterator[pa.RecordBatch]:
    """mapInArrow adapter: (doc_id, url, texts, lang, warc_filename, warc_record_offset,
    image_refs) in, MMC4_PREPARED out."""
    schema = MMC4_PREPARED.arrow()
    mode, model = config.mmc4.sentences, config.nlp.spacy_model
    for batch in batches:
        docs = batch.to_pylist()
        try:
            splits = split_documents([(d["texts"] or [], d["lang"]) for d in docs], mode, model)
        except Exception:  # noqa: BLE001 -- one bad document must not lose the batch: split one by one
            splits = None
        out = []
        for i, doc in enumerate(docs):
            try:
                split = splits[i] if splits is not None else split_documents([(doc["texts"] or [], doc["lang"])],
                                                                             mode, model)[0]
                out.append(prepared_row(doc, split, config))
            except Exception as exc:  # noqa: BLE001 -- a bug on one document must not fail the task
                out.append(_reject(doc, "mmc4_error", f"{type(exc).__name__}: {exc}"))
        yield to_batch(out, schema)


def _matrices(column: pa.Array, index: str) -> list[tuple[np.ndarray, np.ndarray] | None]:
    """Per row of a list<struct<index, embedding>> column: (indices, vectors as a matrix), or
    None for a null row; read from the Arrow buffers, not as Python lists."""
    if not isinstance(column, pa.ListArray):  # a column of nulls may arrive typed as null
        return [None] * len(column)
    items = column.values
    offsets = column.offsets.to_numpy()
    indices = items.field(index).to_numpy(zero_copy_only=False)
    embeddings = items.field("embedding")
    starts = embeddings.offsets.to_numpy()
    values = embeddings.values.to_numpy(zero_copy_only=False)
    nulls = column.is_null().to_numpy(zero_copy_only=False)
    out: list[tuple[np.ndarray, np.ndarray] | None] = []
    for row in range(len(column)):
        if nulls[row]:
            out.append(None)
            continue
        a, b = offsets[row], offsets[row + 1]
        lengths = np.diff(starts[a:b + 1])
        if b > a and (lengths.min() != lengths.max() or lengths.min() == 0):
            out.append(None)  # null or mixed-length embeddings: the document is treated as not embedded
            continue
        flat = values[starts[a]:starts[b]]
        out.append((indices[a:b], flat.reshape(b - a, -1) if b > a else flat.reshape(0, 0)))
    return out


def retrofit_row(doc: dict[str, Any], sentence_vectors, image_vectors, config: Config, model: str) -> dict[str, Any]:
    """The mmc4 row of one prepared document (or a reject: no_matching_image,
    missing_sentence_embedding)."""
    mmc4 = config.mmc4
    text_list = doc["text_list"]
    dropped = list(doc.get("dropped_images") or [])
    found = dict(zip(*image_vectors)) if image_vectors is not None else {}
    placed = [c for c in doc.get("candidates") or [] if c["position"] in found]
    dropped += [{"raw_url": c["raw_url"], "reason": "image_no_embedding"}
                for c in doc.get("candidates") or [] if c["position"] not in found]
    info, matrix = [], np.zeros((0, len(text_list)), np.float32)
    if placed:
        indices, first = np.unique(sentence_vectors[0], return_index=True) if sentence_vectors else ([], [])
        if len(indices) != len(text_list):
            return _reject(doc, "missing_sentence_embedding",
                           f"{len(indices)} of {len(text_list)} sentences have a CLIP embedding")
        sentences = sentence_vectors[1][first].astype(np.float32)
        images = np.stack([found[c["position"]] for c in placed]).astype(np.float32)
        similarity = images @ sentences.T
        placement = place(similarity, mmc4.min_similarity)
        kept = set(placement.kept.tolist())
        dropped += [{"raw_url": c["raw_url"], "reason": "image_below_min_similarity"}
                    for i, c in enumerate(placed) if i not in kept]
        info = [{**placed[i], "matched_text_index": int(t), "matched_sim": float(s)}
                for i, t, s in zip(placement.kept, placement.matched, placement.matched_sim)]
        matrix = similarity[placement.kept]
    if not info and not mmc4.keep_text_only:
        reasons = Counter(d["reason"] for d in dropped)
        return _reject(doc, "no_matching_image", ", ".join(f"{r} {n}" for r, n in reasons.most_common()) or "no images")
    sims = np.array([i["matched_sim"] for i in info])
    return {
        **{k: doc.get(k) for k in DOCUMENT_FIELDS}, "row_kind": "mmc4",
        "text_list": text_list, "text_positions": doc["text_positions"], "sentences": doc["sentences"],
        "image_info": info, "similarity_matrix": matrix.tolist(), "dropped_images": dropped,
        "could_have_url_duplicate": bool(doc.get("could_have_url_duplicate")),
        "core": is_core(len(text_list), sims, mmc4.core), "n_sentences": len(text_list), "n_images": len(info),
        "model": model,
    }


def retrofit_batches(batches: Iterator[pa.RecordBatch], config: Config, model: str) -> Iterator[pa.RecordBatch]:
    """mapInArrow adapter: prepared documents with ``could_have_url_duplicate``,
    ``sentence_vectors`` (list<struct<i, embedding>>) and ``image_vectors``
    (list<struct<position, embedding>>) in, MMC4_ROWS out."""
    schema = MMC4_ROWS.arrow()
    for batch in batches:
        sentence_vectors = _matrices(batch.column("sentence_vectors"), "i")
        image_vectors = _matrices(batch.column("image_vectors"), "position")
        docs = batch.drop_columns(["sentence_vectors", "image_vectors"]).to_pylist()
        out = []
        for doc, sv, iv in zip(docs, sentence_vectors, image_vectors):
            try:
                out.append(retrofit_row(doc, sv, iv, config, model))
            except Exception as exc:  # noqa: BLE001 -- a bug on one document must not fail the task
                out.append(_reject(doc, "mmc4_error", f"{type(exc).__name__}: {exc}"))
        yield to_batch(out, schema)
