"""Images: ``docs_dedup`` (else kept ``docs``) and ``alt_pairs`` → ``images``, ``rejects`` (stage=images).

Every distinct image URL is read once: from the input WARCs when they hold its response
(``images.source``: ``archive_then_web`` by default, ``archive_only``, ``web_only``), else
downloaded (``udfs.image_fetch``: address checks on every hop, capped bodies, retries); then
decoded (``udfs.image_decode``). URLs are spread over tasks by a
hash (hosts mixed across tasks), ``images.urls_per_task`` per task; each task runs
``images.threads`` downloads at once. Every URL gets a row with ``status``; failures are also
rejects with the status as reason.
"""
from __future__ import annotations

import math
import time
from functools import partial

from jobs.runtime import RunContext, arrow_batch_rows, stage_main
from jobs.stats import rejected_by_reason, write_stats
from jobs.tables import read_documents, read_table, write_table
from schemas.docs import ALT_PAIRS
from schemas.image_rows import IMAGE_ROWS
from schemas.images import IMAGES
from schemas.rejects import REJECTS
from udfs.image_batches import STAGE, images_batches

ARROW_BATCH_ROWS = 64  # URLs per Arrow batch into Python (the task streams them to its thread pool)


def distinct_urls(spark, ctx: RunContext):
    """The distinct image URLs of the documents later stages use, and of the alt-text pairs."""
    from pyspark.sql import functions as F

    docs, source = read_documents(spark, ctx)
    in_docs = docs.select(F.explode("images").alias("image_url"))
    in_pairs = read_table(spark, ALT_PAIRS, ctx).select("image_url")
    urls = in_docs.union(in_pairs).where(F.col("image_url").isNotNull()).distinct()
    return urls, source


def with_archive_locations(spark, ctx: RunContext, urls):
    """``urls`` with ``archive_file``/``archive_offset``: where an input WARC holds an image
    response for the URL (ingest's ``image_record`` rejects; URLs compared normalised)."""
    from pyspark.sql import functions as F

    from udfs.url_normalize import normalize_series

    normalized = F.pandas_udf(normalize_series, "string")
    if ctx.config.images.source == "web_only":
        return urls.select("image_url", F.lit(None).cast("string").alias("archive_file"),
                           F.lit(None).cast("long").alias("archive_offset"))
    records = (read_table(spark, REJECTS, ctx).where("stage = 'ingest' AND reason = 'image_record'")
               .select(normalized("key").alias("norm"), "warc_filename", "warc_record_offset")
               .where(F.col("norm").isNotNull())
               .groupBy("norm").agg(F.min(F.struct("warc_filename", "warc_record_offset")).alias("at")))
    return (urls.withColumn("norm", normalized("image_url")).join(records, "norm", "left")
            .select("image_url", F.col("at.warc_filename").alias("archive_file"),
                    F.col("at.warc_record_offset").alias("archive_offset")))


def run(spark, ctx: RunContext) -> dict:
    from pyspark import StorageLevel
    from pyspark.sql import functions as F

    started = time.perf_counter()
    settings = ctx.config.images
    urls, source = distinct_urls(spark, ctx)
    urls = with_archive_locations(spark, ctx, urls).persist(StorageLevel.DISK_ONLY)
    try:
        n_urls = urls.count()
        tasks = max(1, math.ceil(n_urls / settings.urls_per_task))
        rows = (urls.repartition(tasks, F.xxhash64("image_url"))
                .mapInArrow(partial(images_batches, settings=ctx.config), IMAGE_ROWS.spark())
                .persist(StorageLevel.DISK_ONLY))
        with arrow_batch_rows(spark, ARROW_BATCH_ROWS):
            write_table(rows.where(F.col("row_kind") == "image"), IMAGES, ctx)
            write_table(rows.where(F.col("row_kind") == "reject"), REJECTS, ctx, partition={"stage": STAGE})
        rows.unpersist()
    finally:
        urls.unpersist()
    images = read_table(spark, IMAGES, ctx)
    by_status = dict(images.groupBy("status").count().collect())
    ok = images.where("status = 'ok'")
    return write_stats(
        ctx, STAGE, input_rows=n_urls, output_rows=by_status.get("ok", 0),
        rejected=rejected_by_reason(spark, ctx, STAGE), seconds=time.perf_counter() - started,
        source=source, tasks=tasks, images_rows=sum(by_status.values()),
        status=dict(sorted(by_status.items(), key=lambda kv: -kv[1])),
        obelics_ok=ok.where("obelics_ok").count(), datacomp_ok=ok.where("datacomp_ok").count(),
        bytes_read=int(images.agg(F.sum("byte_size")).first()[0] or 0),
        origin=dict(ok.groupBy("origin").count().collect()), image_source=settings.source,
    )


def main(argv=None) -> None:
    stage_main(STAGE, run, argv)


if __name__ == "__main__":
    main()
