"""Dedup: kept ``docs`` → ``duplicates``, ``rejects`` (stage=dedup): by normalised URL, then by
exact content, then by identical image sets (OBELICS), then near-duplicates (MinHash LSH,
verified Jaccard, connected components).

Every group keeps one representative: the newest ``fetch_time``, ties broken by the smallest
``doc_id``, so reruns give the same table. Near-duplicate components are computed in Spark by
iterative min-label propagation over the verified edges (no edges collected to the driver);
each bucket of a band key contributes a star to its smallest doc_id, not all pairs.
"""
from __future__ import annotations

import time
from functools import partial

from jobs.runtime import RunContext, stage_main
from jobs.stats import rejected_by_reason, write_stats
from jobs.tables import read_table, write_table
from schemas.docs import DOCS
from schemas.duplicates import DUPLICATES
from schemas.rejects import REJECTS
from schemas.table import spark_schema
from udfs.dedup_signatures import DOC_COLUMNS, KEYS_SCHEMA, keys_batches

STAGE = "dedup"
REASONS = {"url": "dup_url", "exact": "dup_exact", "image_set": "dup_image_set", "near": "dup_near"}


def _keep_first(df, group_col: str, kind: str):
    """Rows of ``df`` that lose to their group's representative, as duplicates rows."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    order = Window.partitionBy(group_col).orderBy(F.col("fetch_time").desc_nulls_last(), F.col("doc_id"))
    ranked = df.where(F.col(group_col).isNotNull()).withColumn("rank", F.row_number().over(order)) \
        .withColumn("kept_doc_id", F.first("doc_id").over(order))
    return ranked.where("rank > 1").select("doc_id", F.lit(kind).alias("kind"),
                                          F.col(group_col).alias("cluster_id"), "kept_doc_id")


def connected_components(spark, edges, max_iterations: int, checkpoint_every: int):
    """(doc_id, component) for every doc_id on an edge, component = smallest doc_id reachable.
    Iterative min-label propagation in Spark; returns the labels and the rounds it took."""
    from pyspark.sql import functions as F

    both = edges.select("src", "dst").union(edges.select(F.col("dst").alias("src"), F.col("src").alias("dst")))
    labels = both.groupBy("src").agg(F.least(F.min("dst"), F.first("src")).alias("label")) \
        .withColumnRenamed("src", "doc_id")
    for rounds in range(1, max_iterations + 1):
        incoming = both.join(labels.withColumnRenamed("doc_id", "src"), "src") \
            .groupBy(F.col("dst").alias("doc_id")).agg(F.min("label").alias("incoming"))
        updated = labels.join(incoming, "doc_id", "left") \
            .select("doc_id", F.least("label", F.coalesce("incoming", "label")).alias("label"))
        updated = updated.localCheckpoint() if rounds % checkpoint_every == 0 else updated.cache()
        changed = updated.join(labels.withColumnRenamed("label", "old"), "doc_id").where("label != old").count()
        labels.unpersist()
        labels = updated
        if changed == 0:
            return labels.withColumnRenamed("label", "component"), rounds
    raise RuntimeError(f"connected components did not converge in {max_iterations} rounds "
                       "(raise dedup.max_iterations)")


def near_duplicates(spark, keys, settings):
    """Duplicates rows for near-duplicate components among ``keys``, and the rounds it took."""
    from pyspark.sql import functions as F

    buckets = keys.select("doc_id", F.explode("band_keys").alias("band_key"))
    stars = buckets.groupBy("band_key").agg(F.min("doc_id").alias("src"), F.collect_set("doc_id").alias("members"))
    candidates = stars.select("src", F.explode("members").alias("dst")).where("src != dst").distinct()
    shingles = keys.select("doc_id", "shingle_hashes")
    verified = (candidates
                .join(shingles.withColumnRenamed("doc_id", "src").withColumnRenamed("shingle_hashes", "a"), "src")
                .join(shingles.withColumnRenamed("doc_id", "dst").withColumnRenamed("shingle_hashes", "b"), "dst")
                .withColumn("jaccard", F.size(F.array_intersect("a", "b")) / F.size(F.array_union("a", "b")))
                .where(F.col("jaccard") >= settings.near_threshold)
                .select("src", "dst"))
    components, rounds = connected_components(spark, verified, settings.max_iterations, settings.checkpoint_every)
    members = components.join(keys.select("doc_id", "fetch_time"), "doc_id")
    return _keep_first(members, "component", "near"), rounds


def run(spark, ctx: RunContext) -> dict:
    from pyspark.sql import functions as F

    started = time.perf_counter()
    settings = ctx.config.dedup
    docs = read_table(spark, DOCS, ctx).where("keep").select(*DOC_COLUMNS)
    keys = docs.mapInArrow(partial(keys_batches, settings=ctx.config), spark_schema(KEYS_SCHEMA)).cache()
    try:
        by_url = _keep_first(keys, "norm_url", "url").cache()
        remaining = keys.join(by_url.select("doc_id"), "doc_id", "left_anti")
        by_content = _keep_first(remaining, "content_hash", "exact").cache()
        remaining = remaining.join(by_content.select("doc_id"), "doc_id", "left_anti")
        by_images = _keep_first(remaining, "image_set_hash", "image_set").cache()
        remaining = remaining.join(by_images.select("doc_id"), "doc_id", "left_anti").cache()
        by_near, rounds = near_duplicates(spark, remaining, settings)
        duplicates = by_url.unionByName(by_content).unionByName(by_images).unionByName(by_near)
        write_table(duplicates, DUPLICATES, ctx)
        written = read_table(spark, DUPLICATES, ctx)
        reason = F.create_map(*[F.lit(x) for kv in REASONS.items() for x in kv])[F.col("kind")]
        rejects = written.select(F.lit(STAGE).alias("stage"), reason.alias("reason"), F.col("doc_id").alias("key"),
                                 F.lit(None).cast("string").alias("warc_filename"),
                                 F.lit(None).cast("long").alias("warc_record_offset"),
                                 F.concat(F.lit("duplicate of "), F.col("kept_doc_id")).alias("detail"))
        write_table(rejects, REJECTS, ctx, partition={"stage": STAGE})
        input_rows = keys.count()
    finally:
        keys.unpersist()
    rejected = rejected_by_reason(spark, ctx, STAGE)
    return write_stats(ctx, STAGE, input_rows=input_rows, output_rows=input_rows - sum(rejected.values()),
                       rejected=rejected, seconds=time.perf_counter() - started,
                       component_rounds=rounds, bands=settings.bands, rows=settings.rows,
                       near_threshold=settings.near_threshold)


def main(argv=None) -> None:
    stage_main(STAGE, run, argv)


if __name__ == "__main__":
    main()
