"""Decoding one downloaded image with Pillow: checks, normalised thumbnail, hashes, size tags.

The pixel count is checked from the header before any pixel is decoded (decompression bombs:
``too_many_pixels``); the file is verified, then decoded: EXIF orientation applied, the first
frame of an animation taken, palette/CMYK/alpha converted to RGB (transparency over white). The
original ``width``/``height``/``format`` are recorded; ``image_bytes`` is a copy whose longest
side is at most ``thumbnail_side`` (JPEGs are decoded at a reduced DCT scale when that is
enough). ``sha256`` is of the original bytes; ``phash`` is the 64-bit DCT perceptual hash
(Zauner 2010, as the ``imagehash`` package computes it) of that copy, in numpy.
Size rules of OBELICS and DataComp are tags here; the curate stage decides.
"""
from __future__ import annotations

import hashlib
import io
import threading
import warnings
from contextlib import ExitStack, contextmanager
from functools import lru_cache
from typing import Any

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from udfs.common.settings import DatacompImageSizes, ImageSizes, ImagesSettings


def size_reason(width: int, height: int, sizes: ImageSizes) -> str | None:
    """OBELICS-style size rule (``sizes``: min/max side, min/max width/height): the first one
    failed (too_small, too_large, aspect), or None."""
    aspect = width / height if height else float("inf")
    return ("too_small" if min(width, height) < sizes.min_side else "too_large" if max(width, height) > sizes.max_side
            else "aspect" if not sizes.min_aspect <= aspect <= sizes.max_aspect else None)


def fetched_image_reason(status: str | None, width: int | None, height: int | None, rule) -> str | None:
    """Why an ``images`` row fails a later stage's image rule: image_not_fetched unless its status
    is ok, else its size against ``rule`` (``(width, height) -> reason | None``, as
    ``size_reason``): image_size_unknown, ``image_<reason>``, or None."""
    if status != "ok":
        return "image_not_fetched"
    if not width or not height:
        return "image_size_unknown"
    reason = rule(width, height)
    return f"image_{reason}" if reason else None


def datacomp_size_reason(width: int, height: int, sizes: DatacompImageSizes) -> str | None:
    """DataComp's basic size rule (``sizes``: min side, max long/short ratio): too_small, aspect, or None."""
    if min(width, height) < sizes.min_side:
        return "too_small"
    return "aspect" if max(width, height) > sizes.max_aspect * min(width, height) else None


def size_tags(width: int, height: int, images: ImagesSettings) -> dict[str, Any]:
    """OBELICS and DataComp size rules as booleans, and the first failing reason of each."""
    obelics_reason = size_reason(width, height, images.obelics)
    datacomp_reason = datacomp_size_reason(width, height, images.datacomp)
    return {"obelics_ok": obelics_reason is None, "obelics_reason": obelics_reason,
            "datacomp_ok": datacomp_reason is None, "datacomp_reason": datacomp_reason}


@lru_cache(maxsize=4)
def _dct_matrix(n: int) -> np.ndarray:
    """The unnormalised DCT-II matrix (rows: frequencies), as scipy.fftpack.dct computes it."""
    k = np.arange(n)[:, None]
    return 2 * np.cos(np.pi * (2 * np.arange(n)[None, :] + 1) * k / (2 * n))


def phash(image: Image.Image, hash_size: int = 8, factor: int = 4) -> int:
    """64-bit perceptual hash: grey 32x32 (Lanczos), 2-D DCT, the 8x8 lowest frequencies
    compared with their median; bit i (row-major, first = most significant) set when above.
    Equal to ``imagehash.phash`` (tested). Signed for Spark's bigint."""
    side = hash_size * factor
    pixels = np.asarray(image.convert("L").resize((side, side), Image.Resampling.LANCZOS), dtype=np.float64)
    dct = _dct_matrix(side)
    low = (dct @ pixels @ dct.T)[:hash_size, :hash_size]  # dct(dct(pixels, axis=0), axis=1)
    bits = (low > np.median(low)).ravel()
    value = int("".join("1" if b else "0" for b in bits), 2)
    return value - (1 << 64) if value >= 1 << 63 else value


