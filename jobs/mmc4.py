"""MMC4: ``docs_dedup`` (else kept ``docs``), ``images``, ``clip_embeddings`` → ``mmc4``,
``rejects`` (stage=mmc4); sentence embeddings are added to ``clip_embeddings``.

Each document's text is split into sentences (spaCy) and its images narrowed to MMC4's
candidates. Sentences (and candidate images) that the current CLIP weights have not embedded
yet are embedded by the clip stage's tasks (on the clip GPU profile when there is one) and
appended to ``clip_embeddings``, so a rerun embeds nothing again. Then per document: the
images x sentences similarity matrix, MMC4's threshold and linear assignment, the core flag.
"""
from __future__ import annotations

from functools import partial

from jobs.embedding import check_weights, embed, image_inputs, text_key
from jobs.runtime import RunContext, fail
from jobs.stage import Stage, write_by_kind
from jobs.tables import read_documents, read_table, with_image_rows, write_table
from schemas.clip import CLIP_EMBEDDINGS
from schemas.docs import DOCS
from schemas.docs_dedup import DOCS_DEDUP
from schemas.duplicates import DUPLICATES
from schemas.images import IMAGES
from schemas.mmc4 import MMC4, MMC4_PREPARED, MMC4_ROWS
from schemas.rejects import REJECTS
from udfs.clip.clip_batches import image_embedding_batches, text_embedding_batches
from udfs.clip.clip_model import ModelSpec
from udfs.mmc4.mmc4_batches import STAGE as NAME
from udfs.mmc4.mmc4_batches import prepare_batches, retrofit_batches
from udfs.common.spacy_pipelines import SpacyUnavailable, pipeline

RETROFIT_BATCH_ROWS = 128  # documents per Arrow batch, each with its sentence and image embeddings


def check(ctx: RunContext) -> str | None:
    """None when the CLIP weights and the sentence splitter load; else why CLIP is unavailable
    (the stage is skipped). Stops the run when CLIP is required or spaCy is missing."""
    skipped = check_weights(ctx)
    if skipped is None:
        try:
            pipeline(ctx.config.mmc4.sentences, ctx.config.nlp.spacy_model)
        except SpacyUnavailable as exc:
            fail(str(exc))
    return skipped


def documents_with_images(spark, ctx: RunContext):
    """The documents, each with its images' ``images`` rows (``image_refs``, page order), and
    the table they come from."""
    docs, source = read_documents(spark, ctx)
    columns = docs.select("doc_id", "url", "texts", "images", "lang", "general_metadata.warc_filename",
                          "general_metadata.warc_record_offset")
    refs = ("status", "format", "oriented_width", "oriented_height", "phash", "sha256")
    return with_image_rows(spark, ctx, columns, refs).drop("images"), source


def url_duplicates(spark, ctx: RunContext, docs):
    """doc_id → could_have_url_duplicate (true only): documents whose normalised URL another
    document of the input shares, or whose URL duplicates dedup removed."""
    from pyspark.sql import functions as F

    from udfs.common.url_normalize import normalize_series

    normalized = docs.select("doc_id", F.pandas_udf(normalize_series, "string")("url").alias("norm_url"))
    shared = normalized.groupBy("norm_url").count().where("count > 1").select("norm_url")
    removed = read_table(spark, DUPLICATES, ctx).where("kind = 'url'").select(F.col("kept_doc_id").alias("doc_id"))
    return (normalized.join(shared, "norm_url").select("doc_id").union(removed).distinct()
            .withColumn("could_have_url_duplicate", F.lit(True)))


def embed_missing(spark, ctx: RunContext, sentences, images, model: str) -> dict[str, int]:
    """Embed the sentences (key, text) and candidate images (key) that ``clip_embeddings`` has
    no row for under ``model``, and append them; how many of each."""
    from pyspark import StorageLevel
    from pyspark.sql import functions as F

    have = read_table(spark, CLIP_EMBEDDINGS, ctx).where(F.col("model") == model).select("key", "modality")
    texts = (sentences.dropDuplicates(["key"])
             .join(have.where("modality = 'text'"), "key", "left_anti").persist(StorageLevel.DISK_ONLY))
    pictures = (images.distinct().join(have.where("modality = 'image'"), "key", "left_anti")
                .join(image_inputs(spark, ctx), "key").persist(StorageLevel.DISK_ONLY))
    counts = {"sentences_embedded": texts.count(), "images_embedded": pictures.count()}
    if any(counts.values()):
        rows = (embed(texts, text_embedding_batches, ctx, counts["sentences_embedded"])
                .unionByName(embed(pictures, image_embedding_batches, ctx, counts["images_embedded"])))
        write_table(rows.where(F.col("row_kind") == "embedding"), CLIP_EMBEDDINGS, ctx, append=True)
    texts.unpersist()
    pictures.unpersist()
    return counts


