"""Reading and writing the run folder's tables, with each table's declared columns and layout."""
from __future__ import annotations

from jobs.runtime import RunContext
from schemas.table import Table


def write_table(df, table: Table, ctx: RunContext, mode: str = "overwrite") -> None:
    """Write ``df``'s columns of ``table`` (in declared order) to ``RUN_DIR/<table>``; partitioned
    tables replace only the partitions present in ``df`` (dynamic partition overwrite)."""
    writer = df.select(*table.names).write.mode(mode).options(**table.parquet_options())
    if table.partition_by:
        writer = writer.partitionBy(*table.partition_by)
    writer.parquet(ctx.path(table.name))


def read_table(spark, table: Table, ctx: RunContext):
    return spark.read.parquet(ctx.path(table.name))
