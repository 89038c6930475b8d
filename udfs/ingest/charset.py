"""Bytes of an HTML page to text: BOM, then the HTTP charset, then ``<meta charset>``, then
UTF-8, then a detector; labels mapped the way browsers map them (WHATWG Encoding)."""
from __future__ import annotations

import codecs
import re

# WHATWG Encoding: labels browsers decode with a superset codec.
_SUPERSETS = {
    "ascii": "cp1252", "us-ascii": "cp1252", "latin-1": "cp1252", "iso8859-1": "cp1252",
    "iso-8859-1": "cp1252", "l1": "cp1252", "cp819": "cp1252", "iso8859-9": "cp1254",
    "iso-8859-9": "cp1254", "latin5": "cp1254", "tis-620": "cp874", "iso8859-11": "cp874",
    "windows-874": "cp874", "iso-8859-8-i": "iso8859-8", "x-mac-roman": "mac-roman", "ucs-2": "utf-8",
    "gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "euc-kr": "cp949", "ks_c_5601-1987": "cp949",
    "shift_jis": "cp932", "sjis": "cp932", "x-sjis": "cp932", "ms_kanji": "cp932", "big5": "big5hkscs",
}
# Codecs that are not page encodings: they turn bytes into escapes, surrogates or errors.
_NOT_PAGE_CODECS = {"utf-7", "unicode-escape", "raw-unicode-escape", "punycode", "idna", "undefined", "mbcs",
                    "oem", "palmos", "unicode-internal"}
_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))
_META = re.compile(rb"""<meta[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9_:.+-]+)""", re.I)
MAX_REPLACED = 0.05  # share of U+FFFD above which a detector's decode is judged a failure
# WHATWG windows-1252 maps the five bytes Python's cp1252 leaves undefined to C1 controls.
codecs.register_error("weft_c1", lambda err: (err.object[err.start:err.end].decode("latin-1"), err.end))


class CharsetError(ValueError):
    """No charset decodes the body into text."""


def codec_for(label: str | None) -> str | None:
    """Python codec name for a charset label; None for unknown labels and non-text codecs."""
    if not label:
        return None
    name = label.strip().strip("\"'").lower()
    name = _SUPERSETS.get(name, name)
    try:
        info = codecs.lookup(name)
    except LookupError:
        return None
    if not getattr(info, "_is_text_encoding", True) or info.name in _NOT_PAGE_CODECS:
        return None
    if info.name.startswith(("utf-16", "utf-32")):
        return "utf-8"  # WHATWG: a declared UTF-16 in a byte-oriented prescan means UTF-8
    return _SUPERSETS.get(info.name, info.name)


def meta_charset(body: bytes) -> str | None:
    """Charset declared by a ``<meta>`` tag in the first 4 KiB."""
    m = _META.search(body, 0, 4096)
    return m.group(1).decode("ascii", "ignore") if m else None


def decode_html(body: bytes, http_charset: str | None) -> tuple[str, str, str]:
    """(text, codec, source) where source is bom, http, meta, utf8 or detector.

    Declared charsets and UTF-8 are tried strictly first; then leniently, accepting a decode
    whose undecodable bytes are rare next to the non-ASCII text it decoded (a page that really
    is in that charset with a few bad bytes); then the detector."""
    for bom, codec in _BOMS:
        if body.startswith(bom):
            return _decode(body[len(bom):], codec, "replace"), codec, "bom"
    candidates = [(codec_for(http_charset), "http"), (codec_for(meta_charset(body)), "meta"), ("utf-8", "utf8")]
    candidates = [(c, s) for c, s in candidates if c]
    for codec, source in candidates:
        try:
            return _decode(body, codec, "strict"), codec, source
        except (UnicodeError, LookupError):
            continue
    for codec, source in candidates:
        text = _decode(body, codec, "replace")
        bad = text.count("\ufffd")
        non_ascii = len(text) - len(text.encode("ascii", "ignore")) - bad
        if bad * 10 <= non_ascii and bad <= 0.01 * len(text):
            return text, codec, source
    codec, source = _detect(body), "detector"
    if codec is None:
        codec, source = candidates[0]
    text = _decode(body, codec, "replace")
    if text.count("\ufffd") > MAX_REPLACED * max(len(text), 1):
        raise CharsetError(f"{codec} ({source}) leaves {text.count(chr(0xFFFD))} undecodable characters")
    return text, codec, source


def _decode(body: bytes, codec: str, errors: str) -> str:
    return body.decode(codec, "weft_c1" if codec == "cp1252" else errors)


def _detect(body: bytes) -> str | None:
    import cchardet

    return codec_for(cchardet.detect(body[:65536]).get("encoding"))
