"""WARC records to ``pages`` rows (HTML) and ``archived_images`` rows (image responses and
image revisits), everything else to ``rejects`` rows, one ``warc_files`` row per file; and the
Arrow adapter that runs it inside a Spark task (one input file per row).

Accounting rule: every item the reader produces (a record, or an unreadable stretch of the
file) ends as exactly one page, archived image or reject, so per file
records_read = pages + archived_images + rejected.
"""
from __future__ import annotations

import hashlib
import os
import re
import time
from datetime import datetime, timezone
from typing import Any, Iterator

import pyarrow as pa

from schemas.archived_images import ARCHIVED_IMAGES
from schemas.pages import PAGES
from schemas.rejects import REJECTS
from schemas.warc_files import WARC_FILES
from udfs.common import storage
from udfs.common.arrow_rows import Batcher, reject_row, to_batch
from udfs.ingest.charset import CharsetError, decode_html
from udfs.common.settings import Config, IngestSettings
from udfs.common.side_output import SideWriter
from udfs.ingest.http_body import BodyError, decode_body, html_type, media_type, parse_response
from udfs.ingest.warc import RawRecord, ReadLog, Unreadable, is_transient, read_archive

STAGE = "ingest"
_CRAWL_IN_NAME = re.compile(r"CC-MAIN-\d{4}-\d{2}")
_READ_BLOCK_TYPES = {"response", "warcinfo", "revisit"}
_IMAGE_MAGIC = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"GIF87a", b"GIF89a")  # and RIFF....WEBP


def crawl_from_name(uri: str) -> str:
    m = _CRAWL_IN_NAME.search(uri)
    return m.group(0) if m else "unknown"


def page_id(warc_filename: str, offset: int) -> str:
    """Stable across runs and storage locations: the file's base name and the record offset."""
    key = f"{os.path.basename(warc_filename)}:{offset}".encode()
    return hashlib.blake2b(key, digest_size=8).hexdigest()


def parse_warc_date(value: str | None) -> datetime | None:
    if not value or value.strip().lower() in ("null", "none", "-"):
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
        return parsed.replace(tzinfo=timezone.utc) if parsed.tzinfo is None else parsed.astimezone(timezone.utc)
    except (ValueError, OverflowError):
        return None


def warcinfo_crawl(block: bytes | None) -> str | None:
    """``isPartOf`` of a warcinfo record's fields."""
    for line in (block or b"")[:65536].decode("utf-8", "replace").splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip().lower() == "ispartof" and value.strip():
            return value.strip()
    return None


def is_image(content_type: str, identified: str, payload: bytes) -> bool:
    """An image by its declared or identified media type, or by its first bytes."""
    return "image/" in (content_type[:6], identified[:6]) or payload.startswith(_IMAGE_MAGIC) or (
        payload[:4] == b"RIFF" and payload[8:12] == b"WEBP")


def archived_image(rec: RawRecord, url: str, warc_filename: str, status: int | None, content_type: str | None,
                   payload: bytes | None) -> dict[str, Any]:
    """An ``archived_images`` row for an image response or revisit."""
    headers = rec.headers
    return {
        "row_kind": "archived_image", "image_url": url, "warc_filename": warc_filename,
        "warc_record_offset": rec.offset, "warc_record_length": rec.length,
        "fetch_time": parse_warc_date(headers.get("WARC-Date")), "http_status": status,
        "content_type": content_type or None, "payload": payload, "payload_digest": headers.get("WARC-Payload-Digest"),
        "record_kind": rec.warc_type,
        "refers_to": (headers.get("WARC-Refers-To-Target-URI", "").strip("<> ") or url)
        if rec.warc_type == "revisit" else None,
    }


