"""Row dicts to Arrow record batches, for the mapInArrow adapters."""
from __future__ import annotations

from typing import Any

import pyarrow as pa


def to_batch(rows: list[dict[str, Any]], schema: pa.Schema) -> pa.RecordBatch:
    """Row dicts (missing keys are nulls) to a record batch; column-wise, ~10x faster than from_pylist."""
    return pa.RecordBatch.from_pydict({name: [row.get(name) for row in rows] for name in schema.names}, schema=schema)