def _to_rgb(image: Image.Image) -> Image.Image:
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB") if image.mode != "RGB" else image


def decode(body: bytes, content_type: str | None, images: ImagesSettings) -> dict[str, Any]:
    """The images row fields for a downloaded body (``images``: ImagesSettings): ``status``
    ``ok`` with sizes, hashes and ``image_bytes``, or a failure reason and ``detail``."""
    row: dict[str, Any] = {"sha256": hashlib.sha256(body).hexdigest(), "byte_size": len(body),
                           "content_type": content_type}
    if not body:
        return {**row, "status": "empty_body", "detail": "zero bytes"}
    stack = ExitStack()  # the pixel budget is held from the full decode to the saved thumbnail
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(body)) as probe:
                width, height = probe.size
                row.update(width=width, height=height, format=probe.format,
                           n_frames=getattr(probe, "n_frames", 1))
                if width * height > images.max_pixels:
                    return {**row, "status": "too_many_pixels", "detail": f"{width}x{height} > {images.max_pixels}"}
                probe.verify()
            stack.enter_context(DECODING.hold(width * height, images.max_pixels))
            with Image.open(io.BytesIO(body)) as image:
                image.seek(0)  # first frame of an animation
                orientation = image.getexif().get(0x0112, 1)
                if image.format == "JPEG":  # decode at the smallest DCT scale still >= the thumbnail
                    image.draft("RGB", (images.thumbnail_side, images.thumbnail_side))
                image.load()
                upright = ImageOps.exif_transpose(image)
                rgb = _to_rgb(upright)
    except UnidentifiedImageError as exc:
        typed = (content_type or "").split(";")[0].strip().lower()
        reason = "not_an_image" if not typed.startswith("image/") else "decode_error"
        stack.close()
        return {**row, "status": reason, "detail": f"{typed or 'no Content-Type'}: {exc}"[:300]}
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        stack.close()
        return {**row, "status": "too_many_pixels", "detail": str(exc)[:300]}
    except (OSError, SyntaxError, ValueError, EOFError, MemoryError) as exc:  # truncated, broken streams
        stack.close()
        return {**row, "status": "decode_error", "detail": f"{type(exc).__name__}: {exc}"[:300]}
    except BaseException:
        stack.close()
        raise
    with stack:
        thumbnail = rgb  # a new image already (exif_transpose / convert), so resized in place
        thumbnail.thumbnail((images.thumbnail_side, images.thumbnail_side))
        out = io.BytesIO()
        thumbnail.save(out, format=images.thumbnail_format.upper(), quality=images.thumbnail_quality)
    oriented = (height, width) if orientation in (5, 6, 7, 8) else (width, height)  # rotated a quarter turn
    return {**row, "status": "ok", "oriented_width": oriented[0], "oriented_height": oriented[1],
            "phash": phash(thumbnail), "image_bytes": out.getvalue(), "image_width": thumbnail.width,
            "image_height": thumbnail.height, **size_tags(*oriented, images)}


class PixelBudget:
    """Pixels being decoded at once by a worker's threads, at most ``limit`` (one image alone may
    reach it): 32 download threads must not each hold a full-size decode (~12 bytes a pixel
    while converting)."""

    def __init__(self):
        self.cond = threading.Condition()
        self.used = 0

    @contextmanager
    def hold(self, pixels: int, limit: int):
        with self.cond:
            while self.used and self.used + pixels > limit:
                self.cond.wait()
            self.used += pixels
        try:
            yield
        finally:
            with self.cond:
                self.used -= pixels
                self.cond.notify_all()


DECODING = PixelBudget()


def configure_pillow(max_pixels: int) -> None:
    """Pillow's own bomb limit, per worker (above it ``decode`` turns Pillow's warning into a
    ``too_many_pixels`` status; at twice it Pillow itself refuses to open the file)."""
    Image.MAX_IMAGE_PIXELS = max_pixels
