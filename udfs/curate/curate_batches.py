"""The curate stage's tasks (mapInArrow adapters over the pure rules).

``tag_batches``: pairs (alt text + image row + CLIP score) in; uid, caption language, MetaCLIP
matches and DataComp's basic rules out (TAGGED_PAIRS). ``balance_batches``: MetaCLIP's
balancing draw on tagged pairs; ``signal_batches``: spaCy signals of the pairs kept. ``vector_batches``: image embeddings in, k-means
cluster or NSFW score out. ``final_batches``: documents with their images' rows in, final
``obelics`` documents (failing images removed) or rejects out.
"""
from __future__ import annotations

import hashlib
from collections import Counter
from functools import lru_cache
from typing import Any, Callable, Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from schemas.curate import OBELICS_ROWS, TAGGED_PAIRS
from udfs.curate import metaclip
from udfs.common import storage
from udfs.common.arrow_rows import reject_row, to_batch
from udfs.curate.caption_signals import signals
from udfs.images.image_decode import fetched_image_reason, size_reason
from udfs.common.langid import detect
from udfs.curate.pair_filters import caption_reason, pair_image_reason
from udfs.dedup.repeated_content import remove_content
from udfs.common.settings import Config, ImageSizes, StorageSettings

STAGE = "curate"
MAX_SIGNAL_CHARS = 10_000  # captions are short; a longer alt text is junk, and spaCy caps length


def uid(sha256: str | None, image_url: str, caption: str) -> str:
    """DataComp-style 128-bit hex uid of (image, caption): the image's sha256 when it was
    fetched, else its URL."""
    return hashlib.blake2b(f"{sha256 or image_url}\x00{caption}".encode(), digest_size=16).hexdigest()


@lru_cache(maxsize=2)
def _metadata(path: str | None, case_sensitive: bool, storage_settings: StorageSettings):
    data = metaclip.SHIPPED.read_bytes() if path is None else storage.read_bytes(path, storage_settings)
    listed = metaclip.read_entries(data.decode("utf-8"))
    return listed, metaclip.automaton(listed, case_sensitive)


def metadata(config: Config):
    """(entries, their automaton) of ``curate.metaclip.entries`` (or the shipped list), once per worker."""
    mc = config.curate.metaclip
    return _metadata(mc.entries, mc.case_sensitive, config.storage)


def pair_detail(url: str, caption: str) -> str:
    """A pair reject's detail: the image URL and the start of the caption."""
    return f"{url} | {caption[:200]}"


def tagged_row(pair: dict[str, Any], config: Config, listed: tuple[str, ...], matcher) -> dict[str, Any]:
    """One pair's tags and its first failing basic rule (signals are added per batch)."""
    curate = config.curate
    caption = pair.get("alt_text") or ""
    lang, lang_score = detect(caption, config.extract.langid_model)
    ids = metaclip.match(caption, matcher, curate.metaclip.case_sensitive)
    reason = (pair_image_reason(pair.get("status"), pair.get("width"), pair.get("height"), config.images.datacomp)
              or caption_reason(caption, lang, curate))
    return {
        "uid": uid(pair.get("sha256"), pair["image_url"], caption), "url": pair["image_url"], "text": caption,
        "width": pair.get("width"), "height": pair.get("height"), "clip_score": pair.get("clip_score"),
        "lang": lang, "lang_score": lang_score, "sha256": pair.get("sha256"), "doc_id": pair.get("doc_id"),
        "page_url": pair.get("page_url"), "n_words": len(caption.split()), "model": pair.get("model"),
        "metaclip_ids": ids, "metaclip_entries": [listed[i] for i in ids], "reason": reason,
        "detail": None if reason is None else pair_detail(pair["image_url"], caption),
    }


def tag_batches(batches: Iterator[pa.RecordBatch], config: Config) -> Iterator[pa.RecordBatch]:
    """mapInArrow adapter: (doc_id, image_url, alt_text, page_url, status, sha256, width, height,
    clip_score, model) in, TAGGED_PAIRS out."""
    schema = TAGGED_PAIRS.arrow()
    listed, matcher = metadata(config)
    for batch in batches:
        rows = []
        for pair in batch.to_pylist():
            try:
                rows.append(tagged_row(pair, config, listed, matcher))
            except Exception as exc:  # noqa: BLE001 -- one bad pair must not fail the task
                rows.append({"uid": uid(pair.get("sha256"), pair["image_url"], pair.get("alt_text") or ""),
                             "url": pair["image_url"], "text": pair.get("alt_text") or "", "reason": "curate_error",
                             "detail": f"{type(exc).__name__}: {exc}"[:1000]})
        yield to_batch(rows, schema)


def signal_batches(batches: Iterator[pa.RecordBatch], config: Config) -> Iterator[pa.RecordBatch]:
    """mapInArrow adapter over TAGGED_PAIRS: spaCy caption signals for the pairs that pass
    every rule (the only ones written to ``pairs``)."""
    model = config.nlp.spacy_model
    for batch in batches:
        rows = batch.to_pylist()
        passing = [r for r in rows if r["reason"] is None]
        texts = [r["text"][:MAX_SIGNAL_CHARS] for r in passing]
        try:
            found = signals(texts, model)
        except Exception:  # noqa: BLE001 -- one caption spaCy refuses must not fail the task
            found = []
            for text in texts:
                try:
                    found += signals([text], model)
                except Exception:  # noqa: BLE001 -- that caption's signals stay null
                    found.append({})
        for row, values in zip(passing, found):
            row.update(values)
        yield to_batch(rows, TAGGED_PAIRS.arrow())


