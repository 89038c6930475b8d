"""Report: ``_stats/<stage>.json`` and the run's tables → ``RUN_DIR/report.html`` (one
self-contained page: funnel, distributions, timings) and ``RUN_DIR/_stats/summary.json``.

Histograms are computed in Spark (bin counts only reach the driver); tables a run has not
written are reported as absent, plots without data say so.
"""
from __future__ import annotations

import json

from jobs.runtime import RunContext
from jobs.stage import Stage
from jobs.tables import read_documents, read_table, written
from schemas.archived_images import ARCHIVED_IMAGES
from schemas.clip import CLIP_SCORES
from schemas.curate import OBELICS, PAIRS
from schemas.docs import ALT_PAIRS, DOCS
from schemas.docs_dedup import DOCS_DEDUP
from schemas.duplicates import DUPLICATES
from schemas.images import IMAGES
from schemas.mmc4 import MMC4
from schemas.pages import PAGES
from udfs.common import storage
from schemas.rejects import REJECTS
from udfs.report.report_html import Bars, Histogram, page, samples_section

NAME = "report"
SAMPLE_DOCS, SAMPLE_PAIRS, SAMPLE_IMAGES = 3, 6, 8  # documents and pairs shown; images per document
REPORTED_TABLES = (PAGES, ARCHIVED_IMAGES, DOCS, ALT_PAIRS, DOCS_DEDUP, DUPLICATES, IMAGES, CLIP_SCORES, MMC4, PAIRS,
                   OBELICS)


def stage_stats(ctx: RunContext) -> dict[str, dict]:
    """The stats each stage wrote, in pipeline order."""
    from jobs.registry import NAMES  # the registry lists this module's stage too

    found = {}
    for stage in NAMES:
        path = ctx.path(f"_stats/{stage}.json")
        if stage != NAME and storage.exists(path, ctx.config.storage):
            found[stage] = json.loads(storage.read_bytes(path, ctx.config.storage))
    return found


def histogram(df, column, title: str, xlabel: str, lo: float, hi: float, bins: int = 40,
              log_x: bool = False) -> Histogram:
    """Counts of ``column`` in ``bins`` equal bins on [lo, hi] (log-spaced with ``log_x``);
    values outside are counted in the end bins."""
    import math

    from pyspark.sql import functions as F

    value = F.log10(F.col(column)) if log_x else F.col(column)
    low, high = (math.log10(lo), math.log10(hi)) if log_x else (lo, hi)
    index = F.least(F.greatest(F.floor((value - low) / ((high - low) / bins)), F.lit(0)), F.lit(bins - 1))
    counts = dict(df.where(F.col(column).isNotNull() & ((F.col(column) > 0) if log_x else F.lit(True)))
                  .select(index.cast("int").alias("b")).groupBy("b").count().collect())
    edges = [low + i * (high - low) / bins for i in range(bins + 1)]
    return Histogram(title, xlabel, [10 ** e for e in edges] if log_x else edges,
                     [counts.get(i, 0) for i in range(bins)], log_x)


def charts(spark, ctx: RunContext, present: set[str]) -> list:
    from pyspark.sql import functions as F

    def table(t):
        return read_table(spark, t, ctx)

    out = []
    docs = table(DOCS) if DOCS.name in present else None
    out.append(histogram(docs, "lang_score", "Language-id score of documents", "lid.176 score", 0, 1)
               if docs is not None else Histogram("Language-id score of documents", "", [0, 1], [0]))
    out.append(histogram(docs, "n_words", "Words per document (kept text)", "words", 1, 100_000, log_x=True)
               if docs is not None else Histogram("Words per document", "", [1, 2], [0]))
    ok = table(IMAGES).where("status = 'ok'") if IMAGES.name in present else None
    out.append(histogram(ok.select(F.least("width", "height").alias("side")), "side",
                         "Image size (shorter side, images fetched ok)", "pixels", 1, 10_000, log_x=True)
               if ok is not None else Histogram("Image size", "", [1, 2], [0]))
    out.append(histogram(table(CLIP_SCORES), "similarity", "CLIP score (image vs alt text and nearby text)",
                         "cosine similarity", -0.2, 0.6) if CLIP_SCORES.name in present
               else Histogram("CLIP score", "", [0, 1], [0]))
    kinds = dict(table(DUPLICATES).groupBy("kind").count().collect()) if DUPLICATES.name in present else {}
    out.append(Bars("Duplicates by kind", dict(sorted(kinds.items(), key=lambda kv: -kv[1]))))
    return out


def samples(spark, ctx: RunContext, present: set[str]) -> str:
    """A few kept documents (the most curated table there is) with their stored images, kept pairs
    and rejected ones: the same ones on every run of the same tables (by hash, not at random)."""
    from pyspark.sql import functions as F

    docs = read_table(spark, OBELICS, ctx) if OBELICS.name in present else read_documents(spark, ctx)[0]
    chosen = [r.asDict() for r in docs.select("doc_id", "url", "texts", "images")
              .orderBy(F.xxhash64("doc_id")).limit(SAMPLE_DOCS).collect()]
    wanted = {u for d in chosen for u in [u for u in d["images"] if u][:SAMPLE_IMAGES]}
    stored = {}
    if IMAGES.name in present and wanted:
        stored = dict(read_table(spark, IMAGES, ctx).where(F.col("image_url").isin(sorted(wanted)))
                      .where("status = 'ok'").select("image_url", "image_bytes").collect())
    for doc in chosen:
        doc["thumbnails"] = stored
    kept = []
    if PAIRS.name in present:
        pairs = read_table(spark, PAIRS, ctx).orderBy(F.xxhash64("uid")).limit(SAMPLE_PAIRS)
        images = read_table(spark, IMAGES, ctx).select(F.col("sha256"), F.col("image_bytes").alias("image"))
        kept = [r.asDict() for r in pairs.join(images.dropDuplicates(["sha256"]), "sha256", "left")
                .select("url", "text", "clip_score", "image").orderBy("url").collect()]
    rejected = [r.asDict() for r in read_table(spark, REJECTS, ctx).where("stage = 'curate'")
                .orderBy(F.xxhash64("key")).limit(SAMPLE_PAIRS).select("reason", "detail").collect()]
    return samples_section(chosen, kept, rejected)


def work(spark, ctx: RunContext) -> dict:
    stats = stage_stats(ctx)
    present = {t.name for t in REPORTED_TABLES if written(t, ctx)}
    tables = {t.name: read_table(spark, t, ctx).count() for t in REPORTED_TABLES if t.name in present}
    ctx.write_text("report.html", page(ctx.run_dir, stats, tables, charts(spark, ctx, present),
                                       samples(spark, ctx, present)))
    summary = {"run_dir": ctx.run_dir, "run_date": ctx.run_date, "tables": tables,
               "stages": {s: {k: v.get(k) for k in ("input_rows", "output_rows", "seconds", "balanced", "skipped")}
                          | {"rejected": sum((v.get("rejected") or {}).values())} for s, v in stats.items()},
               "balanced": all(v.get("balanced", True) for v in stats.values()),
               "images_by_source": stats.get("images", {}).get("image_sources", {})}
    ctx.write_text("_stats/summary.json", json.dumps(summary, indent=2, default=str))
    return dict(input_rows=len(stats), output_rows=len(stats), rejected={}, report=ctx.path("report.html"),
                stages_reported=list(stats))


STAGE = Stage(NAME, "report.html and _stats/summary.json from every stage's stats and tables",
              reads=tuple(t.name for t in REPORTED_TABLES), writes=(), work=work)
run, main = STAGE.run, STAGE.main


if __name__ == "__main__":
    main()
