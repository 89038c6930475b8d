"""``mmc4``: documents with their images placed at sentences (MMC4's layout); ``MMC4_PREPARED``
and ``MMC4_ROWS``: the mmc4 stage's two task output streams (documents split into sentences
with their candidate images, then the finished rows; rejects in the same schemas)."""
import pyarrow as pa

from schemas.rejects import REJECTS
from schemas.table import Column, Table, union

IMAGE_INFO = pa.struct([
    pa.field("raw_url", pa.string()),
    pa.field("image_sha256", pa.string()),
    pa.field("matched_text_index", pa.int32()),
    pa.field("matched_sim", pa.float32()),
    pa.field("image_name", pa.string()),
    pa.field("position", pa.int32()),
])
CANDIDATE = pa.struct([
    pa.field("raw_url", pa.string()),
    pa.field("image_sha256", pa.string()),
    pa.field("image_name", pa.string()),
    pa.field("position", pa.int32()),
])
DROPPED_IMAGE = pa.struct([pa.field("raw_url", pa.string()), pa.field("reason", pa.string())])

_DOCUMENT = (
    Column("doc_id", pa.string(), "the document (docs doc_id)", False),
    Column("url", pa.string(), "page URL"),
    Column("text_list", pa.list_(pa.string()), "the document's sentences in page order"),
    Column("text_positions", pa.list_(pa.int32()), "per sentence: its text position in docs texts"),
    Column("dropped_images", pa.list_(DROPPED_IMAGE), "the document's other images and why each is not placed: "
           "image_not_fetched, image_format, image_banned_url, image_too_small, image_aspect, "
           "image_duplicate_phash, image_no_embedding, image_below_min_similarity, ..."),
    Column("lang", pa.string(), "language of the document (docs lang)"),
    Column("sentences", pa.string(), "sentence splitter used: senter, parser or sentencizer"),
    Column("warc_filename", pa.string(), "WARC file of the page"),
    Column("warc_record_offset", pa.int64(), "offset of the page's record"),
)

MMC4 = Table(
    name="mmc4",
    doc="Documents retrofitted MMC4-style: each image placed at the sentence it fits best (linear "
        "assignment on CLIP similarity), with the similarity matrix and MMC4's core flag.",
    columns=_DOCUMENT[:3] + (
        Column("image_info", pa.list_(IMAGE_INFO), "placed images in page order: raw_url, image_sha256, "
               "matched_text_index (into text_list), matched_sim, image_name (sha256.ext), position (docs)"),
        Column("similarity_matrix", pa.list_(pa.list_(pa.float32())), "images x sentences CLIP cosine "
               "similarity, rows aligned with image_info", dictionary=False),
        Column("could_have_url_duplicate", pa.bool_(), "another capture of the same normalised URL exists "
               "(removed by dedup, or in this stage's input)"),
        Column("core", pa.bool_(), "in MMC4's core subset: mmc4.core sentence/image counts and match quality"),
        Column("n_sentences", pa.int32(), "len(text_list)"),
        Column("n_images", pa.int32(), "len(image_info)"),
        Column("model", pa.string(), "CLIP weights of the similarities"),
    ) + _DOCUMENT[3:],
)

MMC4_PREPARED = union(
    "mmc4_prepared", "Documents split into sentences, with their candidate images; rejects.",
    Table("mmc4_documents", "", _DOCUMENT + (
        Column("candidates", pa.list_(CANDIDATE), "candidate images in page order"),)),
    REJECTS,
    extra=(Column("row_kind", pa.string(), "document or reject", False),),
)

MMC4_ROWS = union(
    "mmc4_rows", "Finished mmc4 rows and rejects.", MMC4, REJECTS,
    extra=(Column("row_kind", pa.string(), "mmc4 or reject", False),),
)
