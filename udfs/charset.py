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
    "gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "euc-kr": "cp949", "ks_c_5601-1987": "cp949",
    "shift_jis": "cp932", "sjis": "cp932", "x-sjis": "cp932", "ms_kanji": "cp932", "big5": "big5hkscs",
}
_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))
_META = re.compile(rb"""<meta[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9_:.+-]+)""", re.I)
MAX_REPLACED = 0.05  # share of U+FFFD above which a decode is judged a failure


class CharsetError(ValueError):
    """No charset decodes the body into text."""


def codec_for(label: str | None) -> str | None:
    """Python codec name for a charset label, or None for unknown labels."""
    if not label:
        return None
    name = label.strip().strip("\"'").lower()
    name = _SUPERSETS.get(name, name)
    try:
        codec = codecs.lookup(name).name
    except LookupError:
        return None
    if codec.startswith("utf-16") or codec.startswith("utf-32"):
        return "utf-8"  # WHATWG: a declared UTF-16 in a byte-oriented prescan means UTF-8
    return _SUPERSETS.get(codec, codec)


def meta_charset(body: bytes) -> str | None:
    """Charset declared by a ``<meta>`` tag in the first 4 KiB."""
    m = _META.search(body, 0, 4096)
    return m.group(1).decode("ascii", "ignore") if m else None


def decode_html(body: bytes, http_charset: str | None) -> tuple[str, str, str]:
    """(text, codec, source) where source is bom, http, meta, utf8 or detector."""
    for bom, codec in _BOMS:
        if body.startswith(bom):
            return body[len(bom):].decode(codec, "replace"), codec, "bom"
    candidates = [(codec_for(http_charset), "http"), (codec_for(meta_charset(body)), "meta"), ("utf-8", "utf8")]
    for codec, source in candidates:
        if codec:
            try:
                return body.decode(codec), codec, source
            except UnicodeDecodeError:
                continue
    codec, source = _detect(body), "detector"
    if codec is None:
        codec, source = next((c, s) for c, s in candidates if c)
    text = body.decode(codec, "replace")
    if text.count("\ufffd") > MAX_REPLACED * max(len(text), 1):
        raise CharsetError(f"{codec} ({source}) leaves {text.count(chr(0xFFFD))} undecodable characters")
    return text, codec, source


def _detect(body: bytes) -> str | None:
    import cchardet

    return codec_for(cchardet.detect(body[:65536]).get("encoding"))
