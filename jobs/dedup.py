"""Dedup: kept ``docs`` → ``docs_dedup``, ``duplicates``, ``dedup_index``, ``rejects`` (stage=dedup).

Which documents are kept is decided again here from their stored signals under this run's
settings (``jobs.tables.decided_documents``): a run of ``--stages dedup,...`` with other document
thresholds, languages or image counts gives what a whole new run would, without extracting again.

In order, as OBELICS: image URLs in more than ``dedup.max_image_url_docs`` documents are marked
for removal (logos); documents are grouped by normalised URL, then by exact content, then by
identical image sets, then by near-duplicate components (MinHash LSH, verified Jaccard,
connected components); the survivors lose paragraphs found in more than
``dedup.max_paragraph_docs`` documents of their registered domain and the frequent images, and
are written to ``docs_dedup`` (or rejected when nothing is left).

Every group keeps one representative: a document of an earlier run (``dedup_index``) first,
then the newest ``fetch_time``, then the smallest ``doc_id``, so reruns give the same tables.
Near-duplicate components are computed in Spark by iterative min-label propagation over the
verified edges (no edges collected to the driver); each LSH bucket contributes a star to its
smallest doc_id, not all pairs.
"""
from __future__ import annotations

from functools import partial

from jobs.runtime import RunContext, local_checkpoint
from jobs.stage import Stage, write_by_kind
from jobs.tables import decided_documents, read_table, write_table
from schemas.dedup_index import DEDUP_INDEX
from schemas.dedup_rows import DEDUP_ROWS
from schemas.docs import DOCS
from schemas.docs_dedup import DOCS_DEDUP
from schemas.duplicates import DUPLICATES
from schemas.rejects import REJECTS
from udfs.common import storage
from schemas.dedup_keys import DEDUP_KEYS
from udfs.dedup.dedup_signatures import DOC_COLUMNS, keys_batches, minhash_params, source_file
from udfs.dedup.repeated_content import INPUT_COLUMNS, cleanup_batches
from udfs.dedup.repeated_content import STAGE as NAME

REASONS = {"url": "dup_url", "exact": "dup_exact", "image_set": "dup_image_set", "near": "dup_near"}
SMALL_COLUMNS = ["doc_id", "indexed", "fetch_time", "norm_url", "content_hash", "image_set_hash"]
GROUP_COLUMNS = [*SMALL_COLUMNS, "band_keys", "signature", "shingle_hashes"]


