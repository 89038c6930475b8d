"""The ingest task's single output stream: pages, rejects and per-file rows in one Arrow schema."""
import pyarrow as pa

from schemas.pages import PAGES
from schemas.rejects import REJECTS
from schemas.table import Column, union
from schemas.warc_files import WARC_FILES

ROW_KINDS = ("page", "reject", "file")

INGEST_ROWS = union(
    "ingest_rows",
    "Rows of pages, rejects and warc_files interleaved; row_kind says which table a row belongs to.",
    PAGES, REJECTS, WARC_FILES,
    extra=(Column("row_kind", pa.string(), "page, reject or file", False),),
)
