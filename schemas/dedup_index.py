"""``dedup_index``: the dedup keys of every document a run kept, so later runs treat copies of
them as duplicates (incremental dedup). Partitioned by input file: processing a file again
replaces exactly that file's entries, whatever the date."""
import pyarrow as pa

from schemas.table import Column, Table

DEDUP_INDEX = Table(
    name="dedup_index",
    doc="Dedup keys of documents kept by earlier runs: a new copy of one of them is a duplicate.",
    columns=(
        Column("doc_id", pa.string(), "the kept document", False),
        Column("url", pa.string(), "its URL"),
        Column("fetch_time", pa.timestamp("us", tz="UTC"), "its fetch time"),
        Column("norm_url", pa.string(), "normalised URL (URL dedup)"),
        Column("content_hash", pa.string(), "hash of the case/space-folded text (exact dedup)"),
        Column("image_set_hash", pa.string(), "hash of the sorted image URL set (image-set dedup)"),
        Column("band_keys", pa.list_(pa.binary()), "LSH band keys (near-duplicate candidates)", dictionary=False),
        Column("signature", pa.list_(pa.int64()), "MinHash signature (uint64 bits as int64): verifies "
               "candidates by estimated Jaccard", dictionary=False),
        Column("minhash_params", pa.string(), "ngram, bands x rows, hash bits and seed the keys were made with; "
               "entries made with other parameters are not compared", False),
        Column("run_date", pa.string(), "run.date of the run that kept the document", False),
        Column("source_file", pa.string(), "input WARC file's name and a hash of its path (partition column)",
               False),
    ),
    partition_by=("source_file",),
    nightly=False,  # one index across nights
)
