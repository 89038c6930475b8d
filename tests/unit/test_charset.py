import pytest

from udfs.ingest.charset import CharsetError, codec_for, decode_html, meta_charset

RUSSIAN = "<html><body><p>Привет, мир! Это страница на русском языке, довольно длинная для детектора.</p></body></html>"


def test_whatwg_label_mapping():
    assert codec_for("ISO-8859-1") == "cp1252"
    assert codec_for("us-ascii") == "cp1252"
    assert codec_for("GB2312") == "gb18030"
    assert codec_for("utf-16") == "utf-8"
    assert codec_for("x-no-such-charset") is None


def test_meta_charset_both_forms():
    assert meta_charset(b'<head><meta charset="windows-1251">') == "windows-1251"
    assert meta_charset(b'<meta http-equiv="Content-Type" content="text/html; charset=Shift_JIS">') == "Shift_JIS"
    assert meta_charset(b"<p>no declaration</p>") is None


def test_precedence_bom_http_meta_utf8_detector():
    body = RUSSIAN.encode("cp1251")
    assert decode_html(body, "windows-1251")[1:] == ("cp1251", "http")
    meta = b'<meta charset="windows-1251">' + body
    assert decode_html(meta, None)[1:] == ("cp1251", "meta")
    assert decode_html(meta, "no-such-label")[2] == "meta"  # unknown label: next candidate
    assert decode_html(RUSSIAN.encode("utf-8"), None)[1:] == ("utf-8", "utf8")
    assert decode_html(b"\xef\xbb\xbf" + RUSSIAN.encode("utf-8"), "iso-8859-1")[2] == "bom"
    text, codec, source = decode_html(body, None)
    assert source == "detector" and "Привет" in text


def test_declared_charset_that_fails_falls_through():
    text, codec, source = decode_html(RUSSIAN.encode("utf-8"), "shift_jis")
    assert (codec, source) == ("utf-8", "utf8") and "Привет" in text


def test_binary_garbage_is_a_decode_error():
    garbage = bytes(range(128, 256)) * 64
    with pytest.raises(CharsetError):
        decode_html(garbage, "utf-8")


def test_non_page_codecs_are_refused():
    for label in ("utf-7", "unicode_escape", "hex", "base64", "rot13", "undefined"):
        assert codec_for(label) is None, label
    text, codec, _ = decode_html(b"<html>+2D0- hi</html>", "utf-7")
    assert codec == "utf-8" and "+2D0-" in text


def test_declared_utf8_with_one_bad_byte_stays_utf8():
    russian = "Привет, мир! Это длинная страница на русском языке. " * 20
    text, codec, source = decode_html(russian.encode() + b"\xff" + russian.encode(), "utf-8")
    assert (codec, source) == ("utf-8", "http") and text.count("\ufffd") == 1 and "Привет" in text


def test_windows_1252_undefined_bytes_decode_like_browsers():
    text, codec, _ = decode_html(b"caf\xe9 \x81\x8d\x8f\x90\x9d", "iso-8859-1")
    assert codec == "cp1252" and text == "café \x81\x8d\x8f\x90\x9d"
