"""The curate stage's final tables: ``pairs`` (DataComp-style image-text pairs) and ``obelics``
(interleaved documents); ``TAGGED_PAIRS`` and ``OBELICS_ROWS``: its task output streams."""
import pyarrow as pa

from schemas.docs_dedup import DOCS_DEDUP
from schemas.rejects import REJECTS
from schemas.table import Column, Table, union

PAIRS = Table(
    name="pairs",
    doc="Image-text pairs (alt text) that pass the curate rules, DataComp's metadata layout with weft's tags.",
    columns=(
        Column("uid", pa.string(), "128-bit hex id of the pair: blake2b of image sha256 and caption", False),
        Column("url", pa.string(), "image URL", False),
        Column("text", pa.string(), "the caption (alt text)", False, dictionary=False),
        Column("width", pa.int32(), "original image width"),
        Column("height", pa.int32(), "original image height"),
        Column("clip_score", pa.float32(), "CLIP cosine similarity of image and caption (null: CLIP did not run)"),
        Column("lang", pa.string(), "fastText lid.176 language of the caption"),
        Column("lang_score", pa.float32(), "lid.176 score of lang"),
        Column("sha256", pa.string(), "SHA-256 of the image bytes"),
        Column("doc_id", pa.string(), "document the image is in"),
        Column("page_url", pa.string(), "page the image is on"),
        Column("n_words", pa.int32(), "words in the caption"),
        Column("n_nouns", pa.int32(), "spaCy: nouns and proper nouns (objects) in the caption"),
        Column("n_adjectives", pa.int32(), "spaCy: adjectives (attributes)"),
        Column("n_verbs", pa.int32(), "spaCy: verbs (actions)"),
        Column("noun_chunks", pa.list_(pa.string()), "spaCy noun chunks (phrases to ground)"),
        Column("metaclip_entries", pa.list_(pa.string()), "MetaCLIP metadata entries the caption matches"),
        Column("cluster_id", pa.int32(), "nearest k-means centroid of the image embedding (null: no clustering)"),
        Column("nsfw_score", pa.float32(), "NSFW head's probability (null: no head configured)"),
        Column("model", pa.string(), "CLIP weights of clip_score"),
    ),
)

TAGGED_PAIRS = Table(
    name="tagged_pairs",
    doc="Every pair with its tags and the first rule it fails (reason null: it passes so far).",
    columns=PAIRS.columns + (
        Column("metaclip_ids", pa.list_(pa.int32()), "indices of the matched entries in the entry list"),
        Column("reason", pa.string(), "first rule failed, or null"),
        Column("detail", pa.string(), "what failed"),
    ),
)

OBELICS = Table(
    name="obelics",
    doc="Final interleaved documents: kept, deduplicated, with only the images that fetched and pass "
        "OBELICS's size rules (the docs columns, counts updated).",
    columns=DOCS_DEDUP.columns + (
        Column("images_filtered", pa.map_(pa.string(), pa.int32()), "images removed by curate, per reason"),
    ),
)

OBELICS_ROWS = union(
    "obelics_rows", "Final documents and rejects.", OBELICS, REJECTS,
    extra=(Column("row_kind", pa.string(), "obelics or reject", False),),
)
