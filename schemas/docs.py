"""``docs``: one extracted interleaved document per page; ``alt_pairs``: kept images with alt text."""
import pyarrow as pa

from schemas.quality_signals import QUALITY_COLUMNS
from schemas.table import Column, Table

IMAGE_META = pa.struct([
    pa.field("src", pa.string()),
    pa.field("unformatted_src", pa.string()),
    pa.field("alt_text", pa.string()),
    pa.field("title", pa.string()),
    pa.field("rendered_width", pa.int32()),
    pa.field("rendered_height", pa.int32()),
    pa.field("figcaption", pa.string()),
])
GENERAL_METADATA = pa.struct([
    pa.field("url", pa.string()),
    pa.field("warc_filename", pa.string()),
    pa.field("warc_record_offset", pa.int64()),
    pa.field("warc_record_length", pa.int64()),
])

DOCS = Table(
    name="docs",
    doc="One row per extracted page: texts and images in page order (OBELICS layout), with signals.",
    columns=(
        Column("doc_id", pa.string(), "the page's page_id", False),
        Column("url", pa.string(), "page URL"),
        Column("texts", pa.list_(pa.string()), "position i: a text block (paragraphs split by blank lines) or null"),
        Column("images", pa.list_(pa.string()), "position i: an absolute image URL or null; never both set"),
        Column("image_meta", pa.list_(IMAGE_META), "per position of images (null for text positions)"),
        Column("general_metadata", GENERAL_METADATA, "where the page came from"),
        Column("lang", pa.string(), "fastText lid.176 language of the document text"),
        Column("lang_score", pa.float32(), "lid.176 score of lang"),
        Column("keep", pa.bool_(), "passes every document rule under the run's settings", False),
        Column("drop_reasons", pa.list_(pa.string()), "document rules it fails ([] when kept)", False),
        Column("crawl", pa.string(), "crawl of the page"),
        Column("fetch_time", pa.timestamp("us", tz="UTC"), "fetch time of the page"),
        Column("extract_mode", pa.string(), "DOM rules used (extract.mode)"),
        Column("n_words", pa.int32(), "words in the kept text"),
        Column("n_paragraphs", pa.int32(), "kept paragraphs"),
        Column("n_images", pa.int32(), "kept images"),
        Column("char_repetition", pa.float32(), "OBELICS character 10-gram repetition of the document"),
        Column("word_repetition", pa.float32(), "OBELICS word 5-gram repetition"),
        Column("special_char_ratio", pa.float32(), "share of characters not letters, digits or spaces"),
        Column("punctuation_ratio", pa.float32(), "sentence punctuation per word"),
        Column("stop_word_ratio", pa.float32(), "share of stop words; null without a list for lang"),
        Column("flagged_word_ratio", pa.float32(), "share of flagged words; null without a list for lang"),
        Column("common_word_ratio", pa.float32(), "share of common words; null without a list for lang"),
        Column("perplexity", pa.float32(), "KenLM perplexity; null unless extract.kenlm_model is set"),
        *QUALITY_COLUMNS,
        Column("node_drops", pa.map_(pa.string(), pa.int32()), "paragraphs and images removed, per reason"),
        Column("extract_seconds", pa.float32(), "time spent extracting the page"),
    ),
)

ALT_PAIRS = Table(
    name="alt_pairs",
    doc="One row per kept <img> with non-empty alt text: DataComp-style image-text pairs.",
    columns=(
        Column("doc_id", pa.string(), "document the image is in", False),
        Column("image_url", pa.string(), "absolute image URL", False),
        Column("alt_text", pa.string(), "the alt attribute, whitespace collapsed", False),
        Column("page_url", pa.string(), "page URL"),
        Column("position", pa.int32(), "index of the image in the document's images"),
    ),
)
