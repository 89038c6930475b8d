"""The run report page: self-contained HTML with the funnel table and inline plots."""
import base64
import re
from html.parser import HTMLParser

from udfs.report_html import Bars, Histogram, page

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
