"""Hostile pages for the extractor: hypothesis strategies for bytes as a crawler receives them
(random bytes, random encodings, wrong charset declarations, broken markup), hand-made extremes,
and the invariant every page must keep through the extract adapter. Shared by
tests/unit/test_fuzz_extract.py and bench/fuzz.py."""
from __future__ import annotations

import time

import pyarrow as pa
from hypothesis import strategies as st

from schemas.pages import PAGES
from udfs.ingest.charset import CharsetError, decode_html
from udfs.extract.documents import PAGE_COLUMNS, documents, load_models

ENCODINGS = ("utf-8", "utf-16", "utf-16-be", "shift_jis", "euc-jp", "iso-2022-jp", "gb18030", "big5", "euc-kr",
             "koi8-r", "cp1251", "cp1252", "iso-8859-7", "latin-1", "cp437", "utf-7")
TAGS = ("html", "head", "body", "title", "meta", "base", "div", "p", "span", "b", "a", "img", "picture", "source",
        "figure", "figcaption", "table", "tr", "td", "ul", "ol", "li", "pre", "code", "br", "hr", "h1", "h2",
        "script", "style", "noscript", "template", "iframe", "svg", "math", "form", "input", "textarea", "select",
        "article", "nav", "header", "footer", "aside", "main", "section", "dl", "dt", "dd", "blockquote", "xmp",
        "plaintext", "frameset", "object", "embed", "video")
ATTRS = ("src", "alt", "srcset", "data-src", "href", "width", "height", "style", "class", "id", "hidden",
         "aria-hidden", "lang", "charset", "content", "http-equiv", "loading", "sizes", "title")
ENTITIES = ("&amp;", "&lt;", "&nbsp;", "&#0;", "&#x110000;", "&#99999999999;", "&#xD800;", "&bogus;", "&", "&#",
            "&#x;", "&amp", "&NotANamedEntity;", "&#128512;", "&copy")
text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=200)
junk = st.sampled_from(("<!--", "-->", "<![CDATA[", "]]>", "<!doctype html>", "<?xml?>", "</", "<", ">", "\x00",
                        "\r\n", "\ufeff", "\u202e", "<//>", "<a<b>", "'\"", "<img", "<meta charset=utf-16>",
                        "<meta http-equiv=content-type content='text/html; charset=shift_jis'>", "<base href=//x>"))
attribute = st.tuples(st.sampled_from(ATTRS), st.one_of(text, st.sampled_from(
    ("", "data:image/png;base64,AAAA", "javascript:alert(1)", "http://[::1", "//cdn/x.jpg 2x, y.jpg 3w",
     "9" * 400, "²", "-1", "1e309", "http://example.com/a.jpg"))))


def _element(tag: str, attrs: list[tuple[str, str]], children: list[str], close: bool) -> str:
    quoted = "".join(f' {k}="{v}"' for k, v in attrs)
    return f"<{tag}{quoted}>{''.join(children)}" + (f"</{tag}>" if close else "")


markup = st.recursive(
    st.one_of(text, junk, st.sampled_from(ENTITIES)),
    lambda children: st.builds(_element, st.sampled_from(TAGS), st.lists(attribute, max_size=4),
                               st.lists(children, max_size=6), st.booleans()),
    max_leaves=40,
).map(lambda s: s if isinstance(s, str) else "".join(s))


def _encode(html: str, encoding: str, declare: str | None) -> bytes:
    head = f"<meta charset={declare}>" if declare else ""
    return (head + html).encode(encoding, errors="replace")


pages = st.one_of(
    st.binary(max_size=4096),  # anything at all
    st.builds(_encode, markup, st.sampled_from(ENCODINGS), st.one_of(st.none(), st.sampled_from(ENCODINGS))),
    st.builds(lambda depth, tag, inner: (f"<{tag}>" * depth + inner).encode(),  # deep, unclosed nesting
              st.integers(0, 4000), st.sampled_from(("div", "li", "td", "span", "b", "blockquote")), markup),
)
http_charsets = st.one_of(st.none(), st.sampled_from(ENCODINGS + ("x-unknown", "", "utf-8; q=1")))


