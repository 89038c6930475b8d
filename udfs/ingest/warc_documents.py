"""WARC files straight to documents: ingest and extract in one pass over each file, so a page's
HTML is parsed where it was decoded and never travels to Spark or to storage (unless
``ingest.store_html``). The Arrow adapter returns ``docs`` rows to Spark; pages, archived
images, alt-text pairs, both stages' rejects and the file's ``warc_files`` row go to side files.
"""
from __future__ import annotations

import time
from typing import Any, Iterator

import pyarrow as pa

from schemas.docs import ALT_PAIRS
from schemas.pages import PAGES
from udfs.extract.documents import documents, load_models
from udfs.ingest.page_records import INGEST_SIDE, ingest_file, input_files, row_bytes
from udfs.common.settings import Config
from udfs.common.side_output import SideWriter

SIDE = {**INGEST_SIDE, "page": PAGES, "alt_pair": ALT_PAIRS}


def warc_documents_batches(batches: Iterator[pa.RecordBatch], config: Config,
                           side_dir: str) -> Iterator[pa.RecordBatch]:
    """mapInArrow adapter; each input row names one file."""
    load_models(config.extract)
    schemas = {kind: table.arrow() for kind, table in SIDE.items()}
    for uri in input_files(batches):
        with SideWriter(side_dir, uri, schemas, config.storage) as side:
            yield from documents(_pages(uri, config, side), config, side)


def _pages(uri: str, config: Config, side: SideWriter) -> Iterator[dict[str, Any]]:
    """The file's pages, each handed out (to be extracted) before it goes to the side table;
    every other row of the file goes there directly. The warc_files row gets the time the
    pages' extraction took (the time between handing a page out and being asked for the next)."""
    extracting = 0.0
    for row in ingest_file(uri, config):
        kind = row["row_kind"]
        if kind == "page":
            started = time.perf_counter()
            yield row
            extracting += time.perf_counter() - started
            if not config.ingest.store_html:
                row["html"] = None
            side.add("page", row, row_bytes(row))
            continue
        if kind == "file":
            row["extract_seconds"] = extracting
        side.add(kind, row, row_bytes(row))
