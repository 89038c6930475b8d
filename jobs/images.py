"""Images: ``docs_dedup`` (else kept ``docs``) and ``alt_pairs`` → ``images``, ``rejects`` (stage=images).

Every distinct image URL is read once: from ``archived_images`` when the input WARCs hold its
response (by exact URL, else normalised URL; ``images.source``: ``archive_then_web`` by default,
``archive_only``, ``web_only``), else downloaded (``udfs.images.image_fetch``: address checks on every
hop, capped bodies, retries); then decoded (``udfs.images.image_decode``). URLs are spread over tasks by a
hash (hosts mixed across tasks), ``images.urls_per_task`` per task; each task runs
``images.threads`` downloads at once. Every URL gets a row with ``status``; failures are also
rejects with the status as reason.
"""
from __future__ import annotations

import math
from functools import partial

from jobs.runtime import RunContext
from jobs.stage import Stage, write_by_kind
from jobs.tables import read_documents, read_table
from schemas.archived_images import ARCHIVED_IMAGES
from schemas.docs import ALT_PAIRS, DOCS
from schemas.docs_dedup import DOCS_DEDUP
from schemas.image_rows import IMAGE_ROWS
from schemas.images import IMAGES
from schemas.rejects import REJECTS
from udfs.images.image_batches import STAGE as NAME
from udfs.images.image_batches import images_batches

ARROW_BATCH_ROWS = 8  # URLs per Arrow batch into Python (the task streams them to its thread pool); a row
                     # may carry an archived copy of up to ingest.max_image_bytes (Spark 3.5 counts rows only)


def distinct_urls(spark, ctx: RunContext):
    """The distinct image URLs of the documents later stages use, and of the alt-text pairs."""
    from pyspark.sql import functions as F

    docs, source = read_documents(spark, ctx)
    in_docs = docs.select(F.explode("images").alias("image_url"))
    in_pairs = read_table(spark, ALT_PAIRS, ctx).select("image_url")
    urls = in_docs.union(in_pairs).where(F.col("image_url").isNotNull()).distinct()
    return urls, source


