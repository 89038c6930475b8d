"""Ingest: WARC files → ``pages``, ``rejects`` (stage=ingest), ``warc_files``.

One Spark task per input file: the file list is distributed, and each task streams its file
with ``udfs.page_records.ingest_batches``. The task's single output stream is persisted once and
split into the three tables, so no file is read twice.
"""
from __future__ import annotations

import time
from functools import partial

from jobs.runtime import RunContext, stage_main
from jobs.stats import rejected_by_reason, write_stats
from schemas.ingest_rows import INGEST_ROWS
from schemas.pages import PAGES
from schemas.rejects import REJECTS
from schemas.warc_files import WARC_FILES
from udfs.page_records import STAGE, ingest_batches


def run(spark, ctx: RunContext) -> dict:
    from pyspark import StorageLevel
    from pyspark.sql import functions as F

    started = time.perf_counter()
    files = spark.sparkContext.parallelize([(f,) for f in ctx.files], numSlices=len(ctx.files))
    rows = (spark.createDataFrame(files, "warc_filename string")
            .mapInArrow(partial(ingest_batches, settings=ctx.config), INGEST_ROWS.spark())
            .persist(StorageLevel.DISK_ONLY))
    try:
        for table, mode in ((WARC_FILES, "file"), (PAGES, "page"), (REJECTS, "reject")):
            writer = rows.where(F.col("row_kind") == mode).select(*table.names).write.mode("overwrite")
            if table.partition_by:
                writer = writer.partitionBy(*table.partition_by)
            writer.parquet(ctx.table(table.name))
    finally:
        rows.unpersist()
    return _stats(spark, ctx, time.perf_counter() - started)


def _stats(spark, ctx: RunContext, seconds: float) -> dict:
    """Per-file accounting from the written tables: records read = pages + rejects."""
    from pyspark.sql import functions as F

    pages = dict(spark.read.parquet(ctx.table(PAGES.name)).groupBy("warc_filename").count().collect())
    rejects = dict(spark.read.parquet(ctx.table(REJECTS.name)).where(F.col("stage") == STAGE)
                   .groupBy("warc_filename").count().collect())
    files, readers = {}, {}
    for row in spark.read.parquet(ctx.table(WARC_FILES.name)).orderBy("warc_filename").collect():
        name = row["warc_filename"]
        files[name] = {"records_read": row["records_read"], "pages": pages.get(name, 0),
                       "rejected": rejects.get(name, 0), "reader": row["reader"], "crawl": row["crawl"]}
        readers[row["reader"]] = readers.get(row["reader"], 0) + 1
    unbalanced = [n for n, f in files.items() if f["records_read"] != f["pages"] + f["rejected"]]
    return write_stats(
        ctx, STAGE,
        input_rows=sum(f["records_read"] for f in files.values()),
        output_rows=sum(pages.values()),
        rejected=rejected_by_reason(spark, ctx, STAGE),
        seconds=seconds,
        input_files=len(files),
        readers=readers,
        unbalanced_files=unbalanced,
        files=files,
    )


def main(argv=None) -> None:
    stage_main(STAGE, run, argv)


if __name__ == "__main__":
    main()
