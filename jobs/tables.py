"""Reading and writing the run folder's tables, with each table's declared columns and layout."""
from __future__ import annotations

from urllib.parse import unquote

from jobs.runtime import RunContext
from schemas.table import Table
from udfs.common import storage


def night_path(table: Table, ctx: RunContext, path: str | None = None) -> str:
    """Where this run's rows of ``table`` live: ``RUN_DIR/<table>/run_date=<run.date>`` for a
    nightly table (``path`` instead of ``RUN_DIR/<table>`` when given), the table folder otherwise."""
    path = path or ctx.path(table.name)
    return f"{path}/run_date={ctx.run_date}" if table.nightly else path


def written(table: Table, ctx: RunContext) -> bool:
    """Whether this night of ``table`` has been written."""
    return storage.exists(night_path(table, ctx), ctx.config.storage)


def run_crawl(ctx: RunContext) -> str:
    """The ``crawl`` partition of rows that do not carry their own: ``ctx.crawl`` when set, else
    the night's crawl when its pages come from one, ``mixed`` when from several, ``unknown``
    before any page is written."""
    from schemas.pages import PAGES

    if ctx.crawl is not None:
        return ctx.crawl
    found = [unquote(n.split("=", 1)[1]) for n in storage.list_folders(night_path(PAGES, ctx), ctx.config.storage)
             if n.startswith("crawl=")]
    return found[0] if len(found) == 1 else "mixed" if found else "unknown"


def write_table(df, table: Table, ctx: RunContext, partition: dict[str, str] | None = None,
                path: str | None = None, append: bool = False) -> None:
    """Write ``df``'s columns of ``table`` (in declared order) to ``RUN_DIR/<table>`` (or ``path``).

    A nightly table gets ``run_date`` (run.date) and ``crawl`` (the row's own, else
    ``run_crawl``) partitions after its own. Unless ``append``, the run's night of the table (of
    the given ``partition`` within it) is removed first, then written with dynamic partition
    overwrite: a rerun of the night replaces that night's rows, even with none, and no other."""
    from pyspark.sql import functions as F

    path = path or ctx.path(table.name)
    columns = [F.col(c) for c in table.names]
    keys = list(table.partition_by)
    if table.nightly:
        columns.insert(0, F.lit(ctx.run_date).alias("run_date"))
        if "crawl" not in table.names:
            columns.append(F.lit(run_crawl(ctx)).alias("crawl"))
        keys = ["run_date", *keys, "crawl"]
    spec = {"run_date": ctx.run_date} if table.nightly else {}
    spec.update(partition or {})
    if spec and not append:
        storage.delete_tree("/".join([path, *(f"{k}={v}" for k, v in spec.items())]), ctx.config.storage)
    writer = (df.select(*columns).write.mode("append" if append else "overwrite")
              .option("partitionOverwriteMode", "dynamic").options(**table.parquet_options()))
    if keys:
        writer = writer.partitionBy(*keys)
    writer.parquet(path)


def files_frame(spark, ctx: RunContext):
    """The run's input files as a one-column frame (``warc_filename``), one Spark task per file."""
    files = spark.sparkContext.parallelize([(f,) for f in ctx.files], numSlices=max(1, len(ctx.files)))
    return spark.createDataFrame(files, "warc_filename string")


def side_folder(ctx: RunContext, job: str) -> str:
    """Where a job's tasks leave their side files (``udfs.common.side_output``); emptied before it runs."""
    path = ctx.path(f"_side/{job}")
    storage.delete_tree(path, ctx.config.storage)
    return path


def write_side_tables(spark, ctx: RunContext, side_dir: str, tables: dict[str, Table],
                      reject_stages: tuple[str, ...] = ()) -> None:
    """Write each kind of side row under ``side_dir`` as its table (rejects: one ``stage``
    partition for each of ``reject_stages``), then remove the side files."""
    from pyspark.sql import functions as F

    from schemas.rejects import REJECTS

    def side(kind: str, table: Table):
        path = f"{side_dir}/{kind}"
        if not storage.exists(path, ctx.config.storage):
            return spark.createDataFrame([], table.spark())
        return spark.read.schema(table.spark()).parquet(path)

    for kind, table in tables.items():
        write_table(side(kind, table), table, ctx)
    rejects = side("reject", REJECTS)
    for stage in reject_stages:
        write_table(rejects.where(F.col("stage") == stage), REJECTS, ctx, partition={"stage": stage})
    storage.delete_tree(side_dir, ctx.config.storage)


def decided_documents(spark, ctx: RunContext):
    """``docs`` with ``keep`` and ``drop_reasons`` decided again from the stored signals under
    this run's extract settings (``udfs.extract.document_rules``: tag, then mix)."""
    from pyspark.sql import functions as F

    from jobs.config import ConfigError
    from schemas.docs import DOCS
    from udfs.extract.document_rules import SIGNALS, decider, family_signals

    needed = {family: family_signals(family) for family in ctx.config.extract.document_rules if family_signals(family)}
    if needed and written(DOCS, ctx):  # the stored schema is read only when a chosen set has signals of its own
        stored = set(spark.read.parquet(night_path(DOCS, ctx)).columns)
        for family, signals in needed.items():
            if not set(signals) <= stored:
                raise ConfigError(f"extract.document_rules has {family}, but the docs of {ctx.run_date} were "
                                  f"extracted without its signals ({signals[0]}, ...): "
                                  "run extract again for this rule set")
    reasons = F.pandas_udf(decider(ctx.config.extract), "array<string>")(F.struct(*SIGNALS))
    return (read_table(spark, DOCS, ctx).withColumn("drop_reasons", reasons)
            .withColumn("keep", F.size("drop_reasons") == 0).select(*DOCS.names))


def read_documents(spark, ctx: RunContext):
    """The documents later stages work on, and the table they come from: ``docs_dedup`` once
    the dedup stage has written it, else the rows of ``docs`` kept under this run's settings."""
    from schemas.docs import DOCS
    from schemas.docs_dedup import DOCS_DEDUP

    if written(DOCS_DEDUP, ctx):
        return read_table(spark, DOCS_DEDUP, ctx), DOCS_DEDUP.name
    return decided_documents(spark, ctx).where("keep"), DOCS.name


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
    """The run's night of the table (at ``RUN_DIR/<table>`` or ``path``) with its declared
    columns; empty (not an error) when nothing was written yet."""
    path = night_path(table, ctx, path)
    if not storage.exists(path, ctx.config.storage):
        return spark.createDataFrame([], table.spark())
    return spark.read.schema(table.spark()).parquet(path).select(*table.names)