def archived_copies(spark, ctx: RunContext):
    """One archived copy per URL from ``archived_images``, as the place of the record that holds
    its payload (``archive_at``: file@offset) with its content type and capture time: image
    responses, and image revisits resolved to the response they repeat (same payload digest,
    else the response for the URL they refer to); the latest capture when a URL has several.
    Only these narrow columns go through the joins and windows; payloads join once, at the end."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    archived = read_table(spark, ARCHIVED_IMAGES, ctx)
    held = archived.where(F.col("payload").isNotNull()).select(
        "image_url", "content_type", "fetch_time", "payload_digest", archive_at())
    revisits = archived.where(F.col("payload").isNull() & (F.col("record_kind") == "revisit"))
    by_digest = held.where(F.col("payload_digest").isNotNull()).dropDuplicates(["payload_digest"])
    by_url = held.dropDuplicates(["image_url"])
    resolved = (revisits.alias("r")
                .join(by_digest.alias("d"), F.col("r.payload_digest") == F.col("d.payload_digest"), "left")
                .join(by_url.alias("u"), F.col("r.refers_to") == F.col("u.image_url"), "left")
                .select(F.col("r.image_url").alias("image_url"),
                        F.coalesce("r.content_type", "d.content_type", "u.content_type").alias("content_type"),
                        F.col("r.fetch_time").alias("fetch_time"), F.col("r.payload_digest").alias("payload_digest"),
                        F.coalesce("d.archive_at", "u.archive_at").alias("archive_at"))
                .where(F.col("archive_at").isNotNull()))
    copies = held.unionByName(resolved)
    latest = Window.partitionBy("image_url").orderBy(F.col("fetch_time").desc_nulls_last(), "archive_at")
    return copies.withColumn("n", F.row_number().over(latest)).where("n = 1").drop("n", "payload_digest")


def archive_at():
    """``file@offset`` of an archived_images record: where an archived copy is."""
    from pyspark.sql import functions as F

    return F.concat_ws("@", "warc_filename", F.col("warc_record_offset").cast("string")).alias("archive_at")


def with_archived(spark, ctx: RunContext, urls):
    """``urls`` with ``archive_payload``, ``archive_content_type``, ``archive_fetch_time`` and
    ``archive_at`` (file@offset) where the input WARCs hold the image: by exact URL, else by
    normalised URL (null columns when they do not, or with ``images.source: web_only``)."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    from udfs.common.url_normalize import normalize_series

    columns = {"archive_payload": "binary", "archive_content_type": "string",
               "archive_fetch_time": "timestamp", "archive_at": "string"}
    if ctx.config.images.source == "web_only":
        return urls.select("image_url", *(F.lit(None).cast(t).alias(c) for c, t in columns.items()))
    normalized = F.pandas_udf(normalize_series, "string")
    copies = archived_copies(spark, ctx).select(
        "image_url", F.col("content_type").alias("archive_content_type"),
        F.col("fetch_time").alias("archive_fetch_time"), "archive_at")
    exact = urls.join(copies, "image_url", "left")
    first = Window.partitionBy("norm").orderBy("archive_at")
    by_norm = (copies.withColumn("norm", normalized("image_url")).where(F.col("norm").isNotNull())
               .withColumn("n", F.row_number().over(first)).where("n = 1").drop("n", "image_url"))
    found = exact.where(F.col("archive_at").isNotNull())
    rest = (exact.where(F.col("archive_at").isNull()).select("image_url")
            .withColumn("norm", normalized("image_url")).join(by_norm, "norm", "left").drop("norm"))
    payloads = (read_table(spark, ARCHIVED_IMAGES, ctx).where(F.col("payload").isNotNull())
                .select(archive_at(), F.col("payload").alias("archive_payload")))
    return found.unionByName(rest).join(payloads, "archive_at", "left").select("image_url", *columns)


def work(spark, ctx: RunContext) -> dict:
    from pyspark import StorageLevel
    from pyspark.sql import functions as F

    settings = ctx.config.images
    urls, source = distinct_urls(spark, ctx)
    urls = with_archived(spark, ctx, urls).persist(StorageLevel.DISK_ONLY)
    try:
        n_urls = urls.count()
        tasks = max(1, math.ceil(n_urls / settings.urls_per_task))
        rows = (urls.repartition(tasks, F.xxhash64("image_url"))
                .mapInArrow(partial(images_batches, config=ctx.config), IMAGE_ROWS.spark()))
        write_by_kind(spark, ctx, NAME, [(rows, {"image": IMAGES})], batch_rows=ARROW_BATCH_ROWS)
    finally:
        urls.unpersist()
    images = read_table(spark, IMAGES, ctx)
    by_status = dict(images.groupBy("status").count().collect())
    ok = images.where("status = 'ok'")
    sources = dict(sorted(ok.groupBy("source").count().collect()))
    return dict(
        input_rows=n_urls, output_rows=by_status.get("ok", 0),
        source=source, tasks=tasks, images_rows=sum(by_status.values()),
        status=dict(sorted(by_status.items(), key=lambda kv: -kv[1])),
        obelics_ok=ok.where("obelics_ok").count(), datacomp_ok=ok.where("datacomp_ok").count(),
        bytes_read=int(images.agg(F.sum("byte_size")).first()[0] or 0),
        image_source=settings.source, image_sources=sources,
    )


STAGE = Stage(NAME, "every image URL of the documents and alt-text pairs, from the archive or the web, decoded",
              reads=(DOCS_DEDUP.name, DOCS.name, ALT_PAIRS.name, ARCHIVED_IMAGES.name),
              writes=(IMAGES.name, REJECTS.name), work=work)
run, main = STAGE.run, STAGE.main


if __name__ == "__main__":
    main()