def vectors(embeddings, items, index: str, name: str):
    """doc_id → ``name``: list<struct<index, embedding>> of the items (doc_id, index, key)."""
    from pyspark.sql import functions as F

    return (items.join(embeddings, "key").groupBy("doc_id")
            .agg(F.collect_list(F.struct(index, "embedding")).alias(name)))


def work(spark, ctx: RunContext) -> dict:
    from pyspark import StorageLevel
    from pyspark.sql import functions as F

    model = ModelSpec.from_settings(ctx.config.clip).label
    docs, source = documents_with_images(spark, ctx)
    prepared = (docs.mapInArrow(partial(prepare_batches, config=ctx.config), MMC4_PREPARED.spark())
                .persist(StorageLevel.DISK_ONLY))
    n_docs = prepared.count()
    documents = prepared.where(F.col("row_kind") == "document").drop("row_kind", "stage", "reason", "key", "detail")
    with_images = documents.where(F.size("candidates") > 0)
    sentences = (with_images.select("doc_id", F.posexplode("text_list").alias("i", "text"))
                 .withColumn("key", text_key("text")))
    images = with_images.select("doc_id", F.explode("candidates").alias("c")).select(
        "doc_id", F.col("c.position").alias("position"), F.col("c.image_sha256").alias("key"))
    embedded = embed_missing(spark, ctx, sentences.select("key", "text"), images.select("key"), model)

    embeddings = read_table(spark, CLIP_EMBEDDINGS, ctx).where(F.col("model") == model)
    texts = embeddings.where("modality = 'text'").select("key", "embedding")
    pictures = embeddings.where("modality = 'image'").select("key", "embedding")
    complete = (documents.join(url_duplicates(spark, ctx, documents), "doc_id", "left")
                .join(vectors(texts, sentences.select("doc_id", "i", "key"), "i", "sentence_vectors"), "doc_id", "left")
                .join(vectors(pictures, images, "position", "image_vectors"), "doc_id", "left"))
    rows = complete.mapInArrow(partial(retrofit_batches, config=ctx.config, model=model), MMC4_ROWS.spark())
    try:
        write_by_kind(spark, ctx, NAME, [(rows, {"mmc4": MMC4})],
                      rejects=prepared.where(F.col("row_kind") == "reject"), batch_rows=RETROFIT_BATCH_ROWS)
    finally:
        prepared.unpersist()
    written = read_table(spark, MMC4, ctx)
    totals = written.agg(F.count(F.lit(1)).alias("docs"), F.sum(F.col("core").cast("int")).alias("core"),
                         F.sum("n_images").alias("images"), F.sum("n_sentences").alias("sentences")).first()
    dropped = dict(written.select(F.explode("dropped_images.reason").alias("reason")).groupBy("reason").count()
                   .collect())
    return dict(
        input_rows=n_docs, output_rows=totals["docs"], source=source, model=model, sentence_splitter=ctx.config.mmc4.sentences,
        core=int(totals["core"] or 0), images_placed=int(totals["images"] or 0),
        sentences=int(totals["sentences"] or 0), images_dropped=dict(sorted(dropped.items(), key=lambda kv: -kv[1])),
        **embedded)


STAGE = Stage(NAME, "MMC4's retrofitting: sentences x images similarity, threshold, linear assignment",
              reads=(DOCS_DEDUP.name, DOCS.name, IMAGES.name, CLIP_EMBEDDINGS.name, DUPLICATES.name),
              writes=(MMC4.name, CLIP_EMBEDDINGS.name, REJECTS.name), work=work, check=check)
run, main = STAGE.run, STAGE.main


if __name__ == "__main__":
    main()
