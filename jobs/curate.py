"""Curate: the tags of earlier stages → ``pairs`` and ``obelics``, ``rejects`` (stage=curate).

Cheap and rerunnable (``python -m jobs.curate --output RUN_DIR --set curate.clip_threshold=0.3``):
it reads ``alt_pairs``, ``images``, ``clip_scores``, ``clip_embeddings`` and the documents, and
writes only its own tables. Pairs go through, in order: DataComp's basic rules (image fetched
and sized, caption words, characters, language), the CLIP score (absolute threshold, or the
run's top fraction by ``percentile_approx``), the NSFW head (when configured), k-means clusters
(tag; reference clusters and per-cluster caps when configured), MetaCLIP balancing (last, when
configured), and spaCy signals for the pairs kept. Every pair dropped is a reject with the first
rule it failed. Documents lose the
images that did not fetch or fail OBELICS's size rules.
"""
from __future__ import annotations

import io
from functools import partial

import pyarrow as pa

from jobs.embedding import text_key
from jobs.runtime import RunContext, fail
from jobs.stage import Stage, write_by_kind
from jobs.tables import read_documents, read_table, with_image_rows, written
from schemas.clip import CLIP_EMBEDDINGS, CLIP_SCORES
from schemas.curate import OBELICS, OBELICS_ROWS, PAIRS, TAGGED_PAIRS
from schemas.docs import ALT_PAIRS, DOCS
from schemas.docs_dedup import DOCS_DEDUP
from schemas.images import IMAGES
from schemas.rejects import REJECTS
from udfs.common import storage
from udfs.curate.curate_batches import STAGE as NAME
from udfs.curate.curate_batches import (balance_batches, final_batches, signal_batches, tag_batches,
                                  train_batches, vector_batches)


def check(ctx: RunContext) -> None:
    """Stop before Spark when what the settings ask for cannot be loaded: spaCy (signals), the
    NSFW head, the MetaCLIP entry list."""
    from udfs.curate.curate_batches import metadata
    from udfs.curate.nsfw import load_head
    from udfs.common.spacy_pipelines import SpacyUnavailable, pipeline

    curate = ctx.config.curate
    try:
        if curate.signals:
            pipeline("tagger", ctx.config.nlp.spacy_model)
        if curate.nsfw_head:
            load_head(curate.nsfw_head, ctx.config.storage)
        metadata(ctx.config)
    except SpacyUnavailable as exc:
        fail(f"{exc} (or set curate.signals=false)")
    except (OSError, ValueError, KeyError) as exc:
        fail(f"curate: cannot load {type(exc).__name__}: {exc}")


def fail_where(rows, condition, reason: str, detail=None):
    """``rows`` with ``reason`` set where it is still null and ``condition`` holds."""
    from pyspark.sql import functions as F

    hit = F.col("reason").isNull() & condition
    rows = rows.withColumn("detail", F.when(hit, detail if detail is not None else F.col("url"))
                           .otherwise(F.col("detail")))
    return rows.withColumn("reason", F.when(hit, F.lit(reason)).otherwise(F.col("reason")))


def tagged_pairs(spark, ctx: RunContext):
    """Every alt-text pair with its image row and CLIP score, tagged (``udfs.curate.curate_batches``)."""
    from pyspark.sql import functions as F

    images = read_table(spark, IMAGES, ctx).select("image_url", "status", "sha256", "width", "height")
    scores = (read_table(spark, CLIP_SCORES, ctx).where("text_kind = 'alt_text'")
              .groupBy("doc_id", "image_url", "text_key")  # the score of this pair's own caption
              .agg(F.max("similarity").alias("clip_score"), F.first("model").alias("model")))
    pairs = (read_table(spark, ALT_PAIRS, ctx).select("doc_id", "image_url", "alt_text", "page_url")
             .withColumn("text_key", text_key("alt_text"))
             .join(images, "image_url", "left").join(scores, ["doc_id", "image_url", "text_key"], "left")
             .drop("text_key"))
    return pairs.mapInArrow(partial(tag_batches, config=ctx.config), TAGGED_PAIRS.spark())


def clip_threshold(rows, curate) -> float:
    """The absolute threshold, or the score above which the run's top ``clip_top_fraction`` lies."""
    from pyspark.sql import functions as F

    if curate.clip_top_fraction is None:
        return curate.clip_threshold
    value = rows.where(F.col("clip_score").isNotNull()).agg(
        F.percentile_approx("clip_score", 1 - curate.clip_top_fraction, 10_000)).first()[0]
    return float(value) if value is not None else curate.clip_threshold


