import pytest

from jobs.config import load_config
from udfs.extract.image_refs import (document_base, image_source, node_image_reason, largest_candidate, parse_srcset,
                             rendered_size, resolve_url)

RULES = load_config().extract.images
PAGE = "http://example.com/news/2024/story.html?x=1"


def test_relative_urls_resolve_against_the_page_path_and_scheme():
    assert resolve_url("img/a.jpg", PAGE) == "http://example.com/news/2024/img/a.jpg"
    assert resolve_url("../b.png", PAGE) == "http://example.com/news/b.png"
    assert resolve_url("/c.png", PAGE) == "http://example.com/c.png"
    assert resolve_url("//cdn.example.org/d.png", "https://example.com/") == "https://cdn.example.org/d.png"
    assert resolve_url("javascript:void(0)", PAGE) is None
    assert resolve_url("ftp://host/x.jpg", PAGE) is None


def test_base_href_wins_and_is_itself_resolved():
    base = document_base(PAGE, "/static/")
    assert base == "http://example.com/static/"
    assert image_source({"src": "a.jpg"}, base)[0] == "http://example.com/static/a.jpg"
    assert document_base(PAGE, "javascript:x") == PAGE


def test_srcset_picks_the_largest_candidate():
    assert parse_srcset("a.jpg 1x, b.jpg 2x") == [("a.jpg", 1.0, "x"), ("b.jpg", 2.0, "x")]
    assert largest_candidate("s.jpg 320w, m.jpg 640w, l.jpg 1280w") == "l.jpg"
    assert largest_candidate("https://x/a.jpg?w=1,2 100w, https://x/b.jpg 300w") == "https://x/b.jpg"
    assert image_source({"srcset": "s.jpg 320w, l.jpg 1280w"}, PAGE)[0] == "http://example.com/news/2024/l.jpg"
    assert parse_srcset("data:image/svg+xml,%3Csvg%3E 600w, real.jpg 300w") == [("real.jpg", 300.0, "w")]
    assert parse_srcset("a.jpg, b.jpg 2x") == [("a.jpg", 1.0, "x"), ("b.jpg", 2.0, "x")]
    assert parse_srcset("a.jpg,b.jpg 2x") == [("a.jpg,b.jpg", 2.0, "x")]  # HTML: commas inside a URL stay


def test_lazy_loading_attributes_beat_placeholders():
    attrs = {"src": "data:image/gif;base64,R0lGOD", "data-src": "/real.jpg", "data-lazy-src": "/other.jpg"}
    url, raw, reason = image_source(attrs, PAGE)
    assert (url, raw, reason) == ("http://example.com/real.jpg", "/real.jpg", None)
    assert image_source({"data-original": "x.png"}, PAGE)[0].endswith("/x.png")


@pytest.mark.parametrize("attrs, reason", [
    ({}, "no_src"), ({"src": "  "}, "no_src"),
    ({"src": "data:image/png;base64,xyz"}, "data_uri"),
    ({"src": "mailto:someone@example.com"}, "unsupported_scheme"),
])
def test_unusable_sources_have_reasons(attrs, reason):
    assert image_source(attrs, PAGE) == (None, None, reason)


def test_rendered_size_from_attributes_or_style():
    assert rendered_size({"width": "300", "height": "200px"}) == (300, 200)
    assert rendered_size({"style": "border:0; width: 640px; max-height: 10px; height:480px"}) == (640, 480)
    assert rendered_size({"width": "100%"}) == (None, None)
    assert rendered_size({"width": "²", "height": "9" * 400}) == (None, 1_000_000)


@pytest.mark.parametrize("url, w, h, reason", [
    ("http://x/a.jpg", 640, 480, None),
    ("http://x/a.JPEG", None, None, None),
    ("http://x/a", None, None, None),  # no extension: kept
    ("http://x/a.gif", 640, 480, "image_format"),
    ("http://x/site-logo.png", 640, 480, "image_banned_url"),
    ("http://x/share_button.png", None, None, "image_banned_url"),
    ("http://x/a.jpg", 1, 1, "tracking_pixel"),
    ("http://www.facebook.com/tr?id=1", None, None, "tracking_pixel"),
    ("http://x/a.jpg", 100, 480, "image_too_small"),
    ("http://x/a.jpg", 30000, 20000, "image_too_large"),
    ("http://x/a.jpg", 1000, 300, "image_aspect"),
    ("http://x/a.jpg", 300, 1000, "image_aspect"),
])
def test_image_rules_with_exact_reasons(url, w, h, reason):
    assert node_image_reason(url, w, h, RULES) == reason
