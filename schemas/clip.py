"""``clip_embeddings`` and ``clip_scores``: the clip stage's tables; ``CLIP_ROWS``: its task's
output stream (embeddings and rejects in one Arrow schema)."""
import pyarrow as pa

from schemas.rejects import REJECTS
from schemas.table import Column, Table, union

CLIP_EMBEDDINGS = Table(
    name="clip_embeddings",
    doc="One row per distinct image (by sha256) or distinct text embedded, per model.",
    columns=(
        Column("key", pa.string(), "image sha256, or SHA-256 of the text", False),
        Column("modality", pa.string(), "image or text", False),
        Column("model", pa.string(), "the weights: name/pretrained, name@checkpoint, or ...random_init... TEST ONLY",
               False),
        Column("embedding", pa.list_(pa.float32()), "L2-normalised; rounded to float16 precision when "
               "clip.embedding_dtype is float16", dictionary=False),
        Column("text", pa.string(), "the text embedded (texts only)", dictionary=False),
    ),
)

CLIP_SCORES = Table(
    name="clip_scores",
    doc="One row per (document, image, text) pair scored: cosine similarity of the embeddings.",
    columns=(
        Column("doc_id", pa.string(), "the document", False),
        Column("image_url", pa.string(), "the image", False),
        Column("text_index", pa.int32(), "position of the text in docs texts; null for alt text"),
        Column("text_kind", pa.string(), "alt_text or paragraph", False),
        Column("similarity", pa.float32(), "cosine similarity of image and text embeddings", False),
        Column("image_sha256", pa.string(), "key of the image embedding", False),
        Column("text_key", pa.string(), "key of the text embedding", False),
        Column("model", pa.string(), "the weights", False),
    ),
)

CLIP_ROWS = union(
    "clip_rows", __doc__.splitlines()[0], CLIP_EMBEDDINGS, REJECTS,
    extra=(Column("row_kind", pa.string(), "embedding or reject", False),),
)
