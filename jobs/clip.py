"""CLIP: ``images`` (ok), ``alt_pairs`` and ``docs_dedup`` (else kept ``docs``) →
``clip_embeddings``, ``clip_scores``, ``rejects`` (stage=clip).

The weights are checked on the driver first: when they cannot be loaded the run stops with one
message saying how to point at a checkpoint, or, with ``clip.required: false``, the stage is
skipped and says so. Each distinct image (by sha256) and each distinct text is embedded once
(``udfs.clip.clip_batches`` on the executors' GPU or CPU); pairs are scored in Spark as dot products
of the L2-normalised embeddings: each image against its alt text and against the text blocks
within ``clip.paragraph_window`` positions of it in its document.
"""
from __future__ import annotations

from jobs.embedding import check_weights, embed, image_inputs, text_key
from jobs.runtime import RunContext
from jobs.stage import Stage, write_by_kind
from jobs.tables import read_documents, read_table, write_table
from schemas.clip import CLIP_EMBEDDINGS, CLIP_SCORES
from schemas.docs import ALT_PAIRS, DOCS
from schemas.docs_dedup import DOCS_DEDUP
from schemas.images import IMAGES
from schemas.rejects import REJECTS
from udfs.clip.clip_batches import STAGE as NAME
from udfs.clip.clip_batches import image_embedding_batches, text_embedding_batches
from udfs.clip.clip_model import ModelSpec


def scored_pairs(spark, ctx: RunContext):
    """(doc_id, image_url, image_sha256, text, text_index, text_kind) for every pair to score."""
    from pyspark.sql import functions as F

    window = ctx.config.clip.paragraph_window
    alt = read_table(spark, ALT_PAIRS, ctx).select(
        "doc_id", "image_url", F.col("alt_text").alias("text"), F.lit(None).cast("int").alias("text_index"),
        F.lit("alt_text").alias("text_kind"))
    docs, _ = read_documents(spark, ctx)
    images = docs.select("doc_id", "texts", F.posexplode("images").alias("i", "image_url")) \
        .where(F.col("image_url").isNotNull())
    near = images.select("doc_id", "image_url", "texts", F.explode(F.sequence(
        F.greatest(F.col("i") - window, F.lit(0)), F.least(F.col("i") + window, F.size("texts") - 1))).alias("j"))
    paragraphs = near.select("doc_id", "image_url", F.element_at("texts", F.col("j") + 1).alias("text"),
                             F.col("j").cast("int").alias("text_index"), F.lit("paragraph").alias("text_kind")) \
        .where(F.col("text").isNotNull())
    ok = read_table(spark, IMAGES, ctx).where("status = 'ok'").select("image_url", F.col("sha256").alias("image_sha256"))
    return alt.unionByName(paragraphs).where(F.length("text") > 0).join(ok, "image_url") \
        .withColumn("text_key", text_key("text"))


def work(spark, ctx: RunContext) -> dict:
    from pyspark import StorageLevel
    from pyspark.sql import functions as F

    pairs = scored_pairs(spark, ctx).persist(StorageLevel.DISK_ONLY)
    images = image_inputs(spark, ctx)
    texts = pairs.select(F.col("text_key").alias("key"), "text").dropDuplicates(["key"])
    n_images, n_texts = images.count(), texts.count()
    rows = (embed(images, image_embedding_batches, ctx, n_images)
            .unionByName(embed(texts, text_embedding_batches, ctx, n_texts)))
    write_by_kind(spark, ctx, NAME, [(rows, {"embedding": CLIP_EMBEDDINGS})])
    embeddings = read_table(spark, CLIP_EMBEDDINGS, ctx)
    image_vectors = embeddings.where("modality = 'image'").select(
        F.col("key").alias("image_sha256"), F.col("embedding").alias("a"), "model")
    text_vectors = embeddings.where("modality = 'text'").select(F.col("key").alias("text_key"),
                                                                F.col("embedding").alias("b"))
    dot = F.aggregate(F.zip_with("a", "b", lambda x, y: x * y), F.lit(0.0), lambda acc, v: acc + v)
    scores = pairs.join(image_vectors, "image_sha256").join(text_vectors, "text_key") \
        .withColumn("similarity", dot.cast("float"))
    write_table(scores, CLIP_SCORES, ctx)
    pairs.unpersist()
    written = read_table(spark, CLIP_SCORES, ctx)
    return dict(
        input_rows=n_images + n_texts, output_rows=embeddings.count(),
        images_embedded=embeddings.where("modality = 'image'").count(), texts_embedded=n_texts,
        scores=written.count(), scores_by_kind=dict(written.groupBy("text_kind").count().collect()),
        model=ModelSpec.from_settings(ctx.config.clip).label)


STAGE = Stage(NAME, "CLIP embeddings of every image and text once, and scores of each image against its texts",
              reads=(IMAGES.name, ALT_PAIRS.name, DOCS_DEDUP.name, DOCS.name),
              writes=(CLIP_EMBEDDINGS.name, CLIP_SCORES.name, REJECTS.name), work=work, check=check_weights)
run, main = STAGE.run, STAGE.main


if __name__ == "__main__":
    main()
