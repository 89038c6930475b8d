import gzip
import zlib

import pytest

from udfs.ingest.http_body import (BodyError, HttpResponse, decode_body, dechunk, html_type, looks_like_html, media_type,
                            parse_response)

PAGE = b"<!DOCTYPE html><html><head><title>t</title></head><body><p>hello</p></body></html>"


def response(headers: str, body: bytes) -> bytes:
    return b"HTTP/1.1 200 OK\r\n" + headers.encode() + b"\r\n\r\n" + body


def test_parse_response_splits_status_headers_body():
    resp = parse_response(response("Content-Type: text/html\r\nSet-Cookie: a=1\r\nset-cookie: b=2", PAGE))
    assert resp.status == 200
    assert resp.headers["content-type"] == "text/html"
    assert resp.headers["set-cookie"] == "a=1, b=2"
    assert resp.body == PAGE
    assert parse_response(b"HTTP/1.0 404 Not Found\n\nmissing").status == 404
    assert parse_response(PAGE) is None
    lf_head = parse_response(b"HTTP/1.1 200 OK\nContent-Type: text/html\n\n<p>a</p>\r\n\r\n<p>b</p>")
    assert lf_head.headers == {"content-type": "text/html"} and lf_head.body.startswith(b"<p>a</p>")


def test_media_type_and_charset_parameter():
    assert media_type('Text/HTML; Charset="ISO-8859-1"') == ("text/html", "ISO-8859-1")
    assert media_type("application/xhtml+xml") == ("application/xhtml+xml", None)
    assert media_type(None) == ("", None)


def test_html_recognition_order():
    assert html_type("text/html", "", b"") == "text/html"
    assert html_type("image/gif", "text/html", PAGE) is None  # a declared non-HTML type is believed
    assert html_type("", "text/html", b"binary") == "text/html"  # identified type when undeclared
    assert html_type("text/plain", "", b"\xef\xbb\xbf  <!-- c -->\n<HTML lang=en>") == "text/html"
    assert html_type("application/octet-stream", "", b"GIF89a...") is None
    assert looks_like_html(b'<?xml version="1.0"?>\n<!DOCTYPE html PUBLIC "x">')


def test_dechunk_valid_and_lying_headers():
    assert dechunk(b"5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\n\r\n") == b"hello world"
    assert dechunk(PAGE) == PAGE  # says chunked, is not (CommonCrawl 2008)
    assert dechunk(b"a\r\n0123") == b"0123"  # crawler cut the last chunk: keep what is there


def test_decode_body_undoes_real_encodings_only():
    gz = HttpResponse(200, {"content-encoding": "gzip"}, gzip.compress(PAGE))
    assert decode_body(gz, 1 << 20) == PAGE
    lying = HttpResponse(200, {"content-encoding": "gzip", "transfer-encoding": "chunked"}, PAGE)
    assert decode_body(lying, 1 << 20) == PAGE
    raw_deflate = zlib.compressobj(wbits=-15)
    deflated = raw_deflate.compress(PAGE) + raw_deflate.flush()
    assert decode_body(HttpResponse(200, {"content-encoding": "deflate"}, deflated), 1 << 20) == PAGE
    both = HttpResponse(200, {"content-encoding": "gzip", "transfer-encoding": "chunked"},
                        b"%x\r\n" % len(gzip.compress(PAGE)) + gzip.compress(PAGE) + b"\r\n0\r\n\r\n")
    assert decode_body(both, 1 << 20) == PAGE


def test_decompression_bomb_and_oversized_bodies_are_too_large():
    bomb = HttpResponse(200, {"content-encoding": "gzip"}, gzip.compress(b"<p>" + b"a" * (5 << 20)))
    with pytest.raises(BodyError) as err:
        decode_body(bomb, 1 << 20)
    assert err.value.reason == "too_large"
    with pytest.raises(BodyError, match="exceeds"):
        decode_body(HttpResponse(200, {}, b"x" * 2048), 1024)


def test_broken_gzip_is_a_decode_error():
    broken = gzip.compress(PAGE)[:10] + b"\x07" + b"\x00" * 40  # deflate block type 3 is invalid
    with pytest.raises(BodyError) as err:
        decode_body(HttpResponse(200, {"content-encoding": "gzip"}, broken), 1 << 20)
    assert err.value.reason == "decode_error"


def test_negative_or_garbled_chunk_sizes_leave_the_body_alone():
    assert dechunk(b"-4\r\n<html>hi</html>\r\n0\r\n\r\n") == b"-4\r\n<html>hi</html>\r\n0\r\n\r\n"
    assert dechunk(b"0x5\r\nhello\r\n0\r\n\r\n").startswith(b"0x5")


def test_repeated_content_type_keeps_the_last():
    resp = parse_response(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Type: text/html\r\n\r\n<p>")
    assert media_type(resp.headers["content-type"]) == ("text/html", None)