def balance_batches(batches: Iterator[pa.RecordBatch], config: Config,
                    counts: dict[int, int]) -> Iterator[pa.RecordBatch]:
    """mapInArrow adapter over TAGGED_PAIRS: MetaCLIP's balancing on the pairs that pass so far
    (``counts``: pairs per entry among them)."""
    mc = config.curate.metaclip
    for batch in batches:
        rows = batch.to_pylist()
        for row in rows:
            if row["reason"] is not None:
                continue
            if not row["metaclip_ids"]:
                row["reason"], row["detail"] = "metaclip_no_match", pair_detail(row["url"], row["text"])
            elif not metaclip.balanced_keep(row["uid"], row["metaclip_ids"], counts, mc.t, mc.seed):
                row["reason"] = "metaclip_balanced_out"
                row["detail"] = ", ".join(f"{e} {counts.get(i, 0)}" for i, e in
                                          zip(row["metaclip_ids"], row["metaclip_entries"]))[:1000]
        yield to_batch(rows, TAGGED_PAIRS.arrow())


def vector_batches(batches: Iterator[pa.RecordBatch], score: Callable[[np.ndarray], np.ndarray],
                   name: str, dtype: pa.DataType) -> Iterator[pa.RecordBatch]:
    """mapInArrow adapter: (key, embedding) in, (key, ``name``) out, ``score`` applied to the
    batch's embedding matrix (k-means assignment, NSFW head)."""
    for batch in batches:
        values = score(embedding_matrix(batch)) if len(batch) else np.zeros(0)
        yield pa.RecordBatch.from_arrays([batch.column("key"), pa.array(values).cast(dtype)], names=["key", name])


def embedding_matrix(batch: pa.RecordBatch) -> np.ndarray:
    """The batch's ``embedding`` column (list<float>, one dimension) as an n x d matrix."""
    column = batch.column("embedding")
    lengths = set(pc.list_value_length(column).to_pylist())
    if len(lengths) != 1 or None in lengths:
        raise ValueError(f"embeddings of lengths {sorted(lengths, key=str)} in one batch (one model expected)")
    flat = column.flatten().to_numpy(zero_copy_only=False)
    return flat.reshape(len(batch), -1).astype(np.float32, copy=False)


def train_batches(batches: Iterator[pa.RecordBatch], k: int, iterations: int, seed: int) -> Iterator[pa.RecordBatch]:
    """mapInArrow adapter for one task holding the whole sample: (key, embedding) in, k-means
    (cluster_id, centroid) out."""
    from udfs.curate.clusters import train

    matrices = [embedding_matrix(b) for b in batches if len(b)]
    if not matrices:
        return
    centroids = train(np.concatenate(matrices), k, iterations, seed)
    yield pa.RecordBatch.from_arrays([pa.array(np.arange(len(centroids), dtype=np.int32)),
                                      pa.array(list(centroids), pa.list_(pa.float32()))],
                                     names=["cluster_id", "centroid"])


def image_drop_reason(ref: dict[str, Any], sizes: ImageSizes) -> str | None:
    """Why curate removes an image from an OBELICS document (``sizes``: images.obelics), or None."""
    return fetched_image_reason(ref.get("status"), ref.get("oriented_width"), ref.get("oriented_height"),
                                lambda w, h: size_reason(w, h, sizes))


def final_document(doc: dict[str, Any], config: Config) -> dict[str, Any]:
    """The final document without the images that failed, or a reject when it is left without
    text, or without images while extract.require_images holds."""
    reasons = {ref["image_url"]: image_drop_reason(ref, config.images.obelics) for ref in doc.pop("image_refs") or []}
    dropped = {url for url, reason in reasons.items() if reason is not None}
    dropped |= {url for url in doc["images"] or [] if url is not None and url not in reasons}
    cleaned = remove_content(doc, set(), dropped)
    cleaned["paragraphs_removed"], cleaned["images_removed"] = doc.get("paragraphs_removed"), doc.get("images_removed")
    where = doc.get("general_metadata") or {}
    if not any(cleaned["texts"]):
        return reject_row(STAGE, "no_text", "the document has no text", doc["doc_id"], where.get("warc_filename"),
                          where.get("warc_record_offset"))
    filtered = Counter(reasons.get(url) or "image_not_fetched" for url in dropped)
    if config.extract.require_images and not any(cleaned["images"]):
        return reject_row(STAGE, "no_images_after_image_filter", ", ".join(f"{r} {n}" for r, n in filtered.items()),
                          doc["doc_id"], where.get("warc_filename"), where.get("warc_record_offset"))
    return {**cleaned, "row_kind": "obelics", "images_filtered": dict(filtered)}


def final_batches(batches: Iterator[pa.RecordBatch], config: Config) -> Iterator[pa.RecordBatch]:
    """mapInArrow adapter: documents with ``image_refs`` (their images' rows) in, OBELICS_ROWS out."""
    schema = OBELICS_ROWS.arrow()
    for batch in batches:
        out = []
        for doc in batch.to_pylist():
            try:
                out.append(final_document(doc, config))
            except Exception as exc:  # noqa: BLE001 -- a bug on one document must not fail the task
                where = doc.get("general_metadata") or {}
                out.append(reject_row(STAGE, "curate_error", f"{type(exc).__name__}: {exc}", doc.get("doc_id"),
                                      where.get("warc_filename"), where.get("warc_record_offset")))
        yield to_batch(out, schema)
