"""Row dicts to Arrow record batches, for the mapInArrow adapters."""
from __future__ import annotations

from typing import Any

import pyarrow as pa


def to_batch(rows: list[dict[str, Any]], schema: pa.Schema) -> pa.RecordBatch:
    """Row dicts (missing keys are nulls) to a record batch; column-wise, ~10x faster than from_pylist."""
    return pa.RecordBatch.from_pydict({name: [row.get(name) for row in rows] for name in schema.names}, schema=schema)


def reject_row(stage: str, reason: str, detail: str, key: str | None, warc_filename: str | None,
               offset: int | None) -> dict[str, Any]:
    """A ``rejects`` row (``row_kind`` marks it in a stage's combined output); details are capped."""
    return {"row_kind": "reject", "stage": stage, "reason": reason, "detail": detail[:1000],
            "key": key or f"{warc_filename}@{offset}", "warc_filename": warc_filename, "warc_record_offset": offset}


class Batcher:
    """Rows gathered into record batches of at most ``max_rows`` rows or ``max_bytes`` bytes
    (the caller says how large each row is), so a batch never grows with the input."""

    def __init__(self, schema: pa.Schema, max_rows: int, max_bytes: int):
        self.schema, self.max_rows, self.max_bytes = schema, max_rows, max_bytes
        self.rows: list[dict[str, Any]] = []
        self.nbytes = 0

    def add(self, row: dict[str, Any], nbytes: int = 0) -> bool:
        """Queue ``row``; True when the batch is full and should be taken."""
        self.rows.append(row)
        self.nbytes += nbytes
        return len(self.rows) >= self.max_rows or self.nbytes >= self.max_bytes

    def take(self) -> list[dict[str, Any]]:
        rows, self.rows, self.nbytes = self.rows, [], 0
        return rows
