"""Ingest and extract in one pass (``ingest.fuse_extract``, the default when a run has both):
WARC files → ``docs`` and every table the two stages write, each page extracted in the task
that reads it (``udfs.ingest.warc_documents``), so its HTML is parsed where it was decoded instead of
going to Parquet and back. ``docs`` rows come back to Spark; the other tables come from the
tasks' side files. Each stage gets its own stats, counted from the written tables as when they
run apart; the job's time is split between them by what the tasks measured (reading and
decoding vs extracting: ``warc_files.extract_seconds``).
"""
from __future__ import annotations

import time
from functools import partial

from jobs import extract, ingest
from jobs.runtime import RunContext
from jobs.stage import finish
from jobs.tables import files_frame, read_table, side_folder, write_side_tables, write_table
from schemas.docs import ALT_PAIRS, DOCS
from schemas.pages import PAGES
from schemas.warc_files import WARC_FILES
from udfs.ingest.warc_documents import warc_documents_batches

NAME = "ingest+extract"


def run(spark, ctx: RunContext) -> dict[str, dict]:
    """Both stages' stats, by stage (their pre-flight checks have run)."""
    from pyspark.sql import functions as F

    started = time.perf_counter()
    side_dir = side_folder(ctx, "ingest_extract")
    docs = files_frame(spark, ctx).mapInArrow(
        partial(warc_documents_batches, config=ctx.config, side_dir=side_dir), DOCS.spark())
    write_table(docs, DOCS, ctx)
    write_side_tables(spark, ctx, side_dir, {"page": PAGES, **ingest.SIDE_TABLES, "alt_pair": ALT_PAIRS},
                      reject_stages=(ingest.NAME, extract.NAME))
    seconds = time.perf_counter() - started
    spent = read_table(spark, WARC_FILES, ctx).agg(F.sum("seconds"), F.sum("extract_seconds")).first()
    share = (spent[1] or 0.0) / spent[0] if spent[0] else 0.0
    fused = {"fused": NAME, "job_seconds": round(seconds, 3)}
    return {
        ingest.NAME: finish(spark, ctx, ingest.NAME, {**ingest.counts(spark, ctx), **fused}, seconds * (1 - share)),
        extract.NAME: finish(spark, ctx, extract.NAME,
                             {**extract.counts(spark, ctx, read_table(spark, PAGES, ctx).count()), **fused},
                             seconds * share),
    }
