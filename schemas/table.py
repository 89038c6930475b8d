"""A table's columns, declared once: Arrow types, derived Spark StructType, a docstring per column."""
from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa


@dataclass(frozen=True)
class Column:
    name: str
    type: pa.DataType
    doc: str
    nullable: bool = True
    dictionary: bool = True  # False for large, mostly unique values (HTML): Parquet skips the attempt

    def arrow(self) -> pa.Field:
        return pa.field(self.name, self.type, nullable=self.nullable)


@dataclass(frozen=True)
class Table:
    """A Parquet table under the run folder (``RUN_DIR/<name>``). A ``nightly`` table is also
    partitioned by ``run_date`` and ``crawl`` (jobs.tables writes and reads one night of it)."""

    name: str
    doc: str
    columns: tuple[Column, ...]
    partition_by: tuple[str, ...] = ()
    nightly: bool = True

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    def arrow(self) -> pa.Schema:
        return pa.schema([c.arrow() for c in self.columns])

    def spark(self):
        """The Spark StructType, derived from the Arrow schema so the two cannot drift."""
        return spark_schema(self.arrow())

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    def parquet_options(self) -> dict[str, str]:
        """Writer options this table's columns ask for."""
        return {f"parquet.enable.dictionary#{c.name}": "false" for c in self.columns if not c.dictionary}


def spark_schema(schema: pa.Schema):
    """A Spark StructType for an Arrow schema (pyspark imported only when asked)."""
    from pyspark.sql.pandas.types import from_arrow_schema

    return from_arrow_schema(schema)


def union(name: str, doc: str, *tables: Table, extra: tuple[Column, ...] = ()) -> Table:
    """One schema holding every column of ``tables`` (shared names once), for a stage that
    produces several tables in one pass; a column of one table is null in another's rows."""
    seen: dict[str, Column] = {}
    for col in (*extra, *(c for t in tables for c in t.columns)):
        if col.name in seen and seen[col.name].type != col.type:
            raise TypeError(f"column {col.name} has two types: {seen[col.name].type} and {col.type}")
        seen.setdefault(col.name, Column(col.name, col.type, col.doc, nullable=True))
    return Table(name, doc, tuple(seen.values()))


def registered() -> dict[str, Table]:
    """Every table the ``schemas`` modules declare, by name."""
    import importlib
    import pkgutil

    import schemas

    found: dict[str, Table] = {}
    for module in pkgutil.iter_modules(schemas.__path__):
        for value in vars(importlib.import_module(f"schemas.{module.name}")).values():
            if isinstance(value, Table):
                found.setdefault(value.name, value)
    return found