def extremes() -> dict[str, bytes]:
    """Hand-made worst cases (each a few MB, the page-size one 50 MB)."""
    prose = "<p>The museum opened a new wing for modern sculpture and painting this week.</p>"
    return {
        "nesting_10000_div": ("<div>" * 10_000 + prose + "</div>" * 10_000).encode(),
        "nesting_100000_inline": ("<b>" * 100_000 + prose).encode(),
        "nesting_20000_table": ("<table><tr><td>" * 20_000 + prose).encode(),
        "unclosed_200000": ("<p><span><a href=x>" * 200_000).encode(),
        "entity_flood": ("<p>" + "&amp;&#x41;&bogus;&nbsp;" * 500_000 + "</p>").encode(),
        "huge_attribute": (f'<img src="a.jpg" alt="{"x" * 10_000_000}">' + prose).encode(),
        "huge_srcset": ("<img srcset='" + "a.jpg 1x," * 1_000_000 + "'>" + prose).encode(),
        "many_images": (prose + "<img src=/i.jpg alt=a>" * 200_000).encode(),
        "page_50mb": (prose * (50_000_000 // len(prose))).encode(),
        "one_line_50mb_text": b"<p>" + b"word " * 10_000_000,
    }


def page_row(page_id: str, html: str) -> dict:
    return {"page_id": page_id, "url": f"http://fuzz.example/{page_id}", "warc_filename": "fuzz.warc.gz",
            "warc_record_offset": 0, "warc_record_length": 0, "fetch_time": None, "http_status": 200,
            "html": html, "crawl": "fuzz"}


def run_pages(bodies: list[tuple[bytes, str | None]], config) -> tuple[dict[str, list[dict]], list[float]]:
    """Decode each body as ingest does, extract the pages through the adapter's core one batch
    each (docs rows as Arrow; pairs and rejects as they go to the side files); the output rows
    per page id, and each page's seconds."""
    load_models(config.extract)
    by_page: dict[str, list[dict]] = {}
    seconds = []
    schema = pa.schema([PAGES.arrow().field(c) for c in PAGE_COLUMNS])
    for i, (body, charset) in enumerate(bodies):
        try:
            html = decode_html(body, charset)[0]
        except CharsetError as exc:  # ingest's reject (decode_error): the page never reaches extract
            by_page[f"p{i}"] = [{"row_kind": "reject", "stage": "ingest", "reason": "decode_error", "detail": str(exc)}]
            seconds.append(0.0)
            continue
        batch = pa.RecordBatch.from_pylist([page_row(f"p{i}", html)], schema=schema)
        started = time.perf_counter()
        side = KeptSide()
        docs = [r for out in documents(iter(batch.to_pylist()), config, side) for r in out.to_pylist()]
        by_page[f"p{i}"] = [{**r, "row_kind": "doc"} for r in docs] + [{**r, "row_kind": k} for k, r in side.rows]
        seconds.append(time.perf_counter() - started)
    return by_page, seconds


class KeptSide:
    """The task's side writer, keeping the rows in memory (it writes Parquet files in a job)."""

    def __init__(self):
        self.rows: list[tuple[str, dict]] = []

    def add(self, kind: str, row: dict, nbytes: int = 0) -> None:
        self.rows.append((kind, row))


def accounted(rows: list[dict]) -> str:
    """How a page ended: ``doc:kept``/``doc:dropped`` (one doc row, any alt pairs) or
    ``reject:<stage>:<reason>``; raises
    AssertionError for anything else."""
    kinds = [r["row_kind"] for r in rows]
    if kinds == ["reject"]:
        assert rows[0]["stage"] in ("ingest", "extract") and rows[0]["reason"], rows[0]
        return f"reject:{rows[0]['stage']}:{rows[0]['reason']}"
    assert kinds.count("doc") == 1 and set(kinds) <= {"doc", "alt_pair"}, kinds
    return "doc:kept" if next(r for r in rows if r["row_kind"] == "doc")["keep"] else "doc:dropped"
