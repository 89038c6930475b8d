"""``duplicates``: one row per document found to duplicate another (and so not kept)."""
import pyarrow as pa

from schemas.table import Column, Table

DUPLICATES = Table(
    name="duplicates",
    doc="One row per document removed as a duplicate, with the document kept in its place.",
    columns=(
        Column("doc_id", pa.string(), "the duplicate (removed)", False),
        Column("kind", pa.string(), "url, exact, near or image_set", False),
        Column("cluster_id", pa.string(), "the duplicate group: normalised URL, content hash, or the "
               "smallest doc_id of the near-duplicate component", False),
        Column("kept_doc_id", pa.string(), "the group's representative: an earlier run's document, else the newest "
               "fetch_time, then the smallest doc_id",
               False),
        Column("against_index", pa.bool_(), "the kept document is from an earlier run (dedup_index)", False),
    ),
)
