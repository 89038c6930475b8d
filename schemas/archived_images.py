"""``archived_images``: the HTTP image responses the input WARCs hold, so the images stage reads
them from here instead of downloading them; image revisit records point at one."""
import pyarrow as pa

from schemas.table import Column, Table

ARCHIVED_IMAGES = Table(
    name="archived_images",
    doc="Image responses archived in the input files (and image revisits), one row per record.",
    columns=(
        Column("image_url", pa.string(), "WARC-Target-URI of the record", False),
        Column("warc_filename", pa.string(), "input WARC file", False),
        Column("warc_record_offset", pa.int64(), "record offset in that file", False),
        Column("warc_record_length", pa.int64(), "record length in the file (compressed, when known)"),
        Column("fetch_time", pa.timestamp("us", tz="UTC"), "WARC-Date: when the crawler fetched it"),
        Column("http_status", pa.int32(), "HTTP status of the archived response"),
        Column("content_type", pa.string(), "Content-Type of the HTTP response (else of the record)"),
        Column("payload", pa.binary(), "the response body, transfer and content encodings removed (at most "
               "ingest.max_image_bytes); null for a revisit", dictionary=False, wide=True),
        Column("payload_digest", pa.string(), "WARC-Payload-Digest"),
        Column("record_kind", pa.string(), "response, or revisit (its payload is the one it refers to)", False),
        Column("refers_to", pa.string(), "revisit: WARC-Refers-To-Target-URI (else its own URL)"),
    ),
)