def image_vectors(spark, ctx: RunContext, rows):
    """(key, embedding) of the images of the pairs that pass so far, under their CLIP model."""
    from pyspark.sql import functions as F

    keys = rows.where(F.col("reason").isNull() & F.col("sha256").isNotNull()).select(
        F.col("sha256").alias("key"), "model").distinct()
    embeddings = (read_table(spark, CLIP_EMBEDDINGS, ctx).where("modality = 'image' AND embedding IS NOT NULL")
                  .select("key", "model", "embedding"))
    return keys.join(embeddings, ["key", "model"]).select("key", "embedding").dropDuplicates(["key"])


def with_nsfw(spark, ctx: RunContext, rows):
    from pyspark.sql import functions as F

    from udfs.curate.nsfw import load_head, scores

    curate = ctx.config.curate
    layers = load_head(curate.nsfw_head, ctx.config.storage)  # on the driver first: a bad file stops the run here
    scored = image_vectors(spark, ctx, rows).mapInArrow(
        partial(vector_batches, score=partial(scores, layers=layers), name="nsfw_score", dtype=pa.float32()),
        "key string, nsfw_score float")
    rows = rows.drop("nsfw_score").join(scored.withColumnRenamed("key", "sha256"), "sha256", "left")
    if curate.max_nsfw is not None:
        rows = fail_where(rows, F.col("nsfw_score") > curate.max_nsfw, "nsfw")
    return rows


def with_clusters(spark, ctx: RunContext, rows) -> tuple[object, dict]:
    """``rows`` with ``cluster_id``, and the reference and per-cluster-cap rules applied."""
    import numpy as np
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    from udfs.curate.clusters import assign, nearest_clusters

    clusters = ctx.config.curate.clusters
    vectors = image_vectors(spark, ctx, rows).cache()
    sample = vectors.orderBy(F.xxhash64("key", F.lit(clusters.seed))).limit(clusters.sample).repartition(1)
    trained = sorted(sample.mapInArrow(partial(train_batches, k=clusters.k, iterations=clusters.iterations,
                                               seed=clusters.seed), "cluster_id int, centroid array<float>").collect())
    info: dict = {"clusters_k": len(trained)}
    if not trained:
        vectors.unpersist()
        return rows, info
    centroids = np.array([r["centroid"] for r in trained], dtype=np.float32)
    shared = spark.sparkContext.broadcast(centroids)
    assigned = vectors.mapInArrow(
        partial(vector_batches, score=lambda m: assign(m, shared.value)[0], name="cluster_id", dtype=pa.int32()),
        "key string, cluster_id int")
    rows = rows.drop("cluster_id").join(assigned.withColumnRenamed("key", "sha256"), "sha256", "left")
    if clusters.reference:
        reference = np.load(io.BytesIO(storage.read_bytes(clusters.reference, ctx.config.storage)))
        keep = sorted(nearest_clusters(reference, centroids))
        info["reference_clusters"] = len(keep)
        rows = fail_where(rows, ~F.col("cluster_id").isin(keep) | F.col("cluster_id").isNull(),
                          "cluster_not_near_reference")
    if clusters.max_per_cluster:
        passing = F.col("reason").isNull()
        rank = F.row_number().over(Window.partitionBy("cluster_id", passing)
                                   .orderBy(F.desc_nulls_last("clip_score"), "uid"))
        rows = rows.withColumn("_rank", F.when(passing & F.col("cluster_id").isNotNull(), rank))
        rows = fail_where(rows, F.col("_rank") > clusters.max_per_cluster, "cluster_cap").drop("_rank")
    vectors.unpersist()
    return rows, info


def without_repeats(rows):
    """Of the pairs passing so far that share a ``uid`` (the same image and caption on several
    pages), one stays: the highest CLIP score, then the smallest doc_id; the others fail with
    ``duplicate_pair``, so ``pairs`` holds each uid once, as DataComp's pools do."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    passing = F.col("reason").isNull()
    first = Window.partitionBy("uid", passing).orderBy(F.desc_nulls_last("clip_score"), "doc_id", "page_url")
    rows = rows.withColumn("_rank", F.when(passing, F.row_number().over(first)))
    return fail_where(rows, F.col("_rank") > 1, "duplicate_pair",
                      F.concat_ws(" ", F.lit("also on"), F.col("page_url"))).drop("_rank")


def metaclip_balanced(spark, ctx: RunContext, rows):
    """MetaCLIP's balancing over the pairs that pass so far."""
    from pyspark.sql import functions as F

    counts = dict(rows.where(F.col("reason").isNull()).select(F.explode("metaclip_ids").alias("entry"))
                  .groupBy("entry").count().collect())
    return rows.mapInArrow(partial(balance_batches, config=ctx.config, counts=counts), TAGGED_PAIRS.spark())


