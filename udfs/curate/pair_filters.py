"""DataComp's basic filter for image-text pairs, each rule a stable reason: the image fetched
and has DataComp's size (min side 200, long/short side <= 3); the caption has more than 2 words
and more than 5 characters, and is in a kept language (fastText lid.176), checked in that order."""
from __future__ import annotations

from udfs.images.image_decode import datacomp_size_reason, fetched_image_reason
from udfs.common.settings import CurateSettings, DatacompImageSizes


def pair_image_reason(status: str | None, width: int | None, height: int | None,
                      sizes: DatacompImageSizes) -> str | None:
    """Why the pair's image fails (``sizes``: images.datacomp), or None."""
    return fetched_image_reason(status, width, height, lambda w, h: datacomp_size_reason(w, h, sizes))


def caption_reason(caption: str | None, lang: str, curate: CurateSettings) -> str | None:
    """Why the caption fails (``curate``: CurateSettings), or None."""
    text = (caption or "").strip()
    if len(text.split()) < curate.min_caption_words:
        return "caption_too_few_words"
    if len(text) < curate.min_caption_chars:
        return "caption_too_short"
    if curate.languages and lang not in curate.languages:
        return "caption_language"
    return None
