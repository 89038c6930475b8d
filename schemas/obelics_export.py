"""``export_obelics``: documents in OBELICS's published layout, for users of HF ``datasets``."""
import pyarrow as pa

from schemas.table import Column, Table

OBELICS_EXPORT = Table(
    name="export_obelics",
    doc="Kept documents as OBELICS publishes them: JSON strings where weft has native types.",
    columns=(
        Column("texts", pa.list_(pa.string()), "as docs.texts"),
        Column("images", pa.list_(pa.string()), "as docs.images"),
        Column("metadata", pa.string(), "JSON list aligned with images: an object per image, null per text"),
        Column("general_metadata", pa.string(), "JSON object: url, warc_filename, warc_record_offset, "
               "warc_record_length"),
    ),
)
