"""``pages``: one row per HTML response record kept by ingest."""
import pyarrow as pa

from schemas.table import Column, Table

PAGES = Table(
    name="pages",
    doc="One row per HTML HTTP response record read from the input WARC files.",
    columns=(
        Column("page_id", pa.string(), "stable id: hash of the WARC file's base name and record offset", False),
        Column("url", pa.string(), "WARC-Target-URI of the response"),
        Column("warc_filename", pa.string(), "input file the record came from, as listed in the input", False),
        Column("warc_record_offset", pa.int64(), "byte offset of the record in the file: the gzip member's offset "
               "for per-record gzip files (CommonCrawl's index convention), else the position in the "
               "decompressed stream", False),
        Column("warc_record_length", pa.int64(), "bytes the record occupies at that offset (compressed for "
               "per-record gzip); null when the file ends inside the record"),
        Column("warc_record_id", pa.string(), "WARC-Record-ID; null for ARC records"),
        Column("fetch_time", pa.timestamp("us", tz="UTC"), "WARC-Date (ARC: archive date); null when invalid"),
        Column("http_status", pa.int32(), "HTTP status code; null for captures stored without an HTTP head"),
        Column("content_type", pa.string(), "media type the page was recognised by (lower case, no parameters)"),
        Column("charset", pa.string(), "Python codec name the HTML was decoded with"),
        Column("charset_source", pa.string(), "where the charset came from: bom, http, meta, utf8, detector"),
        Column("html", pa.large_string(), "decoded HTML text; null unless ingest.store_html (the default reads "
               "each record again from its WARC file when extract runs on its own)", dictionary=False, wide=True),
        Column("crawl", pa.string(), "crawl name: warcinfo isPartOf, else a CC-MAIN-YYYY-WW in the file name, "
               "else 'unknown'", False),
        Column("warc_truncated", pa.string(), "WARC-Truncated reason (e.g. length: the crawler cut the body)"),
    ),
)