def classify(rec: RawRecord, warc_filename: str, crawl: str,  # noqa: C901 -- per record kind
             ingest: IngestSettings) -> dict[str, Any]:
    """One record to a page row, an archived image row or a reject row (plain dicts of their
    tables' columns, with ``row_kind``)."""
    headers = rec.headers
    url = headers.get("WARC-Target-URI", "").strip("<> ") or None

    def reject(reason: str, detail: str) -> dict[str, Any]:
        return _reject(reason, detail, warc_filename, rec.offset, url or headers.get("WARC-Record-ID"))

    if rec.warc_type == "revisit" and url and rec.block is not None:
        resp = parse_response(rec.block)
        declared = media_type(resp.headers.get("content-type"))[0] if resp is not None else ""
        if resp is not None and resp.status in (200, 304) and declared.startswith("image/"):
            return archived_image(rec, url, warc_filename, resp.status, resp.headers.get("content-type"), None)
    if rec.warc_type != "response":
        return reject("not_response", f"WARC-Type {rec.warc_type}")
    if rec.block is None:  # the reader was told not to load it
        return reject("too_large", f"record of {rec.declared_length} bytes exceeds ingest.max_record_bytes")
    block = rec.block
    if rec.declared_length is not None and len(block) < rec.declared_length:
        return reject("truncated_record", f"block has {len(block)} of {rec.declared_length} declared bytes")
    warc_type, _ = media_type(headers.get("Content-Type"))
    resp = parse_response(block)
    if resp is None and warc_type in ("application/http", ""):
        return reject("malformed_http", f"no HTTP status line in a {warc_type or 'untyped'} response record")
    if resp is not None and ingest.keep_status and resp.status not in ingest.keep_status:
        return reject(f"http_status_{resp.status}", f"HTTP status {resp.status}")
    declared, charset = media_type(resp.headers.get("content-type")) if resp else (warc_type, media_type(
        headers.get("Content-Type"))[1])
    identified, _ = media_type(headers.get("WARC-Identified-Payload-Type"))
    payload = resp.body if resp is not None else block
    kind = html_type(declared, identified, payload)
    if kind is None and url and (resp is None or resp.status == 200) and is_image(declared, identified, payload):
        try:
            body = decode_body(resp, ingest.max_image_bytes) if resp is not None else payload
            if len(body) > ingest.max_image_bytes:
                raise BodyError("too_large", f"image of {len(body)} bytes exceeds {ingest.max_image_bytes}")
        except BodyError as exc:
            return reject(exc.reason, str(exc))
        content_type = resp.headers.get("content-type") if resp is not None else headers.get("Content-Type")
        return archived_image(rec, url, warc_filename, resp.status if resp is not None else None, content_type, body)
    if kind is None:
        return reject("not_html", f"content type {declared or 'missing'}")
    try:
        body = decode_body(resp, ingest.max_html_bytes) if resp is not None else payload
        if len(body) > ingest.max_html_bytes:
            raise BodyError("too_large", f"body of {len(body)} bytes exceeds {ingest.max_html_bytes}")
        html, codec, source = decode_html(body, charset)
    except BodyError as exc:
        return reject(exc.reason, str(exc))
    except CharsetError as exc:
        return reject("decode_error", str(exc))
    return {
        "row_kind": "page",
        "page_id": page_id(warc_filename, rec.offset),
        "url": url,
        "warc_filename": warc_filename,
        "warc_record_offset": rec.offset,
        "warc_record_length": rec.length,
        "warc_record_id": headers.get("WARC-Record-ID"),
        "fetch_time": parse_warc_date(headers.get("WARC-Date")),
        "http_status": resp.status if resp is not None else None,
        "content_type": kind,
        "charset": codec,
        "charset_source": source,
        "html": html,
        "crawl": crawl,
        "warc_truncated": headers.get("WARC-Truncated"),
    }


def _reject(reason: str, detail: str, warc_filename: str, offset: int | None, key: str | None) -> dict[str, Any]:
    return reject_row(STAGE, reason, detail, key, warc_filename, offset)


def _block_filter(max_bytes: int):
    """Which record blocks the reader should load: responses, revisits and warcinfo, up to ``max_bytes``."""
    def want(headers: dict[str, str]) -> bool:
        if (headers.get("WARC-Type") or "").strip().lower() not in _READ_BLOCK_TYPES:
            return False
        length = headers.get("Content-Length", "").strip()
        return not (length.isdigit() and int(length) > max_bytes)
    return want


