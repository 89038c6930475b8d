"""Export kept documents in OBELICS's layout: ``python -m jobs.export --output RUN_DIR``.

Writes ``RUN_DIR/export_obelics`` (texts, images, metadata JSON, general_metadata JSON), which
HF ``datasets.load_dataset("parquet", data_files=...)`` reads like OBELICS's own shards. Reads
``docs_dedup`` when the dedup stage has run, else the kept ``docs``.
"""
from __future__ import annotations

from jobs.runtime import RunContext, stage_main
from jobs.tables import read_documents, read_table, write_table
from schemas.obelics_export import OBELICS_EXPORT
from udfs.obelics_format import DOC_COLUMNS, obelics_batches


def run(spark, ctx: RunContext) -> dict:
    docs, source = read_documents(spark, ctx)
    write_table(docs.select(*DOC_COLUMNS).mapInArrow(obelics_batches, OBELICS_EXPORT.spark()), OBELICS_EXPORT, ctx)
    n = read_table(spark, OBELICS_EXPORT, ctx).count()
    return {"stage": "export", "input_rows": n, "output_rows": n, "rejected": {}, "seconds": 0.0,
            "source": source}


def main(argv=None) -> None:
    stage_main("export", run, argv)


if __name__ == "__main__":
    main()
