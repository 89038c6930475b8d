"""``docs_dedup``: the documents that survive dedup, edited by the repeated-content rules; later
stages (images, clip, mmc4, curate) read this table."""
import pyarrow as pa

from schemas.docs import DOCS
from schemas.table import Column, Table

DOCS_DEDUP = Table(
    name="docs_dedup",
    doc="Kept documents that are not duplicates, without per-domain repeated paragraphs and "
        "run-wide frequent image URLs (the docs columns, counts updated).",
    columns=DOCS.columns + (
        Column("paragraphs_removed", pa.int32(), "paragraphs removed as repeated within the registered domain"),
        Column("images_removed", pa.int32(), "image URLs removed as frequent across the run"),
    ),
)
