"""The dedup cleanup task's output stream: ``docs_dedup`` and ``rejects`` rows in one Arrow schema."""
import pyarrow as pa

from schemas.docs_dedup import DOCS_DEDUP
from schemas.rejects import REJECTS
from schemas.table import Column, union

DEDUP_ROWS = union(
    "dedup_rows", __doc__.splitlines()[0], DOCS_DEDUP, REJECTS,
    extra=(Column("row_kind", pa.string(), "doc or reject", False),),
)
