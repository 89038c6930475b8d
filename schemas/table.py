"""A table's columns, declared once: Arrow types, derived Spark StructType, a docstring per column."""
from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa


WIDE_ROW_GROUP_BYTES = 16 << 20


@dataclass(frozen=True)
class Column:
    name: str
    type: pa.DataType
    doc: str
    nullable: bool = True
    dictionary: bool = True  # False for large, mostly unique values (HTML): Parquet skips the attempt
    wide: bool = False  # values of up to megabytes each (HTML, image bytes): row groups sized by bytes

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

    @property
    def wide(self) -> bool:
        return any(c.wide for c in self.columns)

    def parquet_options(self) -> dict[str, str]:
        """Writer options this table's columns ask for. A wide table gets small row groups,
        checked after every row: Parquet measures a row group by its compressed bytes (HTML
        shrinks ~4.5x), and its readers hold a whole row group of a column."""
        options = {f"parquet.enable.dictionary#{c.name}": "false" for c in self.columns if not c.dictionary}
        if self.wide:
            # parquet-java checks page and row group sizes after a number of rows it guesses from
            # the rows so far (small ones make it wait up to max rows): every row here
            options.update({"parquet.block.size": str(WIDE_ROW_GROUP_BYTES),
                            "parquet.page.size.row.check.min": "1", "parquet.page.size.row.check.max": "1"})
        return options


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
