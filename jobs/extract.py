"""Extract: ``pages`` → ``docs``, ``alt_pairs``, ``rejects`` (stage=extract).

Pages are extracted in a mapInArrow task (``udfs.documents.extract_batches``); its output rows
(documents, alt-text pairs, rejects: small next to the HTML) are persisted once and split into
the three tables. Document rules only tag (``keep``, ``drop_reasons``); thresholds can be
changed later without extracting again.
"""
from __future__ import annotations

import time
from functools import partial
from pathlib import Path

from jobs.runtime import RunContext, arrow_batch_rows, fail, stage_main
from jobs.stats import rejected_by_reason, write_stats
from jobs.tables import read_table, write_table
from schemas.docs import ALT_PAIRS, DOCS
from schemas.extract_rows import EXTRACT_ROWS
from schemas.pages import PAGES
from schemas.rejects import REJECTS
from udfs.documents import PAGE_COLUMNS, STAGE, extract_batches

ARROW_BATCH_ROWS = 16  # pages per Arrow batch into Python: HTML is large, extraction is per page


def check_settings(ctx: RunContext) -> None:
    """Fail before Spark work when an optional model is configured but unusable."""
    settings = ctx.config.extract
    if settings.kenlm_model:
        try:
            import kenlm  # noqa: F401
        except ImportError:
            fail("extract.kenlm_model is set but the kenlm package is not installed (pip install kenlm)")
    for name in ("kenlm_model", "langid_model"):
        path = getattr(settings, name)
        if path and "://" not in path and not Path(path).is_file():
            fail(f"extract.{name}: no such file {path}")


def run(spark, ctx: RunContext) -> dict:
    from pyspark import StorageLevel
    from pyspark.sql import functions as F

    check_settings(ctx)
    started = time.perf_counter()
    pages = read_table(spark, PAGES, ctx)
    rows = (pages.select(*PAGE_COLUMNS)
            .mapInArrow(partial(extract_batches, settings=ctx.config), EXTRACT_ROWS.spark())
            .persist(StorageLevel.DISK_ONLY))
    try:
        with arrow_batch_rows(spark, ARROW_BATCH_ROWS):
            write_table(rows.where(F.col("row_kind") == "doc"), DOCS, ctx)
            write_table(rows.where(F.col("row_kind") == "alt_pair"), ALT_PAIRS, ctx)
            write_table(rows.where(F.col("row_kind") == "reject"), REJECTS, ctx, partition={"stage": STAGE})
    finally:
        rows.unpersist()
    return _stats(spark, ctx, pages.count(), time.perf_counter() - started)


def _stats(spark, ctx: RunContext, input_rows: int, seconds: float) -> dict:
    from pyspark.sql import functions as F

    docs = read_table(spark, DOCS, ctx)
    drop_reasons = dict(docs.select(F.explode("drop_reasons").alias("r")).groupBy("r").count().collect())
    node_drops = dict(docs.select(F.explode("node_drops")).groupBy("key").agg(F.sum("value")).collect())
    return write_stats(
        ctx, STAGE,
        input_rows=input_rows,
        output_rows=docs.count(),
        rejected=rejected_by_reason(spark, ctx, STAGE),
        seconds=seconds,
        mode=ctx.config.extract.mode,
        kept_docs=docs.where("keep").count(),
        alt_pairs=read_table(spark, ALT_PAIRS, ctx).count(),
        drop_reasons=dict(sorted(drop_reasons.items(), key=lambda kv: -kv[1])),
        node_drops=dict(sorted(((k, int(v)) for k, v in node_drops.items()), key=lambda kv: -kv[1])),
    )


def main(argv=None) -> None:
    stage_main(STAGE, run, argv)


if __name__ == "__main__":
    main()
