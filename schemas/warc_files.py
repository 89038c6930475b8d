"""``warc_files``: one row per input file the ingest stage read, with its record accounting."""
import pyarrow as pa

from schemas.table import Column, Table

WARC_FILES = Table(
    name="warc_files",
    doc="One row per input WARC/ARC file: how it was read and how many records it held.",
    columns=(
        Column("warc_filename", pa.string(), "input file, as listed in the input", False),
        Column("crawl", pa.string(), "crawl name (see pages.crawl)", False),
        Column("reader", pa.string(), "fastwarc, or resync when the file needed the lenient resynchronising reader"),
        Column("records_read", pa.int64(), "records the reader delimited, counting each unreadable stretch as one"),
        Column("pages", pa.int64(), "records kept as pages"),
        Column("archived_images", pa.int64(), "records kept as archived images"),
        Column("rejected", pa.int64(), "records rejected"),
        Column("file_bytes", pa.int64(), "size of the file in bytes, when known"),
        Column("seconds", pa.float64(), "time spent on the file in its task (with extraction, when fused)"),
        Column("extract_seconds", pa.float64(), "of which extracting its pages, when ingest and extract ran in "
               "one pass (ingest.fuse_extract); null otherwise"),
    ),
)
