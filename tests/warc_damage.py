"""Generated WARC records and damage, shared by the reader's unit tests, the images tests and
the end-to-end run on bad input."""
from __future__ import annotations

import gzip


def rec(i, body=None, cl=None, typ="response") -> bytes:
    """One WARC response record for ``http://a/<i>`` (``cl``: a Content-Length to lie with)."""
    payload = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n" + (body or b"<html>%d</html>" % i)
    head = (f"WARC/1.0\r\nWARC-Type: {typ}\r\nWARC-Target-URI: http://a/{i}\r\n"
            f"WARC-Record-ID: <urn:uuid:{i}>\r\nContent-Type: application/http; msgtype=response\r\n"
            f"Content-Length: {len(payload) if cl is None else cl}\r\n\r\n").encode()
    return head + payload + b"\r\n\r\n"


def per_record_gzip(parts) -> bytes:
    return b"".join(gzip.compress(p, mtime=0) for p in parts)


def empty_record(i) -> bytes:
    """A record with no block at all (Content-Length: 0)."""
    return (f"WARC/1.0\r\nWARC-Type: response\r\nWARC-Target-URI: http://a/{i}\r\nWARC-Record-ID: <urn:uuid:{i}>\r\n"
            "Content-Type: application/http; msgtype=response\r\nContent-Length: 0\r\n\r\n\r\n\r\n").encode()


def damaged_files() -> dict[str, bytes]:
    """File name → bytes of each kind of damage, around intact records."""
    return {
        "negative.warc": rec(0) + rec(1, cl=-5) + rec(2),
        "overlong.warc.gz": per_record_gzip([rec(0), rec(1, cl=10**6), rec(2)]),
        "understated.warc.gz": per_record_gzip([rec(0), rec(1, cl=20), rec(2)]),
        "cut.warc.gz": per_record_gzip([rec(0), rec(1)])[:-20],
        "garbage.warc.gz": per_record_gzip([rec(0)]) + b"garbage" * 50 + per_record_gzip([rec(1)]),
        "zero_byte_record.warc.gz": per_record_gzip([rec(0), empty_record(1), rec(2)]),
        "zero.warc": b"",
        "text.warc": b"hello, I am not an archive\n",
        "png_named.warc.gz": b"\x89PNG\r\n\x1a\n" + b"\x00" * 100,
    }


def record_bytes(warc_type: str, url: str, block: bytes, **headers: str) -> bytes:
    """One uncompressed WARC record of ``warc_type`` for ``url`` with ``block`` and extra headers."""
    fields = {"WARC-Type": warc_type, "WARC-Target-URI": url, "WARC-Record-ID": f"<urn:uuid:{abs(hash(url))}>",
              "WARC-Date": "2024-05-01T10:00:00Z", "Content-Type": "application/http; msgtype=response",
              **headers, "Content-Length": str(len(block))}
    head = "WARC/1.0\r\n" + "".join(f"{k}: {v}\r\n" for k, v in fields.items()) + "\r\n"
    return head.encode() + block + b"\r\n\r\n"
