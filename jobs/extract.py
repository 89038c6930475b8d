"""Extract: ``pages`` → ``docs``, ``alt_pairs``, ``rejects`` (stage=extract).

Pages are extracted in mapInArrow tasks: ``docs`` rows come back to Spark; alt-text pairs and
rejects go to side files (``udfs.common.side_output``), written as their tables once the documents are
committed. A page stored with its HTML (``ingest.store_html``) is read from ``pages`` in small
batches; a page stored without it is read again from its WARC file: those pages are sorted by
file and offset, one task per file, and each file is streamed once (``udfs.extract.documents.reread_batches``).
When the run also ingests, ``jobs.ingest_extract`` does both in one pass instead. Document
rules only tag (``keep``, ``drop_reasons``); thresholds can be changed later without extracting again.
"""
from __future__ import annotations

from functools import partial
from pathlib import Path

from jobs.runtime import ARROW_BATCH_BYTES, RunContext, arrow_batch_rows, fail
from jobs.stage import Stage
from jobs.tables import read_table, side_folder, write_side_tables, write_table
from schemas.docs import ALT_PAIRS, DOCS
from schemas.pages import PAGES
from schemas.rejects import REJECTS
from udfs.extract.documents import PAGE_COLUMNS, POINTER_COLUMNS, extract_batches, reread_batches
from udfs.extract.documents import STAGE as NAME

POINTER_BATCH_ROWS = 64  # pages without HTML per Arrow batch into Python (small rows, each a whole extraction)


def check(ctx: RunContext) -> None:
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


def work(spark, ctx: RunContext) -> dict:
    from pyspark.sql import functions as F

    side_dir = side_folder(ctx, NAME)
    pages = read_table(spark, PAGES, ctx)
    with_html = pages.where(F.col("html").isNotNull())
    pointers = pages.where(F.col("html").isNull()).select(*POINTER_COLUMNS)
    n_files = pointers.select("warc_filename").distinct().count()
    docs = with_html.select(*PAGE_COLUMNS).mapInArrow(
        partial(extract_batches, config=ctx.config, side_dir=side_dir), DOCS.spark())
    if n_files:
        docs = docs.unionByName(
            pointers.repartitionByRange(n_files, "warc_filename").sortWithinPartitions("warc_filename",
                                                                                     "warc_record_offset")
            .mapInArrow(partial(reread_batches, config=ctx.config, side_dir=side_dir), DOCS.spark()))
    stored = with_html.limit(1).count() > 0
    # HTML read from pages: a batch holds at most a few of the largest pages ingest keeps
    rows = max(1, ARROW_BATCH_BYTES // ctx.config.ingest.max_html_bytes) if stored else POINTER_BATCH_ROWS
    with arrow_batch_rows(spark, rows):
        write_table(docs, DOCS, ctx)
    write_side_tables(spark, ctx, side_dir, {"alt_pair": ALT_PAIRS}, reject_stages=(NAME,))
    return counts(spark, ctx, pages.count())


def counts(spark, ctx: RunContext, input_rows: int) -> dict:
    from pyspark.sql import functions as F

    docs = read_table(spark, DOCS, ctx)
    drop_reasons = dict(docs.select(F.explode("drop_reasons").alias("r")).groupBy("r").count().collect())
    node_drops = dict(docs.select(F.explode("node_drops")).groupBy("key").agg(F.sum("value")).collect())
    return dict(
        input_rows=input_rows,
        output_rows=docs.count(),
        mode=ctx.config.extract.mode,
        kept_docs=docs.where("keep").count(),
        alt_pairs=read_table(spark, ALT_PAIRS, ctx).count(),
        drop_reasons=dict(sorted(drop_reasons.items(), key=lambda kv: -kv[1])),
        node_drops=dict(sorted(((k, int(v)) for k, v in node_drops.items()), key=lambda kv: -kv[1])),
    )


STAGE = Stage(NAME, "pages to interleaved documents (tagged with every document signal) and alt-text pairs",
              reads=(PAGES.name,), writes=(DOCS.name, ALT_PAIRS.name, REJECTS.name), work=work, check=check)
run, main = STAGE.run, STAGE.main


if __name__ == "__main__":
    main()
