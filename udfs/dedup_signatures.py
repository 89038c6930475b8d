"""Per-document dedup keys for the dedup stage's Spark plumbing: normalised URL, exact-content
hash, MinHash signature, LSH band keys and shingle hashes (for verifying candidate pairs)."""
from __future__ import annotations

import hashlib
from typing import Iterator

import pyarrow as pa

from udfs import minhash as mh
from udfs.arrow_rows import to_batch
from udfs.url_normalize import normalize_url

DOC_COLUMNS = ["doc_id", "url", "texts", "images", "fetch_time"]
KEYS_SCHEMA = pa.schema([
    pa.field("doc_id", pa.string(), nullable=False),
    pa.field("fetch_time", pa.timestamp("us", tz="UTC")),
    pa.field("norm_url", pa.string()),
    pa.field("content_hash", pa.string()),
    pa.field("image_set_hash", pa.string()),
    pa.field("band_keys", pa.list_(pa.binary())),
    pa.field("shingle_hashes", pa.list_(pa.int64())),
])


def document_text(texts: list[str | None] | None) -> str:
    return "\n\n".join(t for t in texts or [] if t)


def _digest(text: str) -> str:
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def image_set_hash(images: list[str | None] | None, min_images: int = 1) -> str | None:
    """OBELICS: documents with the same set of image URLs are duplicates (None for sets smaller
    than ``min_images``)."""
    distinct = sorted({i for i in images or [] if i})
    return _digest("\n".join(distinct)) if distinct and len(distinct) >= min_images else None


def dedup_keys(doc: dict, settings) -> dict:
    """Keys of one document; ``settings`` is a DedupSettings."""
    text = document_text(doc["texts"])
    normalized = mh.normalize_text(text)
    if settings.hash_bits == 64:
        hashes = mh.shingle_hashes(text, settings.ngram)
    else:  # datasketch-compatible: SHA-1 of each shingle string
        hashes = mh.hash_shingles(sorted(set(mh.shingles(text, settings.ngram))), 32)
    sig = mh.signature(hashes, settings.bands * settings.rows, settings.seed, settings.hash_bits)
    return {
        "doc_id": doc["doc_id"], "fetch_time": doc["fetch_time"],
        "norm_url": normalize_url(doc["url"] or ""),
        "content_hash": _digest(normalized) if normalized else None,
        "image_set_hash": image_set_hash(doc["images"], settings.image_set_min_images),
        "band_keys": mh.band_keys(sig, settings.bands, settings.rows) if hashes.size else [],
        "shingle_hashes": hashes.view("int64").tolist(),
    }


def keys_batches(batches: Iterator[pa.RecordBatch], settings) -> Iterator[pa.RecordBatch]:
    """mapInArrow adapter: docs in, KEYS_SCHEMA rows out."""
    for batch in batches:
        docs = batch.select(DOC_COLUMNS).to_pylist()
        if docs:
            yield to_batch([dedup_keys(doc, settings.dedup) for doc in docs], KEYS_SCHEMA)
