"""Ingest's side output: each input file's archived images, rejects and warc_files row, in one Arrow schema.

Pages stream back to Spark; these small rows are written by the task, one Parquet file per
input file, and turned into the ``rejects`` and ``warc_files`` tables after the pages are
committed. ``row_kind`` says which table a row belongs to.
"""
import pyarrow as pa

from schemas.archived_images import ARCHIVED_IMAGES
from schemas.rejects import REJECTS
from schemas.table import Column, union
from schemas.warc_files import WARC_FILES

INGEST_SIDE = union(
    "ingest_side", __doc__.splitlines()[0], REJECTS, WARC_FILES, ARCHIVED_IMAGES,
    extra=(Column("row_kind", pa.string(), "reject, file or archived_image", False),),
)
