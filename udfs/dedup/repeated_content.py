"""OBELICS's dedup rules that edit documents instead of dropping them: paragraphs repeated
across one registered domain (navigation, footers, cookie notices) and image URLs frequent
across the run (logos, icons, banners) are removed from every document that has them.

The counting is Spark's (``jobs.dedup``); this module hashes paragraphs and rewrites one
document given what to remove. A document left without text (or without images, when the run
requires images) becomes a reject with a reason.
"""
from __future__ import annotations

from typing import Any, Iterator

import pyarrow as pa
import xxhash

from schemas.dedup_rows import DEDUP_ROWS
from udfs.common.arrow_rows import reject_row, to_batch
from udfs.dedup.minhash import normalize_text
from udfs.common.settings import Config
from udfs.common.text_metrics import words

STAGE = "dedup"
PARAGRAPH_SEPARATOR = "\n\n"  # docs texts: one position holds paragraphs split by blank lines
INPUT_COLUMNS = ["drop_paragraphs", "drop_images"]


def paragraph_hash(paragraph: str) -> int:
    """Signed 64-bit xxhash (Spark's bigint) of the case- and space-folded paragraph."""
    value = xxhash.xxh64_intdigest(normalize_text(paragraph).encode())
    return value - (1 << 64) if value >= 1 << 63 else value


def paragraph_hashes(texts: list[str | None] | None) -> list[int]:
    """Distinct hashes of a document's non-blank paragraphs (each counts once per document)."""
    return sorted({paragraph_hash(p) for t in texts or [] if t for p in t.split(PARAGRAPH_SEPARATOR) if p.strip()})


def remove_content(doc: dict[str, Any], drop_paragraphs: set[int], drop_images: set[str]) -> dict[str, Any]:
    """``doc`` without those paragraphs and image URLs, in page order. Text positions that become
    neighbours are merged (as extraction does when an image between them is dropped); counts
    and the ``*_removed`` columns are updated."""
    texts: list[str | None] = []
    images: list[str | None] = []
    metas: list[dict | None] = []
    removed_paragraphs = removed_images = 0
    metas_in = doc.get("image_meta") or [None] * len(doc["texts"])
    for text, image, meta in zip(doc["texts"], doc["images"], metas_in):
        if image is not None:
            if image in drop_images:
                removed_images += 1
            else:
                texts.append(None)
                images.append(image)
                metas.append(meta)
        elif text:
            paragraphs = text.split(PARAGRAPH_SEPARATOR)
            kept = [p for p in paragraphs if not drop_paragraphs or paragraph_hash(p) not in drop_paragraphs]
            removed_paragraphs += len(paragraphs) - len(kept)
            if not kept:
                continue
            if texts and texts[-1] is not None:
                texts[-1] = PARAGRAPH_SEPARATOR.join([texts[-1], *kept])
            else:
                texts.append(PARAGRAPH_SEPARATOR.join(kept))
                images.append(None)
                metas.append(None)
    doc_text = PARAGRAPH_SEPARATOR.join(t for t in texts if t is not None)
    return {**doc, "texts": texts, "images": images, "image_meta": metas,
            "n_words": len(words(doc_text)) if removed_paragraphs else doc.get("n_words"),
            "n_paragraphs": sum(t.count(PARAGRAPH_SEPARATOR) + 1 for t in texts if t is not None),
            "n_images": sum(1 for i in images if i is not None),
            "paragraphs_removed": removed_paragraphs, "images_removed": removed_images}


def cleaned_or_reason(doc: dict[str, Any], drop_paragraphs: set[int], drop_images: set[str],
                      min_images: int) -> tuple[dict[str, Any], str | None]:
    """(the edited document, None), or (it, the reject reason) when nothing usable is left;
    ``min_images`` is 0 when the run keeps text-only documents."""
    cleaned = remove_content(doc, drop_paragraphs, drop_images)
    if not any(cleaned["texts"]):
        return cleaned, "no_text_after_paragraph_dedup"
    if cleaned["n_images"] < min_images:
        return cleaned, "no_images_after_image_dedup"
    return cleaned, None


def cleanup_batches(batches: Iterator[pa.RecordBatch], config: Config) -> Iterator[pa.RecordBatch]:
    """mapInArrow adapter: docs rows with ``drop_paragraphs``/``drop_images`` in, DEDUP_ROWS out
    (``docs_dedup`` rows and rejects). A document that cannot be processed becomes a reject."""
    schema = DEDUP_ROWS.arrow()
    extract = config.extract
    min_images = max(extract.min_images, 1) if extract.require_images else 0
    for batch in batches:
        rows = []
        for doc in batch.to_pylist():
            try:
                cleaned, reason = cleaned_or_reason(doc, set(doc.pop("drop_paragraphs") or ()),
                                                    set(doc.pop("drop_images") or ()), min_images)
                if reason is None:
                    rows.append({**cleaned, "row_kind": "doc"})
                else:
                    detail = (f"{cleaned['paragraphs_removed']} repeated paragraphs and "
                              f"{cleaned['images_removed']} frequent images removed")
                    rows.append(_reject(doc, reason, detail))
            except Exception as exc:  # noqa: BLE001 -- one bad document must not fail the task
                rows.append(_reject(doc, "dedup_error", f"{type(exc).__name__}: {exc}"))
        if rows:
            yield to_batch(rows, schema)


def _reject(doc: dict[str, Any], reason: str, detail: str) -> dict[str, Any]:
    source = doc.get("general_metadata") or {}
    return reject_row(STAGE, reason, detail, doc["doc_id"], source.get("warc_filename"),
                      source.get("warc_record_offset"))
