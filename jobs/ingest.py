"""Ingest: WARC files → ``pages``, ``archived_images``, ``rejects`` (stage=ingest), ``warc_files``.

One Spark task per input file: the file list is distributed, and each task streams its file
with ``udfs.page_records.ingest_batches``. Pages flow back to Spark and are written as the
``pages`` table (their HTML only with ``ingest.store_html``); each task also leaves its file's
archived images, rejects and accounting row in side files (``udfs.side_output``), written as
their tables once the pages are committed. Each file is read once, and nothing large is cached.
When the run also extracts, ``jobs.ingest_extract`` does both in one pass instead.
"""
from __future__ import annotations

import time
from functools import partial

from jobs.runtime import RunContext, stage_main
from jobs.stats import rejected_by_reason, write_stats
from jobs.tables import files_frame, read_table, side_folder, write_side_tables, write_table
from schemas.archived_images import ARCHIVED_IMAGES
from schemas.pages import PAGES
from schemas.rejects import REJECTS
from schemas.warc_files import WARC_FILES
from udfs.page_records import STAGE, ingest_batches

SIDE_TABLES = {"archived_image": ARCHIVED_IMAGES, "file": WARC_FILES}


def run(spark, ctx: RunContext) -> dict:
    started = time.perf_counter()
    side_dir = side_folder(ctx, STAGE)
    pages = files_frame(spark, ctx).mapInArrow(partial(ingest_batches, settings=ctx.config, side_dir=side_dir),
                                               PAGES.spark())
    write_table(pages, PAGES, ctx)
    write_side_tables(spark, ctx, side_dir, SIDE_TABLES, reject_stages=(STAGE,))
    return stats(spark, ctx, time.perf_counter() - started)


def stats(spark, ctx: RunContext, seconds: float, **extra) -> dict:
    """Per-file accounting from the written tables: records read = pages + archived images + rejects."""
    from pyspark.sql import functions as F

    pages = dict(read_table(spark, PAGES, ctx).groupBy("warc_filename").count().collect())
    images = dict(read_table(spark, ARCHIVED_IMAGES, ctx).groupBy("warc_filename").count().collect())
    rejects = dict(read_table(spark, REJECTS, ctx).where(F.col("stage") == STAGE)
                   .groupBy("warc_filename").count().collect())
    files, readers = {}, {}
    for row in read_table(spark, WARC_FILES, ctx).orderBy("warc_filename").collect():
        name = row["warc_filename"]
        files[name] = {"records_read": row["records_read"], "pages": pages.get(name, 0),
                       "archived_images": images.get(name, 0), "rejected": rejects.get(name, 0),
                       "reader": row["reader"], "crawl": row["crawl"]}
        readers[row["reader"]] = readers.get(row["reader"], 0) + 1
    unbalanced = [n for n, f in files.items() if f["records_read"] != f["pages"] + f["archived_images"] + f["rejected"]]
    return write_stats(
        ctx, STAGE,
        input_rows=sum(f["records_read"] for f in files.values()),
        output_rows=sum(pages.values()) + sum(images.values()),
        pages=sum(pages.values()),
        archived_images=sum(images.values()),
        rejected=rejected_by_reason(spark, ctx, STAGE),
        seconds=seconds,
        input_files=len(ctx.files),
        readers=readers,
        missing_files=sorted(set(ctx.files) - set(files)),
        unbalanced_files=unbalanced,
        files=files,
        **extra,
    )


def main(argv=None) -> None:
    stage_main(STAGE, run, argv)


if __name__ == "__main__":
    main()
