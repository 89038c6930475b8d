"""The extract task's output stream: docs, alt_pairs and rejects rows in one Arrow schema."""
import pyarrow as pa

from schemas.docs import ALT_PAIRS, DOCS
from schemas.rejects import REJECTS
from schemas.table import Column, union

EXTRACT_ROWS = union(
    "extract_rows", __doc__.splitlines()[0], DOCS, ALT_PAIRS, REJECTS,
    extra=(Column("row_kind", pa.string(), "doc, alt_pair or reject", False),),
)
