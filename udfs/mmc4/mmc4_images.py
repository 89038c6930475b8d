"""MMC4's candidate images: which of a document's images may be placed at its sentences.

A candidate fetched ``ok``, has an allowed format, no banned URL substring, MMC4's size and
aspect ratio (on the EXIF-oriented size), and is not a perceptual-hash duplicate of an earlier
candidate of the same document. Every other image gets a stable reason.
"""
from __future__ import annotations

from typing import Any

from udfs.images.image_decode import fetched_image_reason, size_reason
from udfs.extract.image_refs import banned_url
from udfs.common.settings import Mmc4Settings

# One image of a document as the mmc4 stage sees it: its docs position and URL, and its
# images-table row (status, format, oriented size, phash, sha256; None when never fetched).
ImageRef = dict[str, Any]


def candidate_reason(ref: ImageRef, mmc4: Mmc4Settings, banned: list[str]) -> str | None:
    """Why an image cannot be a candidate (``mmc4``: Mmc4Settings), or None."""
    reason = fetched_image_reason(ref.get("status"), ref.get("oriented_width"), ref.get("oriented_height"),
                                  lambda w, h: size_reason(w, h, mmc4.images))
    if reason == "image_not_fetched":
        return reason
    if ref.get("format") not in mmc4.formats:
        return "image_format"
    if banned_url(ref["image_url"], banned):
        return "image_banned_url"
    return reason


def hamming(a: int, b: int) -> int:
    return bin((a ^ b) & 0xFFFF_FFFF_FFFF_FFFF).count("1")


def candidates(refs: list[ImageRef], mmc4: Mmc4Settings,
               banned: list[str]) -> tuple[list[ImageRef], list[tuple[str, str]]]:
    """(candidates in page order, [(url, reason)] for the other images)."""
    kept: list[ImageRef] = []
    dropped: list[tuple[str, str]] = []
    for ref in refs:
        reason = candidate_reason(ref, mmc4, banned)
        if reason is None and mmc4.phash_max_distance >= 0 and ref.get("phash") is not None and any(
                k.get("phash") is not None and hamming(k["phash"], ref["phash"]) <= mmc4.phash_max_distance
                for k in kept):
            reason = "image_duplicate_phash"
        if reason is None:
            kept.append(ref)
        else:
            dropped.append((ref["image_url"], reason))
    return kept, dropped