def _losers(df, group_col: str, kind: str):
    """Rows of ``df`` (new documents only) that lose to their group's representative, as
    duplicates rows."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    order = Window.partitionBy(group_col).orderBy(F.col("indexed").desc(), F.col("fetch_time").desc_nulls_last(),
                                                  F.col("doc_id"))
    ranked = (df.where(F.col(group_col).isNotNull())
              .withColumn("rank", F.row_number().over(order))
              .withColumn("kept_doc_id", F.first("doc_id").over(order))
              .withColumn("against_index", F.first("indexed").over(order)))
    return ranked.where("rank > 1 AND NOT indexed").select(
        "doc_id", F.lit(kind).alias("kind"), F.col(group_col).cast("string").alias("cluster_id"), "kept_doc_id",
        "against_index")


def connected_components(spark, edges, max_iterations: int, checkpoint_every: int):
    """(doc_id, component) for every doc_id on an edge, component = smallest doc_id reachable.
    Iterative min-label propagation in Spark; returns the labels and the rounds it took."""
    from pyspark.sql import functions as F

    # the edges' lineage would otherwise be planned (and printed) again every round
    both = local_checkpoint(edges.select("src", "dst")
                            .union(edges.select(F.col("dst").alias("src"), F.col("src").alias("dst"))))
    labels = local_checkpoint(both.groupBy("src").agg(F.least(F.min("dst"), F.first("src")).alias("label"))
                              .withColumnRenamed("src", "doc_id"))
    for rounds in range(1, max_iterations + 1):
        incoming = both.join(labels.withColumnRenamed("doc_id", "src"), "src") \
            .groupBy(F.col("dst").alias("doc_id")).agg(F.min("label").alias("incoming"))
        updated = labels.join(incoming, "doc_id", "left") \
            .select("doc_id", F.least("label", F.coalesce("incoming", "label")).alias("label"))
        updated = local_checkpoint(updated) if rounds % checkpoint_every == 0 else updated.cache()
        changed = updated.join(labels.withColumnRenamed("label", "old"), "doc_id").where("label != old").count()
        labels.unpersist()
        labels = updated
        if changed == 0:
            return labels.withColumnRenamed("label", "component"), rounds
    raise RuntimeError(f"connected components did not converge in {max_iterations} rounds "
                       "(raise dedup.max_iterations)")


def _similarity(a, b):
    """Jaccard of two documents' shingle-hash sets; for a document of an earlier run (which keeps
    only its signature) the MinHash estimate, the share of equal signature values."""
    from pyspark.sql import functions as F

    exact = F.size(F.array_intersect(f"{a}.shingle_hashes", f"{b}.shingle_hashes")) \
        / F.size(F.array_union(f"{a}.shingle_hashes", f"{b}.shingle_hashes"))
    equal = F.zip_with(f"{a}.signature", f"{b}.signature", lambda x, y: F.when(x == y, 1).otherwise(0))
    estimate = F.aggregate(equal, F.lit(0), lambda acc, v: acc + v) / F.size(f"{a}.signature")
    both_new = F.col(f"{a}.shingle_hashes").isNotNull() & F.col(f"{b}.shingle_hashes").isNotNull()
    return F.when(both_new, exact).otherwise(estimate)


def near_duplicates(spark, keys, settings):
    """Duplicates rows for near-duplicate components among ``keys``, and the rounds it took.
    Buckets holding only earlier runs' documents are skipped: those were deduplicated already."""
    from pyspark.sql import functions as F

    buckets = keys.select("doc_id", "indexed", F.explode("band_keys").alias("band_key"))
    shared = (buckets.groupBy("band_key")  # fixed-size aggregates: spill-friendly, unlike collect_set
              .agg(F.min("doc_id").alias("src"), F.count("*").alias("size"), F.min("indexed").alias("all_indexed"))
              .where("size > 1 AND NOT all_indexed").select("band_key", "src"))
    candidates = buckets.join(shared, "band_key").select("src", F.col("doc_id").alias("dst")) \
        .where("src != dst").distinct()
    sides = keys.select("doc_id", "indexed", "signature", "shingle_hashes")
    verified = (candidates
                .join(sides.alias("a"), F.col("src") == F.col("a.doc_id"))
                .join(sides.alias("b"), F.col("dst") == F.col("b.doc_id"))
                .where(~(F.col("a.indexed") & F.col("b.indexed")))
                .where(_similarity("a", "b") >= settings.near_threshold)
                .select("src", "dst"))
    components, rounds = connected_components(spark, verified, settings.max_iterations, settings.checkpoint_every)
    members = components.join(keys.select("doc_id", "indexed", "fetch_time"), "doc_id")
    return _losers(members, "component", "near"), rounds


def frequent_images(docs, settings):
    """(doc_id, drop_images): each document's image URLs that occur in more than
    ``max_image_url_docs`` kept documents of the run; and how many such URLs there are."""
    from pyspark.sql import functions as F

    doc_images = docs.select("doc_id", F.explode(F.array_distinct(F.filter("images", lambda i: i.isNotNull())))
                             .alias("image_url"))
    frequent = (doc_images.groupBy("image_url").count()
                .where(F.col("count") > settings.max_image_url_docs).select("image_url"))
    per_doc = doc_images.join(frequent, "image_url").groupBy("doc_id") \
        .agg(F.collect_set("image_url").alias("drop_images"))
    return per_doc, frequent


def repeated_paragraphs(survivors, settings):
    """(doc_id, drop_paragraphs): each document's paragraph hashes that occur in more than
    ``max_paragraph_docs`` documents of its registered domain; and how many there are."""
    from pyspark.sql import functions as F

    paragraphs = survivors.where(F.col("domain").isNotNull()) \
        .select("doc_id", "domain", F.explode("paragraph_hashes").alias("paragraph"))
    repeated = (paragraphs.groupBy("domain", "paragraph").count()
                .where(F.col("count") > settings.max_paragraph_docs).select("domain", "paragraph"))
    per_doc = paragraphs.join(repeated, ["domain", "paragraph"]) \
        .groupBy("doc_id").agg(F.collect_set("paragraph").alias("drop_paragraphs"))
    return per_doc, repeated


