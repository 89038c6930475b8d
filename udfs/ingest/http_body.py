"""HTTP responses inside WARC records: status line and headers, body decoding, HTML recognition.

Archived HTTP heads often lie: CommonCrawl's 2008 records say ``gzip``/``chunked`` for bodies
that were stored already decoded. Every decoder here checks that the body really is encoded
before decoding it, and keeps the body as stored otherwise.
"""
from __future__ import annotations

import io
import re
import zlib
from dataclasses import dataclass

HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
# Types that say nothing about the payload: sniff it instead.
GENERIC_TYPES = frozenset({"", "text/plain", "application/octet-stream", "binary/octet-stream",
                           "application/unknown", "unknown/unknown", "application/x-unknown-content-type"})
_SINGLE_VALUED = frozenset({"content-type", "content-length"})  # Fetch: the last one counts
_CHUNK_SIZE = re.compile(rb"\s*([0-9A-Fa-f]+)\s*(?:;[^\n]*)?\r?$")
MAX_HEAD = 64 << 10  # an HTTP head longer than this is treated as body
_STATUS = re.compile(rb"^HTTP/\d(?:\.\d)?\s+(\d{3})\b")
_HTML_START = re.compile(rb"^\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body|title|meta)\b",
                         re.I | re.S)


class BodyError(ValueError):
    """The body cannot be turned into bytes of the page: ``reason`` is the reject reason."""

    def __init__(self, reason: str, detail: str):
        super().__init__(detail)
        self.reason = reason


@dataclass(slots=True)
class HttpResponse:
    status: int
    headers: dict[str, str]  # lower-case names; repeated headers joined with ", "
    body: bytes


def parse_response(block: bytes) -> HttpResponse | None:
    """Split an HTTP response into status, headers and body; None if it has no status line."""
    m = _STATUS.match(block)
    if not m:
        return None
    crlf = block.find(b"\r\n\r\n", 0, MAX_HEAD)
    lf = block.find(b"\n\n", 0, crlf if crlf >= 0 else MAX_HEAD)  # bare LF line ends
    if lf >= 0:
        head_end, body = lf, block[lf + 2:]
    elif crlf >= 0:
        head_end, body = crlf, block[crlf + 4:]
    else:  # a head with no body
        head_end, body = min(len(block), MAX_HEAD), b""
    headers: dict[str, str] = {}
    for line in block[:head_end].decode("latin-1").split("\n")[1:]:
        name, sep, value = line.partition(":")
        if sep:
            key = name.strip().lower()
            value = value.strip()
            joinable = key in headers and key not in _SINGLE_VALUED
            headers[key] = f"{headers[key]}, {value}" if joinable else value
    return HttpResponse(int(m.group(1)), headers, body)


def media_type(content_type: str | None) -> tuple[str, str | None]:
    """(lower-case media type without parameters, charset parameter or None)."""
    if not content_type:
        return "", None
    parts = content_type.split(";")
    charset = None
    for param in parts[1:]:
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset" and value.strip(" \"'"):
            charset = value.strip(" \"'")
    return parts[0].strip().lower(), charset


def looks_like_html(body: bytes) -> bool:
    """Sniff the start of a body for an HTML document."""
    return bool(_HTML_START.match(body[:2048].lstrip(b"\xef\xbb\xbf")))


def html_type(declared: str, identified: str, body: bytes) -> str | None:
    """The media type a payload is HTML by, or None: the declared type when it is HTML, the
    identified type (WARC-Identified-Payload-Type) or sniffing when the declared type is generic."""
    if declared in HTML_TYPES:
        return declared
    if declared not in GENERIC_TYPES:
        return None
    if identified in HTML_TYPES:
        return identified
    return "text/html" if looks_like_html(body) else None


def decode_body(resp: HttpResponse, max_bytes: int) -> bytes:
    """Undo transfer and content encodings the body really carries; at most ``max_bytes``."""
    body = resp.body
    if "chunked" in resp.headers.get("transfer-encoding", "").lower():
        body = dechunk(body)
    for coding in reversed([c.strip().lower() for c in resp.headers.get("content-encoding", "").split(",")]):
        body = _undo_coding(coding, body, max_bytes)
    if len(body) > max_bytes:
        raise BodyError("too_large", f"body of {len(body)} bytes exceeds {max_bytes}")
    return body


def dechunk(body: bytes) -> bytes:
    """Decode chunked transfer encoding; a body that is not validly chunked is returned as is."""
    out, pos = [], 0
    while True:
        eol = body.find(b"\n", pos)
        if eol < 0:
            return body
        m = _CHUNK_SIZE.match(body, pos, eol)
        if not m:
            return body
        size = int(m.group(1), 16)
        if size == 0:
            return b"".join(out)
        start = eol + 1
        if start + size > len(body):
            out.append(body[start:])  # last chunk cut short by the crawler: keep what is there
            return b"".join(out)
        out.append(body[start:start + size])
        pos = start + size
        while body[pos:pos + 1] in (b"\r", b"\n") and pos < len(body):
            pos += 1
        if pos >= len(body):
            return b"".join(out)


def _undo_coding(coding: str, body: bytes, max_bytes: int) -> bytes:
    if coding in ("gzip", "x-gzip") and body[:2] == b"\x1f\x8b":
        return _inflate(body, 47, max_bytes)
    if coding == "deflate":
        for wbits in (15, -15):
            try:
                return _inflate(body, wbits, max_bytes)
            except BodyError as exc:
                if exc.reason == "too_large":
                    raise
        return body
    if coding == "br":
        return _with_reader("BrotliReader", body, max_bytes)
    if coding == "zstd" and body[:4] == b"\x28\xb5\x2f\xfd":
        return _with_reader("ZstdReader", body, max_bytes)
    return body


def _inflate(body: bytes, wbits: int, max_bytes: int) -> bytes:
    dec = zlib.decompressobj(wbits)
    try:
        out = dec.decompress(body, max_bytes + 1)
    except zlib.error as exc:
        if wbits == 47:  # claimed gzip with a gzip header but a broken stream
            raise BodyError("decode_error", f"gzip body: {exc}") from None
        raise BodyError("not_encoded", str(exc)) from None
    if len(out) > max_bytes:
        raise BodyError("too_large", f"decoded body exceeds {max_bytes} bytes")
    return out


def _with_reader(name: str, body: bytes, max_bytes: int) -> bytes:
    from fastwarc import stream_io

    try:
        out = getattr(stream_io, name)(io.BytesIO(body), fsspec_args=False).read(max_bytes + 1)
    except (OSError, ValueError):
        return body  # not really encoded that way
    if len(out) > max_bytes:
        raise BodyError("too_large", f"decoded body exceeds {max_bytes} bytes")
    return out
