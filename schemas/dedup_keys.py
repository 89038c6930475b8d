"""The dedup stage's per-document keys (``udfs.dedup.dedup_signatures``), between its Spark steps; not
written as a table."""
import pyarrow as pa

from schemas.table import Column, Table

DEDUP_KEYS = Table(
    name="dedup_keys",
    doc="Per document: URL, content, image-set and MinHash keys, and paragraph hashes.",
    columns=(
        Column("doc_id", pa.string(), "the document", False),
        Column("url", pa.string(), "page URL"),
        Column("fetch_time", pa.timestamp("us", tz="UTC"), "fetch time of the page (newest wins a group)"),
        Column("warc_filename", pa.string(), "input file"),
        Column("warc_record_offset", pa.int64(), "record offset in it"),
        Column("source_file", pa.string(), "dedup_index partition of the input file"),
        Column("key_error", pa.string(), "why the keys could not be computed (then none are)"),
        Column("domain", pa.string(), "registered domain (per-domain paragraph dedup)"),
        Column("norm_url", pa.string(), "normalised URL"),
        Column("content_hash", pa.string(), "hash of the case- and whitespace-folded text"),
        Column("image_set_hash", pa.string(), "hash of the image URL set (2+ images)"),
        Column("band_keys", pa.list_(pa.binary()), "LSH band keys"),
        Column("signature", pa.list_(pa.int64()), "MinHash signature"),
        Column("shingle_hashes", pa.list_(pa.int64()), "word-shingle hashes (exact Jaccard of candidates)"),
        Column("paragraph_hashes", pa.list_(pa.int64()), "hashes of the paragraphs"),
    ),
    nightly=False,
)