def earlier_runs(spark, ctx: RunContext, keys, sources: list[str]):
    """Index entries of earlier runs as GROUP_COLUMNS rows: not those of the input files being
    processed now (a rerun replaces them), nor the documents themselves. Entries made with other
    MinHash parameters still count for URL, exact and image-set dedup, not for near-duplicates."""
    from pyspark.sql import functions as F

    settings = ctx.config.dedup
    if not settings.use_index:
        return None
    index = read_table(spark, DEDUP_INDEX, ctx, path=settings.index or None)
    index = index.where(~F.col("source_file").isin(sources)).join(keys.select("doc_id"), "doc_id", "left_anti")
    comparable = F.col("minhash_params") == minhash_params(settings)
    return index.select("doc_id", F.lit(True).alias("indexed"), "fetch_time", "norm_url", "content_hash",
                        "image_set_hash", F.when(comparable, F.col("band_keys")).alias("band_keys"),
                        F.when(comparable, F.col("signature")).alias("signature"),
                        F.lit(None).cast("array<bigint>").alias("shingle_hashes"))


def write_index(spark, ctx: RunContext, keys, kept, sources: list[str]) -> None:
    """The kept documents' keys into ``dedup_index``, replacing every entry of the input files
    processed now (also of files that now keep no document)."""
    from pyspark.sql import functions as F

    path = ctx.config.dedup.index or ctx.path(DEDUP_INDEX.name)
    for source in sources:
        storage.delete_tree(f"{path}/source_file={source}", ctx.config.storage)
    entries = keys.join(kept.select("doc_id"), "doc_id", "left_semi").select(
        *[c for c in DEDUP_INDEX.names if c not in ("minhash_params", "run_date")],
        F.lit(minhash_params(ctx.config.dedup)).alias("minhash_params"), F.lit(ctx.run_date).alias("run_date"))
    write_table(entries, DEDUP_INDEX, ctx, path=path)


def find_duplicates(spark, keys, index, settings):
    """The duplicates rows of new documents, by kind in order, and the component rounds. The
    grouping steps move only the small key columns; MinHash arrays join in for the last step."""
    from pyspark.sql import functions as F

    pool = keys.select(*GROUP_COLUMNS)
    if index is not None:
        pool = pool.unionByName(index)
    remaining = pool.select(*SMALL_COLUMNS)
    found = []
    for column, kind in (("norm_url", "url"), ("content_hash", "exact"), ("image_set_hash", "image_set")):
        group = local_checkpoint(_losers(remaining, column, kind))
        found.append(group)
        remaining = remaining.join(group.select("doc_id"), "doc_id", "left_anti")
    removed = found[0].select("doc_id")
    for group in found[1:]:
        removed = removed.union(group.select("doc_id"))
    candidates = pool.where(F.size("band_keys") > 0).join(removed, "doc_id", "left_anti")
    near, rounds = near_duplicates(spark, candidates, settings)
    duplicates = found[0]
    for group in (*found[1:], near):
        duplicates = duplicates.unionByName(group)
    return duplicates, rounds


