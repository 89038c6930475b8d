"""Per-document dedup keys for the dedup stage's Spark plumbing: normalised URL, exact-content
hash, image-set hash, MinHash signature, LSH band keys, shingle hashes (for verifying candidate
pairs), registered domain and paragraph hashes (for per-domain paragraph dedup)."""
from __future__ import annotations

import hashlib
import re
from typing import Iterator

import numpy as np
import pyarrow as pa

from schemas.dedup_keys import DEDUP_KEYS
from udfs.dedup import minhash as mh
from udfs.common.arrow_rows import to_batch
from udfs.dedup.repeated_content import paragraph_hashes
from udfs.common.settings import Config, DedupSettings
from udfs.common.url_normalize import normalize_url, url_domain

DOC_COLUMNS = ["doc_id", "url", "texts", "images", "fetch_time", "general_metadata", "drop_images"]


def document_text(texts: list[str | None] | None) -> str:
    return "\n\n".join(t for t in texts or [] if t)


def _digest(text: str) -> str:
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def image_set_hash(images: list[str | None] | None, min_images: int = 1) -> str | None:
    """OBELICS: documents with the same set of image URLs are duplicates (None for sets smaller
    than ``min_images``)."""
    distinct = sorted({i for i in images or [] if i})
    return _digest("\n".join(distinct)) if distinct and len(distinct) >= min_images else None


def source_file(warc_filename: str | None) -> str:
    """The input file a document came from, as a dedup_index partition value: the file's name
    and a short hash of its full path (a rerun of the file replaces exactly its entries)."""
    if not warc_filename:
        return "unknown"
    name = re.sub(r"[^A-Za-z0-9._-]", "_", warc_filename.rstrip("/").rsplit("/", 1)[-1])[:150]
    return f"{name}~{hashlib.blake2b(warc_filename.encode(), digest_size=4).hexdigest()}"


def minhash_params(dedup: DedupSettings) -> str:
    """The MinHash parameters signatures and band keys depend on (only equal ones are comparable)."""
    return (f"ngram={dedup.ngram} bands={dedup.bands}x{dedup.rows} bits={dedup.hash_bits} "
            f"family={dedup.permutations} seed={dedup.seed}")


def shingle_sets(texts: list[str], dedup: DedupSettings) -> list[np.ndarray]:
    """Each text's shingle hashes: 64-bit ones for a whole batch in one numpy pass; 32-bit ones
    as datasketch computes them (SHA-1 of each shingle string)."""
    if dedup.hash_bits == 64:
        return [h for group in _groups(texts) for h in mh.shingle_hashes_batch(group, dedup.ngram)]
    return [mh.hash_shingles(sorted(set(mh.shingles(t, dedup.ngram))), 32) for t in texts]


def _groups(texts: list[str], max_chars: int = 1 << 17) -> Iterator[list[str]]:
    """Consecutive texts of about ``max_chars`` characters together (bounded numpy temporaries)."""
    group: list[str] = []
    size = 0
    for text in texts:
        if group and size + len(text) > max_chars:
            yield group
            group, size = [], 0
        group.append(text)
        size += len(text)
    if group:
        yield group


def dedup_keys(doc: dict, dedup: DedupSettings, hashes: np.ndarray | None = None) -> dict:
    """Keys of one document; ``dedup`` is a DedupSettings, ``hashes`` its shingle hashes when
    computed with its batch. Image URLs in ``drop_images`` (frequent across the run) are left
    out of the image set."""
    text = document_text(doc["texts"])
    normalized = mh.normalize_text(text)
    if hashes is None:
        (hashes,) = shingle_sets([text], dedup)
    sig = mh.signature(hashes, dedup.bands * dedup.rows, dedup.seed, dedup.hash_bits,
                       dedup.permutations)
    dropped = set(doc.get("drop_images") or ())
    images = [i for i in doc["images"] or [] if i not in dropped]
    return {
        **_identity(doc),
        "domain": url_domain(doc["url"] or ""),
        "norm_url": normalize_url(doc["url"] or ""),
        "content_hash": _digest(normalized) if normalized else None,
        "image_set_hash": image_set_hash(images, dedup.image_set_min_images),
        "band_keys": mh.band_keys(sig, dedup.bands, dedup.rows) if hashes.size else [],
        "signature": sig.view("int64").tolist() if hashes.size else None,
        "shingle_hashes": hashes.view("int64").tolist(),
        "paragraph_hashes": paragraph_hashes(doc["texts"]),
    }


def _identity(doc: dict) -> dict:
    source = doc.get("general_metadata") or {}
    return {"doc_id": doc["doc_id"], "url": doc["url"], "fetch_time": doc["fetch_time"],
            "warc_filename": source.get("warc_filename"), "warc_record_offset": source.get("warc_record_offset"),
            "source_file": source_file(source.get("warc_filename"))}


def _guarded_keys(doc: dict, dedup: DedupSettings, hashes: np.ndarray | None) -> dict:
    """The document's keys; on an unexpected error, no keys (it is then nobody's duplicate) and
    the error in ``key_error``, so one bad document does not fail the task."""
    try:
        return dedup_keys(doc, dedup, hashes)
    except Exception as exc:  # noqa: BLE001
        return {**_identity(doc), "band_keys": [], "shingle_hashes": [], "paragraph_hashes": [],
                "key_error": f"{type(exc).__name__}: {exc}"[:500]}


def keys_batches(batches: Iterator[pa.RecordBatch], config: Config) -> Iterator[pa.RecordBatch]:
    """mapInArrow adapter: docs in, ``dedup_keys`` rows out."""
    for batch in batches:
        docs = batch.to_pylist()
        if docs:
            try:
                hashes = shingle_sets([document_text(d["texts"]) for d in docs], config.dedup)
            except Exception:  # noqa: BLE001 -- one document at a time then, to find the bad one
                hashes = [None] * len(docs)
            yield to_batch([_guarded_keys(d, config.dedup, h) for d, h in zip(docs, hashes)], DEDUP_KEYS.arrow())