def ingest_file(uri: str, config: Config) -> Iterator[dict[str, Any]]:
    """Rows for one input file: its pages, archived images and rejects, then its warc_files row.
    ``config`` is the run's Config (only ``ingest`` and ``storage`` are read)."""
    started = time.perf_counter()
    crawl = crawl_from_name(uri)
    log = ReadLog()
    counts = {"page": 0, "reject": 0, "archived_image": 0}
    records_read = 0
    size = None
    try:
        size = storage.size(uri, config.storage)
        items = _guarded(read_archive(lambda: storage.open_binary(uri, config.storage)[0], size,
                                      _block_filter(config.ingest.max_record_bytes), log))
    except Exception as exc:  # the file cannot be opened at all: one reject for the file
        if is_transient(exc):
            raise
        log.reader = "none"
        items = iter([Unreadable(0, "unreadable_file", f"{type(exc).__name__}: {exc}")])
    for item in items:
        records_read += 1
        if isinstance(item, Unreadable):
            row = _reject(item.reason, item.detail, uri, item.offset, f"{uri}@{item.offset}")
        else:
            if item.warc_type == "warcinfo":
                crawl = warcinfo_crawl(item.block) or crawl
            try:
                row = classify(item, uri, crawl, config.ingest)
            except Exception as exc:  # noqa: BLE001 -- a bug or an input we did not foresee: never kill the task
                row = _reject("internal_error", f"{type(exc).__name__}: {exc}", uri, item.offset,
                              item.headers.get("WARC-Target-URI"))
        counts[row["row_kind"]] += 1
        yield row
    yield {
        "row_kind": "file", "warc_filename": uri, "crawl": crawl, "reader": log.reader,
        "records_read": records_read, "pages": counts["page"], "archived_images": counts["archived_image"],
        "rejected": counts["reject"],
        "file_bytes": size, "seconds": time.perf_counter() - started,
    }


def _guarded(items: Iterator) -> Iterator:
    """The reader's items; a reader bug ends the file with one internal_error item instead of
    killing the task (network errors still propagate, for Spark to retry)."""
    offset = 0
    try:
        for item in items:
            offset = item.offset
            yield item
    except Exception as exc:
        if is_transient(exc):
            raise
        yield Unreadable(offset, "internal_error", f"reader failed after offset {offset}: {type(exc).__name__}: {exc}")


INGEST_SIDE = {"reject": REJECTS, "archived_image": ARCHIVED_IMAGES, "file": WARC_FILES}  # side tables by row_kind


def input_files(batches: Iterator[pa.RecordBatch]) -> Iterator[str]:
    """The file names of a task's input rows (one ``warc_filename`` per row)."""
    for batch in batches:
        yield from batch.column("warc_filename").to_pylist()


def side_schemas(tables: dict[str, Any]) -> dict[str, pa.Schema]:
    return {kind: table.arrow() for kind, table in tables.items()}


def row_bytes(row: dict[str, Any]) -> int:
    """The size of a row's large value (HTML characters, image bytes); 0 for small rows."""
    return len(row.get("html") or row.get("payload") or "")


def ingest_batches(batches: Iterator[pa.RecordBatch], config: Config, side_dir: str) -> Iterator[pa.RecordBatch]:
    """mapInArrow adapter; each input row names one file. Pages go back to Spark (PAGES schema),
    with their HTML only when ``ingest.store_html``; the file's archived images, rejects and
    warc_files row go to side files under ``side_dir`` (``udfs.common.side_output``)."""
    schema, limits = PAGES.arrow(), config.ingest
    for uri in input_files(batches):
        with SideWriter(side_dir, uri, side_schemas(INGEST_SIDE), config.storage) as side:
            pages = Batcher(schema, limits.batch_rows, limits.batch_bytes)
            for row in ingest_file(uri, config):
                if row["row_kind"] != "page":
                    side.add(row["row_kind"], row, row_bytes(row))
                    continue
                if not limits.store_html:
                    row["html"] = None
                if pages.add(row, row_bytes(row)):
                    yield to_batch(pages.take(), schema)
            if pages.rows:
                yield to_batch(pages.take(), schema)
