"""weft ``docs`` rows to OBELICS's published layout (``metadata``/``general_metadata`` as JSON)."""
from __future__ import annotations

import json
import posixpath
from typing import Any, Iterator
from urllib.parse import urlsplit

import pyarrow as pa

from schemas.obelics_export import OBELICS_EXPORT
from udfs.common.arrow_rows import to_batch

DOC_COLUMNS = ["url", "texts", "images", "image_meta", "general_metadata"]


def published_row(doc: dict[str, Any]) -> dict[str, Any]:
    metadata = []
    for meta in doc["image_meta"] or [None] * len(doc["images"] or []):
        if meta is None:
            metadata.append(None)
            continue
        metadata.append({
            "document_url": doc["url"],
            "unformatted_src": meta["unformatted_src"],
            "src": meta["src"],
            "formatted_filename": posixpath.basename(urlsplit(meta["src"]).path),
            "alt_text": meta["alt_text"] or "",
            "rendered_width": meta["rendered_width"],
            "rendered_height": meta["rendered_height"],
        })
    return {"texts": doc["texts"], "images": doc["images"], "metadata": json.dumps(metadata),
            "general_metadata": json.dumps(doc["general_metadata"])}


def published_batches(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    schema = OBELICS_EXPORT.arrow()
    for batch in batches:
        yield to_batch([published_row(doc) for doc in batch.select(DOC_COLUMNS).to_pylist()], schema)
