"""The images task's output stream: ``images`` and ``rejects`` rows in one Arrow schema."""
import pyarrow as pa

from schemas.images import IMAGES
from schemas.rejects import REJECTS
from schemas.table import Column, union

IMAGE_ROWS = union(
    "image_rows", __doc__.splitlines()[0], IMAGES, REJECTS,
    extra=(Column("row_kind", pa.string(), "image or reject", False),),
)
