"""``images``: one row per distinct image URL of the kept documents and alt-text pairs."""
import pyarrow as pa

from schemas.table import Column, Table

IMAGES = Table(
    name="images",
    doc="Every distinct image URL with its download status; decoded images with sizes, hashes, a "
        "normalised copy and the OBELICS/DataComp size tags (curate decides).",
    columns=(
        Column("image_url", pa.string(), "the URL as documents reference it", False),
        Column("status", pa.string(), "ok, or why not: http_404, timeout, too_large, not_an_image, decode_error, "
               "blocked_address, robots_noai, ...", False),
        Column("sha256", pa.string(), "SHA-256 of the downloaded bytes"),
        Column("width", pa.int32(), "original width in pixels (as stored, before EXIF orientation)"),
        Column("height", pa.int32(), "original height in pixels"),
        Column("format", pa.string(), "Pillow's format name: JPEG, PNG, GIF, WEBP, ..."),
        Column("image_bytes", pa.binary(), "RGB copy, longest side <= images.thumbnail_side, JPEG or WebP",
               dictionary=False, wide=True),
        Column("image_width", pa.int32(), "width of image_bytes"),
        Column("image_height", pa.int32(), "height of image_bytes"),
        Column("oriented_width", pa.int32(), "width after EXIF orientation (the size rules use this)"),
        Column("oriented_height", pa.int32(), "height after EXIF orientation"),
        Column("n_frames", pa.int32(), "frames in the file (animations: the first is kept)"),
        Column("phash", pa.int64(), "64-bit DCT perceptual hash (near-duplicate images), signed"),
        Column("obelics_ok", pa.bool_(), "passes OBELICS's size rules (min side 150, max 20000, aspect 0.5-2)"),
        Column("obelics_reason", pa.string(), "first OBELICS size rule failed: too_small, too_large, aspect"),
        Column("datacomp_ok", pa.bool_(), "passes DataComp's basic size rules (min side 200, aspect <= 3)"),
        Column("datacomp_reason", pa.string(), "first DataComp size rule failed: too_small, aspect"),
        Column("content_type", pa.string(), "Content-Type of the response"),
        Column("byte_size", pa.int64(), "bytes downloaded"),
        Column("http_status", pa.int32(), "HTTP status of the last response"),
        Column("source", pa.string(), "archive (archived_images: the input WARCs hold it) or web (downloaded)"),
        Column("fetch_time", pa.timestamp("us", tz="UTC"), "when it was fetched: the archived record's WARC-Date, "
               "or the download's start"),
        Column("final_url", pa.string(), "URL fetched last (after rewrites and redirects), or file@offset"),
        Column("attempts", pa.int32(), "requests made, redirects and retries included"),
        Column("fetch_seconds", pa.float32(), "download and decode time"),
        Column("detail", pa.string(), "human-readable detail of a failure"),
    ),
)
