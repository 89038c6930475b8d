"""Reading and writing the run folder's tables, with each table's declared columns and layout."""
from __future__ import annotations

from jobs.runtime import RunContext
from schemas.table import Table
from udfs import storage


def write_table(df, table: Table, ctx: RunContext, partition: dict[str, str] | None = None,
                path: str | None = None, append: bool = False) -> None:
    """Write ``df``'s columns of ``table`` (in declared order) to ``RUN_DIR/<table>`` (or ``path``).

    An unpartitioned table is replaced, or added to with ``append``. A partitioned one is written with dynamic partition
    overwrite, after removing the ``partition`` being rewritten, so a rerun that produces no
    rows for it does not leave the old rows behind."""
    path = path or ctx.path(table.name)
    if partition:
        spec = "/".join(f"{k}={v}" for k, v in partition.items())
        storage.delete_tree(f"{path}/{spec}", ctx.config.storage)
    writer = df.select(*table.names).write.mode("append" if append else "overwrite").options(**table.parquet_options())
    if table.partition_by:
        writer = writer.partitionBy(*table.partition_by)
    writer.parquet(path)


def read_documents(spark, ctx: RunContext):
    """The documents later stages work on, and the table they come from: ``docs_dedup`` once
    the dedup stage has written it, else the kept rows of ``docs``."""
    from schemas.docs import DOCS
    from schemas.docs_dedup import DOCS_DEDUP

    if storage.exists(ctx.path(DOCS_DEDUP.name), ctx.config.storage):
        return read_table(spark, DOCS_DEDUP, ctx), DOCS_DEDUP.name
    return read_table(spark, DOCS, ctx).where("keep"), DOCS.name


def with_image_rows(spark, ctx: RunContext, docs, columns: tuple[str, ...]):
    """``docs`` with ``image_refs``: per document, its images' ``images`` rows (``columns`` of
    them, with ``position`` and ``image_url``; a URL never fetched has null columns); null for a
    document without images."""
    from pyspark.sql import functions as F

    from schemas.images import IMAGES

    images = read_table(spark, IMAGES, ctx).select("image_url", *columns)
    refs = (docs.select("doc_id", F.posexplode("images").alias("position", "image_url"))
            .where(F.col("image_url").isNotNull()).join(images, "image_url", "left")
            .groupBy("doc_id").agg(F.collect_list(F.struct("position", "image_url", *columns)).alias("image_refs")))
    return docs.join(refs, "doc_id", "left")


def read_table(spark, table: Table, ctx: RunContext, path: str | None = None):
    """The table (at ``RUN_DIR/<table>`` or ``path``) with its declared schema; empty (not an
    error) when nothing was written yet."""
    path = path or ctx.path(table.name)
    if not storage.exists(path, ctx.config.storage):
        return spark.createDataFrame([], table.spark())
    return spark.read.schema(table.spark()).parquet(path)