def work(spark, ctx: RunContext) -> dict:
    from pyspark.sql import functions as F

    settings = ctx.config.dedup
    decided = decided_documents(spark, ctx)
    decisions = document_decisions(decided)
    docs = decided.where("keep")
    drop_images, frequent = frequent_images(docs, settings)
    docs = docs.join(drop_images, "doc_id", "left")
    # computed once; the joins below use it many times (a cut lineage: see local_checkpoint)
    keys = local_checkpoint(docs.select(*DOC_COLUMNS).mapInArrow(partial(keys_batches, config=ctx.config),
                                                                 DEDUP_KEYS.spark()).withColumn("indexed", F.lit(False)))
    # the input files of every document, kept or not: their index entries are replaced
    sources = sorted({source_file(r[0]) for r in decided.select("general_metadata.warc_filename").distinct()
                      .collect()})
    index = earlier_runs(spark, ctx, keys, sources)
    compared = index.count() if index is not None else 0
    duplicates, rounds = find_duplicates(spark, keys, index, settings)
    write_table(duplicates, DUPLICATES, ctx)
    written = read_table(spark, DUPLICATES, ctx)  # later steps read the table, not its lineage

    survivors = keys.join(written.select("doc_id"), "doc_id", "left_anti")
    drop_paragraphs, repeated = repeated_paragraphs(survivors, settings)
    cleanup_in = (docs.join(survivors.select("doc_id"), "doc_id", "left_semi")
                  .join(drop_paragraphs, "doc_id", "left").select(*DOCS.names, *INPUT_COLUMNS))
    rows = cleanup_in.mapInArrow(partial(cleanup_batches, config=ctx.config), DEDUP_ROWS.spark())
    reason = F.create_map(*[F.lit(x) for kv in REASONS.items() for x in kv])[F.col("kind")]
    duplicate_rejects = written.join(keys, "doc_id").select(
        F.lit(NAME).alias("stage"), reason.alias("reason"), F.col("doc_id").alias("key"), "warc_filename",
        "warc_record_offset", F.concat(F.lit("duplicate of "), F.col("kept_doc_id"),
                                       F.when(F.col("against_index"), F.lit(" (earlier run)"))
                                       .otherwise(F.lit(""))).alias("detail"))
    write_by_kind(spark, ctx, NAME, [(rows, {"doc": DOCS_DEDUP})], rejects=duplicate_rejects)
    kept = read_table(spark, DOCS_DEDUP, ctx)
    if settings.use_index:
        write_index(spark, ctx, keys, kept, sources)
    input_rows = keys.count()
    extra = _extra_stats(written, kept, frequent, repeated)
    extra.update(index_entries_compared=compared, key_errors=keys.where(F.col("key_error").isNotNull()).count())
    return dict(input_rows=input_rows, output_rows=extra.pop("output_rows"), documents=decisions,
                component_rounds=rounds,
                bands=settings.bands, rows=settings.rows, near_threshold=settings.near_threshold,
                run_date=ctx.run_date, **extra)


def document_decisions(decided) -> dict:
    """What the document rules decided under this run's settings: documents extracted, kept,
    and dropped per rule (a document can fail several)."""
    from pyspark.sql import functions as F

    totals = decided.agg(F.count(F.lit(1)).alias("n"), F.sum(F.col("keep").cast("int")).alias("kept")).first()
    dropped = dict(decided.select(F.explode("drop_reasons").alias("r")).groupBy("r").count().collect())
    return {"extracted": totals["n"], "kept": int(totals["kept"] or 0),
            "dropped_by_rule": dict(sorted(dropped.items(), key=lambda kv: (-kv[1], kv[0])))}


def _extra_stats(duplicates, kept, frequent, repeated) -> dict:
    from pyspark.sql import functions as F

    totals = kept.agg(F.count("*").alias("n"), F.sum("paragraphs_removed").alias("p"),
                      F.sum("images_removed").alias("i")).first()
    by_kind = dict(duplicates.groupBy("kind").count().collect())
    return {
        "output_rows": totals["n"],
        "duplicates": {kind: by_kind.get(kind, 0) for kind in REASONS},
        "duplicates_of_earlier_runs": duplicates.where("against_index").count(),
        "frequent_image_urls": frequent.count(),
        "repeated_paragraphs": repeated.count(),
        "paragraphs_removed": int(totals["p"] or 0),
        "images_removed": int(totals["i"] or 0),
    }


STAGE = Stage(NAME, "exact, near-duplicate and repeated-content removal over the kept documents",
              reads=(DOCS.name, DEDUP_INDEX.name), writes=(DOCS_DEDUP.name, DUPLICATES.name, DEDUP_INDEX.name,
                                                          REJECTS.name), work=work)
run, main = STAGE.run, STAGE.main


if __name__ == "__main__":
    main()
