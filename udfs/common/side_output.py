"""A task's side tables: rows that do not travel back to Spark, streamed into one Parquet file
per table kind and input unit under a side folder, then read by the job into the run's tables.

A mapInArrow task returns one table's rows to Spark (the largest); the others (rejects,
accounting rows, pages without their HTML, alt-text pairs, archived images) go here. Rows are
written in row groups of at most ``flush_rows`` rows or ``flush_bytes`` bytes to a local file,
which moves to ``<side_dir>/<kind>/<key>.parquet`` when the unit (an input file) is done: memory
is bounded by those two settings, never by the file, and a retried task rewrites the same names
with the same rows.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from udfs.common import storage
from udfs.common.arrow_rows import to_batch
from udfs.common.settings import StorageSettings

FLUSH_ROWS = 4096
FLUSH_BYTES = 16 << 20


def side_key(uri: str) -> str:
    """The file name an input unit's side rows get in every kind's folder."""
    return f"{hashlib.blake2b(uri.encode(), digest_size=16).hexdigest()}.parquet"


class SideWriter:
    """Side rows of one input unit; use as a context manager (files move to ``side_dir`` only
    when the block ends without an exception)."""

    def __init__(self, side_dir: str, unit: str, schemas: dict[str, pa.Schema], storage_settings: StorageSettings,
                 flush_rows: int = FLUSH_ROWS, flush_bytes: int = FLUSH_BYTES):
        self.side_dir, self.key, self.schemas = side_dir.rstrip("/"), side_key(unit), schemas
        self.storage, self.flush_rows, self.flush_bytes = storage_settings, flush_rows, flush_bytes
        self.pending: dict[str, list[dict[str, Any]]] = {kind: [] for kind in schemas}
        self.pending_bytes = dict.fromkeys(schemas, 0)
        self.writers: dict[str, pq.ParquetWriter] = {}
        self.local = tempfile.mkdtemp(prefix="weft-side-")

    def add(self, kind: str, row: dict[str, Any], nbytes: int = 0) -> None:
        """Queue ``row`` for table ``kind``; ``nbytes`` is its size where it can be large."""
        rows = self.pending[kind]
        rows.append(row)
        self.pending_bytes[kind] += nbytes
        if len(rows) >= self.flush_rows or self.pending_bytes[kind] >= self.flush_bytes:
            self._flush(kind)

    def _flush(self, kind: str) -> None:
        rows = self.pending[kind]
        if not rows:
            return
        if kind not in self.writers:
            self.writers[kind] = pq.ParquetWriter(os.path.join(self.local, kind), self.schemas[kind],
                                                  compression="zstd")
        self.writers[kind].write_batch(to_batch(rows, self.schemas[kind]))
        self.pending[kind], self.pending_bytes[kind] = [], 0

    def __enter__(self) -> "SideWriter":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            if exc_type is None:
                for kind in self.schemas:
                    self._flush(kind)
            for writer in self.writers.values():
                writer.close()
            if exc_type is None:
                for kind in self.writers:
                    storage.put_file(os.path.join(self.local, kind), f"{self.side_dir}/{kind}/{self.key}",
                                     self.storage)
        finally:
            shutil.rmtree(self.local, ignore_errors=True)
