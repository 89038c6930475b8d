"""Export in the peers' layouts: ``python -m jobs.export --output RUN_DIR``.

Writes ``RUN_DIR/export_obelics`` (texts, images, metadata JSON, general_metadata JSON), which
HF ``datasets.load_dataset("parquet", data_files=...)`` reads like OBELICS's own shards, from
``docs_dedup`` when the dedup stage has run, else the kept ``docs``. When the mmc4 stage has
run, also ``RUN_DIR/export_mmc4``: JSON lines with MMC4's keys (``url``, ``text_list``,
``image_info`` with ``image_name``, ``raw_url``, ``face_detections`` (null: weft detects no
faces), ``matched_text_index``, ``matched_sim``; ``similarity_matrix``,
``could_have_url_duplicate``), which MMC4's loaders read like its ``docs_shard_*.jsonl``.
"""
from __future__ import annotations

from jobs.runtime import RunContext
from jobs.stage import Stage
from jobs.tables import read_documents, read_table, write_table, written
from schemas.docs import DOCS
from schemas.docs_dedup import DOCS_DEDUP
from schemas.mmc4 import MMC4
from schemas.obelics_export import OBELICS_EXPORT
from udfs.export.obelics_format import DOC_COLUMNS, published_batches

NAME = "export"
MMC4_EXPORT = "export_mmc4"


def export_mmc4(spark, ctx: RunContext) -> int:
    """MMC4's JSON lines from the ``mmc4`` table; how many documents."""
    from pyspark.sql import functions as F

    info = F.transform("image_info", lambda i: F.struct(
        i["image_name"].alias("image_name"), i["raw_url"].alias("raw_url"),
        F.lit(None).cast("array<string>").alias("face_detections"),
        i["matched_text_index"].alias("matched_text_index"), i["matched_sim"].alias("matched_sim")))
    docs = read_table(spark, MMC4, ctx).select("url", "text_list", info.alias("image_info"), "similarity_matrix",
                                               "could_have_url_duplicate")
    night = f"{ctx.path(MMC4_EXPORT)}/run_date={ctx.run_date}"  # one folder per night, like the tables
    docs.write.mode("overwrite").option("ignoreNullFields", "false").json(night)
    return spark.read.text(night).count()  # lines written


def work(spark, ctx: RunContext) -> dict:
    """Every export once: the OBELICS one from the documents (one row each), the MMC4 one from
    ``mmc4`` (one line each); counts read back from what was written."""
    docs, source = read_documents(spark, ctx)
    write_table(docs.select(*DOC_COLUMNS).mapInArrow(published_batches, OBELICS_EXPORT.spark()), OBELICS_EXPORT, ctx)
    exports = {OBELICS_EXPORT.name: read_table(spark, OBELICS_EXPORT, ctx).count()}
    inputs = {source: docs.count()}
    if written(MMC4, ctx):
        inputs[MMC4.name] = read_table(spark, MMC4, ctx).count()
        exports[MMC4_EXPORT] = export_mmc4(spark, ctx)
    return dict(input_rows=sum(inputs.values()), output_rows=sum(exports.values()), rejected={},
                source=source, inputs=inputs, exports=exports)


STAGE = Stage(NAME, "the documents in OBELICS's layout and mmc4 as MMC4's JSON lines",
              reads=(DOCS_DEDUP.name, DOCS.name, MMC4.name), writes=(OBELICS_EXPORT.name, MMC4_EXPORT), work=work)
run, main = STAGE.run, STAGE.main


if __name__ == "__main__":
    main()
