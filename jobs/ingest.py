"""Ingest: WARC files → ``pages``, ``archived_images``, ``rejects`` (stage=ingest), ``warc_files``.

One Spark task per input file: the file list is distributed, and each task streams its file
with ``udfs.ingest.page_records.ingest_batches``. Pages flow back to Spark and are written as the
``pages`` table (their HTML only with ``ingest.store_html``); each task also leaves its file's
archived images, rejects and accounting row in side files (``udfs.common.side_output``), written as
their tables once the pages are committed. Each file is read once, and nothing large is cached.
When the run also extracts, ``jobs.ingest_extract`` does both in one pass instead.
"""
from __future__ import annotations

from functools import partial

from jobs.runtime import RunContext
from jobs.stage import Stage
from jobs.tables import files_frame, read_table, side_folder, write_side_tables, write_table
from schemas.archived_images import ARCHIVED_IMAGES
from schemas.pages import PAGES
from schemas.rejects import REJECTS
from schemas.warc_files import WARC_FILES
from udfs.ingest.page_records import STAGE as NAME
from udfs.ingest.page_records import ingest_batches

SIDE_TABLES = {"archived_image": ARCHIVED_IMAGES, "file": WARC_FILES}


def work(spark, ctx: RunContext) -> dict:
    side_dir = side_folder(ctx, NAME)
    pages = files_frame(spark, ctx).mapInArrow(partial(ingest_batches, config=ctx.config, side_dir=side_dir),
                                               PAGES.spark())
    write_table(pages, PAGES, ctx)
    write_side_tables(spark, ctx, side_dir, SIDE_TABLES, reject_stages=(NAME,))
    return counts(spark, ctx)


def counts(spark, ctx: RunContext) -> dict:
    """Per-file accounting from the written tables: records read = pages + archived images + rejects."""
    from pyspark.sql import functions as F

    pages = dict(read_table(spark, PAGES, ctx).groupBy("warc_filename").count().collect())
    images = dict(read_table(spark, ARCHIVED_IMAGES, ctx).groupBy("warc_filename").count().collect())
    rejects = dict(read_table(spark, REJECTS, ctx).where(F.col("stage") == NAME)
                   .groupBy("warc_filename").count().collect())
    files, readers = {}, {}
    for row in read_table(spark, WARC_FILES, ctx).orderBy("warc_filename").collect():
        name = row["warc_filename"]
        files[name] = {"records_read": row["records_read"], "pages": pages.get(name, 0),
                       "archived_images": images.get(name, 0), "rejected": rejects.get(name, 0),
                       "reader": row["reader"], "crawl": row["crawl"]}
        readers[row["reader"]] = readers.get(row["reader"], 0) + 1
    unbalanced = [n for n, f in files.items() if f["records_read"] != f["pages"] + f["archived_images"] + f["rejected"]]
    return dict(
        input_rows=sum(f["records_read"] for f in files.values()),
        output_rows=sum(pages.values()) + sum(images.values()),
        pages=sum(pages.values()),
        archived_images=sum(images.values()),
        input_files=len(ctx.files),
        readers=readers,
        missing_files=sorted(set(ctx.files) - set(files)),
        unbalanced_files=unbalanced,
        files=files,
    )


STAGE = Stage(NAME, "WARC files to pages, archived images and per-file accounting",
              reads=(), writes=(PAGES.name, ARCHIVED_IMAGES.name, REJECTS.name, WARC_FILES.name), work=work)
run, main = STAGE.run, STAGE.main


if __name__ == "__main__":
    main()
