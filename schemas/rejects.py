"""``rejects``: anything dropped anywhere, with the stage and a stable snake_case reason."""
import pyarrow as pa

from schemas.table import Column, Table

REJECTS = Table(
    name="rejects",
    doc="One row per record, file or item a stage did not keep.",
    columns=(
        Column("stage", pa.string(), "stage that rejected it (partition column)", False),
        Column("reason", pa.string(), "stable snake_case reason, e.g. not_html, http_status_404", False),
        Column("key", pa.string(), "what was rejected: URL, record id, doc id or file name"),
        Column("warc_filename", pa.string(), "input WARC file, when known"),
        Column("warc_record_offset", pa.int64(), "record offset in that file, when known"),
        Column("detail", pa.string(), "human-readable detail: the value that failed, the error message"),
    ),
    partition_by=("stage",),
)
