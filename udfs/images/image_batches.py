"""The images stage's task: distinct URLs (with the copy the input WARCs hold, if they do) in,
one ``images`` row per URL out (plus a ``rejects`` row for each failure); downloads and decodes
on a thread pool per task."""
from __future__ import annotations

import threading
import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from datetime import datetime, timezone
from typing import Any, Iterator, NamedTuple

import pyarrow as pa

from schemas.image_rows import IMAGE_ROWS
from udfs.common.arrow_rows import reject_row, to_batch
from udfs.images.image_decode import configure_pillow, decode
from udfs.images.image_fetch import Fetched, fetch
from udfs.common.settings import Config, ImagesSettings

STAGE = "images"


class Archived(NamedTuple):
    """The copy of an image the input WARCs hold (``archived_images``)."""

    payload: bytes | None
    content_type: str | None
    fetch_time: datetime | None
    at: str | None  # file@offset


INPUT_COLUMNS = ["image_url", "archive_payload", "archive_content_type", "archive_fetch_time", "archive_at"]
OUTPUT_ROWS = 256  # rows per Arrow batch returned to Spark (image_bytes make rows large)
ARCHIVED_BYTES_QUEUED = 256 << 20  # archived copies (up to ingest.max_image_bytes each) waiting in a task


def rewrite(url: str, prefixes: dict[str, str]) -> str:
    """``url`` with the longest matching prefix replaced (mirrors, local test servers)."""
    for prefix in sorted(prefixes, key=len, reverse=True):
        if url.startswith(prefix):
            return prefixes[prefix] + url[len(prefix):]
    return url


def from_archive(archived: Archived | None, images: ImagesSettings) -> Fetched | None:
    """The image as the input WARCs hold it (``images.source`` permitting), else None."""
    if images.source == "web_only":
        return None
    if archived is None or archived.payload is None:
        return Fetched("not_in_archive", detail="no image response for this URL in the input") \
            if images.source == "archive_only" else None
    return Fetched("ok", body=archived.payload, content_type=archived.content_type, final_url=archived.at,
                   http_status=200)


def image_row(url: str, images: ImagesSettings, pools: dict, archived: Archived | None = None) -> dict[str, Any]:
    """The images row for one URL (``images``: ImagesSettings; ``archived``: the copy the input
    WARCs hold, if any); never raises."""
    started = time.perf_counter()
    try:
        fetched = from_archive(archived, images)
        source = "archive" if fetched is not None and fetched.status == "ok" else None
        fetch_time = archived.fetch_time if source else None
        if fetched is None:
            fetch_time = datetime.now(timezone.utc)
            fetched = fetch(rewrite(url, images.rewrite_prefixes), images, pools)
            source = "web"
        row: dict[str, Any] = {"status": fetched.status, "http_status": fetched.http_status,
                               "source": source, "fetch_time": fetch_time, "final_url": fetched.final_url,
                               "attempts": fetched.attempts, "detail": fetched.detail,
                               "content_type": fetched.content_type}
        if fetched.status == "ok":
            row.update(decode(fetched.body, fetched.content_type, images))
    except Exception as exc:  # noqa: BLE001 -- a bug on one URL must not fail the task
        row = {"status": "internal_error", "detail": f"{type(exc).__name__}: {exc}"[:300]}
    return {**row, "row_kind": "image", "image_url": url, "fetch_seconds": time.perf_counter() - started}


def _rows(row: dict[str, Any]) -> list[dict[str, Any]]:
    if row["status"] == "ok":
        return [row]
    return [row, reject_row(STAGE, row["status"], row.get("detail") or row["status"], row["image_url"], None, None)]


def images_batches(batches: Iterator[pa.RecordBatch], config: Config) -> Iterator[pa.RecordBatch]:
    """mapInArrow adapter: ``image_url`` rows in, IMAGE_ROWS out. Up to ``images.threads``
    downloads run at once, fed continuously from the task's URLs (no wait at batch ends)."""
    images = config.images
    configure_pillow(images.max_pixels)
    schema = IMAGE_ROWS.arrow()
    local = threading.local()
    all_pools: list[dict] = []

    def work(item: tuple) -> dict[str, Any]:
        if not hasattr(local, "pools"):
            local.pools = {}  # connection pools per thread: keep-alive per host, no sharing
            all_pools.append(local.pools)
        url, *archived = item
        return image_row(url, images, local.pools, Archived(*archived) if archived[0] is not None else None)

    urls = (item for batch in batches for item in zip(*(batch.column(c).to_pylist() for c in INPUT_COLUMNS)))
    done: list[dict[str, Any]] = []
    with ThreadPoolExecutor(max_workers=images.threads, thread_name_prefix="weft-image") as pool:
        running: dict = {}  # future -> bytes of the archived copy it holds
        for url in urls:
            size = len(url[1] or b"")
            # at most 2 x threads URLs queued, and archived copies of at most ARCHIVED_BYTES_QUEUED
            while running and (len(running) >= 2 * images.threads or sum(running.values()) + size > ARCHIVED_BYTES_QUEUED):
                finished, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in finished:
                    del running[future]
                    done.extend(_rows(future.result()))
            running[pool.submit(work, url)] = size
            if len(done) >= OUTPUT_ROWS:
                yield to_batch(done, schema)
                done = []
        for future in running:
            done.extend(_rows(future.result()))
    for pools in all_pools:
        for connection_pool in pools.values():
            connection_pool.close()
    if done:
        yield to_batch(done, schema)