def curated_pairs(spark, ctx: RunContext, rows) -> tuple[object, dict]:
    """The tagged pairs ``rows`` with every rule applied (reason null: the pair is kept)."""
    from pyspark.sql import functions as F

    curate = ctx.config.curate
    info: dict = {}
    if written(CLIP_SCORES, ctx):
        threshold = clip_threshold(rows, curate)
        info["clip_threshold"] = round(threshold, 6)
        rows = fail_where(rows, F.col("clip_score").isNull(), "no_clip_score")
        rows = fail_where(rows, F.col("clip_score") < threshold, "clip_score_below_threshold",
                          F.concat_ws(" ", F.col("url"), F.format_number("clip_score", 4)))
    else:
        info["clip_threshold"] = "off: no clip_scores (the clip stage has not run)"
    if curate.nsfw_head:
        rows = with_nsfw(spark, ctx, rows)
    rows = without_repeats(rows)
    if curate.clusters.k > 0:
        rows, more = with_clusters(spark, ctx, rows)
        info.update(more)
    if curate.metaclip.balance:
        rows = metaclip_balanced(spark, ctx, rows)
    if curate.signals:  # last: spaCy runs only on the pairs that are kept
        rows = rows.mapInArrow(partial(signal_batches, config=ctx.config), TAGGED_PAIRS.spark())
    return rows, info


def final_documents(spark, ctx: RunContext):
    docs, source = read_documents(spark, ctx)
    with_refs = with_image_rows(spark, ctx, docs, ("status", "oriented_width", "oriented_height"))
    return with_refs.mapInArrow(partial(final_batches, config=ctx.config), OBELICS_ROWS.spark()), source


def as_rows(pairs):
    """Curated pairs as output rows: ``pair`` when kept, else a ``reject`` (key: the uid)."""
    from pyspark.sql import functions as F

    kept = F.col("reason").isNull()
    return pairs.select("*", F.when(kept, "pair").otherwise("reject").alias("row_kind"),
                        F.lit(NAME).alias("stage"), F.col("uid").alias("key"),
                        F.lit(None).cast("string").alias("warc_filename"),
                        F.lit(None).cast("long").alias("warc_record_offset"))


def work(spark, ctx: RunContext) -> dict:
    from pyspark import StorageLevel

    tagged = tagged_pairs(spark, ctx).persist(StorageLevel.DISK_ONLY)
    try:
        pairs, info = curated_pairs(spark, ctx, tagged)
        docs, source = final_documents(spark, ctx)
        write_by_kind(spark, ctx, NAME, [(as_rows(pairs), {"pair": PAIRS}), (docs, {"obelics": OBELICS})])
        n_pairs = tagged.count()
    finally:
        tagged.unpersist()
    n_docs = read_documents(spark, ctx)[0].count()
    written_pairs = read_table(spark, PAIRS, ctx).count()
    written_docs = read_table(spark, OBELICS, ctx).count()
    return dict(
        input_rows=n_pairs + n_docs, output_rows=written_pairs + written_docs,
        pairs_in=n_pairs, pairs=written_pairs, documents_in=n_docs, obelics=written_docs, source=source,
        nsfw=("scored" if ctx.config.curate.nsfw_head else "no head configured: nsfw_score is null"),
        metaclip=("balanced" if ctx.config.curate.metaclip.balance else "tagged only"), **info)


STAGE = Stage(NAME, "DataComp, CLIP-score, NSFW, cluster and MetaCLIP rules on pairs; documents' images sized",
              reads=(ALT_PAIRS.name, IMAGES.name, CLIP_SCORES.name, CLIP_EMBEDDINGS.name, DOCS_DEDUP.name, DOCS.name),
              writes=(PAIRS.name, OBELICS.name, REJECTS.name), work=work, check=check)
run, main = STAGE.run, STAGE.main


if __name__ == "__main__":
    main()
