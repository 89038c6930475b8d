"""The run report page: self-contained HTML with the funnel table and inline plots."""
import base64
import re
from html.parser import HTMLParser

import io

from PIL import Image

from udfs.report.report_html import Bars, Histogram, page, samples_section

STATS = {
    "ingest": {"input_rows": 1200, "output_rows": 344, "rejected": {"not_response": 654, "not_html": 202},
               "seconds": 10.9, "balanced": True},
    "extract": {"input_rows": 344, "output_rows": 284, "rejected": {"http_status_404": 60}, "seconds": 7.7,
                "balanced": True},
    "clip": {"input_rows": 0, "output_rows": 0, "rejected": {}, "seconds": 0.1, "skipped": "no <weights>"},
}


class Parsed(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.cells: list[str] = []
        self._in_cell = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_cell = tag in ("td", "th")

    def handle_data(self, data):
        if self._in_cell and data.strip():
            self.cells.append(data.strip())


def test_page_has_the_funnel_and_inline_plots():
    charts = [Histogram("Language-id score", "score", [0, 0.5, 1], [3, 7]),
              Histogram("Image size", "pixels", [1, 10, 100], [2, 5], log_x=True),
              Histogram("CLIP score", "cosine", [0, 1], [0]),  # no data: a note, not a plot
              Bars("Duplicates by kind", {"url": 2, "near": 1})]
    html = page("/runs/night-1", STATS, {"pages": 344, "docs": 284}, charts)
    parsed = Parsed()
    parsed.feed(html)
    assert ("table", {"id": "funnel"}) in parsed.tags
    images = [attrs["src"] for tag, attrs in parsed.tags if tag == "img"]
    assert len(images) == 4  # three charts with data and the timings
    for src in images:
        assert src.startswith("data:image/png;base64,")
        assert base64.b64decode(src.split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n"
    assert "CLIP score: no data in this run" in html
    assert {"1,200", "344", "856", "not_response 654, not_html 202"} <= set(parsed.cells)
    assert "skipped: no &lt;weights&gt;" in html  # escaped
    assert not re.search(r"""(src|href)=["']https?://""", html)  # nothing loaded from elsewhere


def test_an_unbalanced_stage_is_flagged():
    html = page("/r", {"dedup": {**STATS["extract"], "balanced": False}}, {}, [])
    assert "(unbalanced)" in html


def test_the_document_rules_sit_between_extract_and_dedup():
    dedup = {"input_rows": 23, "output_rows": 20, "rejected": {"dup_url": 3}, "seconds": 3.0, "balanced": True,
             "documents": {"extracted": 284, "kept": 23, "dropped_by_rule": {"language": 200, "no_images": 150}}}
    parsed = Parsed()
    parsed.feed(page("/r", {**STATS, "dedup": dedup}, {}, []))
    at = parsed.cells.index("document rules")
    assert parsed.cells[at:at + 5] == ["document rules", "284", "23", "261", "language 200, no_images 150"]
    assert parsed.cells.index("extract") < at < parsed.cells.index("dedup")


def test_samples_show_documents_in_page_order_with_their_images_and_pairs_with_reasons():
    buffer = io.BytesIO()
    Image.new("RGB", (8, 6), "red").save(buffer, "JPEG")
    doc = {"url": "http://a.example/", "texts": ["First <b>", None, "x" * 2000, None],
           "images": [None, "http://a.example/1.jpg", None, "http://a.example/gone.jpg"],
           "thumbnails": {"http://a.example/1.jpg": buffer.getvalue()}}
    html = samples_section([doc], [{"url": "http://a.example/1.jpg", "text": "a red square", "clip_score": 0.31,
                                    "image": buffer.getvalue()}],
                           [{"reason": "clip_score_below_threshold", "detail": "http://b.example/2.jpg 0.1000"}])
    first, image, long_text, missing = (html.index(x) for x in ("First &lt;b&gt;", "data:image/jpeg;base64,",
                                                                  "xxxx", "image not stored"))
    assert first < image < long_text < missing  # page order
    assert "x" * 601 not in html and "CLIP 0.310" in html and "clip_score_below_threshold" in html
    assert samples_section([], [], []) == ""
