"""``<img>`` references: which attribute holds the image, ``srcset`` parsing, URL resolution,
rendered size; and the node-level image filters (each returns None to keep, or a reason)."""
from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

from udfs.common.settings import ImageRules

# OBELICS: the attributes an image URL is taken from, in order (lazy-loading libraries included).
SOURCE_ATTRIBUTES = ("src", "data-src", "data-src-fg", "data-scroll-image", "srcset", "data-lateloadsrc",
                     "data-img-src", "data-original", "data-gt-lazy-src", "data-lazy", "data-lazy-src", "src2")
_SRCSET_ATTRIBUTES = frozenset({"srcset", "data-srcset"})
_DESCRIPTOR = re.compile(r"^(\d+(?:\.\d+)?)([wx])$")
_STYLE_SIZE = re.compile(r"(?<![-\w])(width|height)\s*:\s*(\d{1,9}(?:\.\d{1,6})?)px", re.I)
MAX_PIXELS = 1_000_000
_EXTENSION = re.compile(r"\.([A-Za-z0-9]{2,5})$")


def parse_srcset(value: str) -> list[tuple[str, float, str]]:
    """Candidates (url, size, unit) of a srcset, tokenized as the HTML standard does: a URL is a
    run of non-space characters (a trailing comma ends the candidate), descriptors run to the
    next comma. Unit 'w' (width) or 'x' (density, default 1x); data: URLs are skipped."""
    candidates, pos, n = [], 0, len(value)
    while pos < n:
        while pos < n and (value[pos].isspace() or value[pos] == ","):
            pos += 1
        start = pos
        while pos < n and not value[pos].isspace():
            pos += 1
        url = value[start:pos]
        descriptors = ""
        if url.endswith(","):
            url = url.rstrip(",")
        else:
            end = value.find(",", pos)
            end = n if end < 0 else end
            descriptors, pos = value[pos:end].strip(), end + 1
        if not url or url.lower().startswith("data:"):
            continue
        size, unit = 1.0, "x"
        m = _DESCRIPTOR.match(descriptors.split()[0]) if descriptors else None
        if m:
            size, unit = float(m.group(1)), m.group(2)
        candidates.append((url, size, unit))
    return candidates


def largest_candidate(value: str) -> str | None:
    """The srcset candidate with the largest width (then density)."""
    candidates = parse_srcset(value)
    if not candidates:
        return None
    return max(candidates, key=lambda c: (c[2] == "w", c[1]))[0]


def image_source(attrs: dict[str, str | None], base_url: str) -> tuple[str | None, str | None, str | None]:
    """(absolute URL, raw attribute value, reason) for an ``<img>``: the first of OBELICS's
    attributes that resolves to an http(s) URL, so a lazy image's real URL wins over a data:
    placeholder in ``src``. The reason (no_src, data_uri, unsupported_scheme) is set when none does."""
    reason = "no_src"
    for name in SOURCE_ATTRIBUTES:
        raw = (attrs.get(name) or "").strip()
        if not raw:
            continue
        value = largest_candidate(raw) if name in _SRCSET_ATTRIBUTES or _looks_like_srcset(raw) else raw
        if not value:
            continue
        if value.lower().startswith("data:"):
            reason = "data_uri"
            continue
        url = resolve_url(value, base_url)
        if url is None:
            reason = "unsupported_scheme"
            continue
        return url, raw, None
    return None, None, reason


def _looks_like_srcset(value: str) -> bool:
    return "," in value and bool(re.search(r"\s\d+(?:\.\d+)?[wx](?:,|\s*$)", value))


def resolve_url(value: str, base_url: str) -> str | None:
    """``value`` resolved against the base URL (RFC 3986, as browsers do); None unless http(s)."""
    try:
        url = urljoin(base_url, value.strip())
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return url


def document_base(page_url: str, base_href: str | None) -> str:
    """The base URL of a page: ``<base href>`` resolved against the page URL, when it is http(s)."""
    if base_href:
        resolved = resolve_url(base_href, page_url)
        if resolved:
            return resolved
    return page_url


def rendered_size(attrs: dict[str, str | None]) -> tuple[int | None, int | None]:
    """Width and height in CSS pixels from the width/height attributes or the inline style."""
    sizes: dict[str, int | None] = {"width": None, "height": None}
    for m in _STYLE_SIZE.finditer(attrs.get("style") or ""):
        sizes[m.group(1).lower()] = _pixels(m.group(2))
    for name in sizes:
        value = (attrs.get(name) or "").strip().lower().removesuffix("px")
        if value.isascii() and value.isdigit():
            sizes[name] = _pixels(value)
    return sizes["width"], sizes["height"]


def _pixels(value: str) -> int | None:
    """A pixel count, capped so it always fits the int32 columns (a page may say 10^400)."""
    try:
        return min(int(value) if value.isdigit() else int(float(value)), MAX_PIXELS)
    except (ValueError, OverflowError):
        return None


def banned_url(url: str, substrings: list[str]) -> bool:
    """OBELICS's (and MMC4's) URL ban list: the URL contains one of ``substrings`` (logo, icon, ...)."""
    lowered = url.lower()
    return any(word in lowered for word in substrings)


def node_image_reason(url: str, width: int | None, height: int | None, rules: ImageRules) -> str | None:
    """Node-level image filter (``rules`` is an ImageRules); None keeps the image."""
    parts = urlsplit(url)
    if (width is not None and width <= 2 and height is not None and height <= 2) or \
            parts.hostname in rules.beacon_hosts:
        return "tracking_pixel"
    ext = _EXTENSION.search(parts.path)
    if ext and ext.group(1).lower() not in rules.formats:
        return "image_format"
    if banned_url(url, rules.banned_url_substrings):
        return "image_banned_url"
    known = [s for s in (width, height) if s is not None]
    if known and min(known) < rules.min_side:
        return "image_too_small"
    if known and max(known) > rules.max_side:
        return "image_too_large"
    if width and height and not rules.min_aspect <= width / height <= rules.max_aspect:
        return "image_aspect"
    return None
