"""Holds weft's extraction fidelity on the 130 real readability pages at the measured levels
(bench/extract.py reports them next to trafilatura and resiliparse in bench/RESULTS.md)."""
import importlib.util

import pytest

from tests.conftest import REPO, SHARED

spec = importlib.util.spec_from_file_location("bench_extract", REPO / "bench" / "extract.py")
bench = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bench)


@pytest.fixture(scope="module")
def pages():
    if not (SHARED / "html" / "mozilla_readability").is_dir():
        pytest.fail("real test pages missing: ../shared/data/html/mozilla_readability")
    return bench.load_pages()


def test_obelics_mode_holds_its_measured_levels(pages):
    scores = bench.weft_scores(pages, ("extract.mode=obelics",))
    # measured 2026-11-29: recall 0.736, leak 0.078, reference images kept 0.628
    assert scores["recall"] >= 0.72
    assert scores["leak"] <= 0.095
    assert scores["images_kept"] >= 0.61


def test_main_content_mode_holds_its_measured_levels(pages):
    scores = bench.weft_scores(pages, ("extract.mode=main_content",))
    # measured 2026-12-02: recall 0.980, leak 0.038, reference images kept 0.754 (0.901 without
    # the OBELICS image rules), 70 images kept that the reference drops
    assert scores["recall"] >= 0.976  # issue 12's goal: resiliparse's recall
    assert scores["leak"] <= 0.047  # issue 12's goal: trafilatura's 0.031 x 1.5
    assert scores["images_kept"] >= 0.74
    assert scores["extra_images"] <= 75
    unfiltered = bench.weft_scores(pages, ("extract.mode=main_content", *bench.NO_IMAGE_RULES))
    assert unfiltered["images_kept"] >= 0.9  # issue 12's goal


def test_metric_is_a_bag_of_words_overlap():
    from collections import Counter

    ref = Counter("the cat sat on the mat".split())
    assert bench.scores(Counter("the cat sat".split()), ref) == (0.5, 0.0)
    assert bench.scores(Counter("the cat sat on the mat buy now".split()), ref) == (1.0, 0.25)
    assert bench.scores(Counter(), ref) == (0.0, 0.0)


def test_main_content_holds_its_levels_on_the_check_half_of_the_development_set():
    """Pages of sites never tuned on (tests/extraction_dev.py); the tuning half is reported by
    bench/extract.py, not held here."""
    from jobs.config import load_config
    from tests.extraction_dev import half

    settings = load_config(overrides=["extract.languages=[]", "extract.require_images=false",
                                      "extract.mode=main_content"]).extract
    rows = bench.dev_rows(lambda html: bench.weft_extract(html, settings), half("check"))
    recall, leak, empty, pages = bench.dev_summary(rows)
    # measured 2026-12-02 on 386 pages: recall 0.939, leak 0.139, the 2 empty pages listed below
    assert pages == 386 and recall >= 0.935 and leak <= 0.145 and empty <= len(EMPTY_EXCEPTIONS), (recall, leak, empty)


# Development pages no extractor here gets an article from (under 5 tokens where the gold has over
# 50): each with its reason. Every other page of both halves must give text.
EMPTY_EXCEPTIONS = {
    "fundus-tr-anadoluajansi-2026-04-20": "the article is in the page's scripts only (rendered by JavaScript): "
                                          "obelics mode and resiliparse find 49 characters of text",
    "newspaper-bhg.com1": "a slideshow inside <aside>, the page's only content (resiliparse: 260 characters); "
                          "keeping an <aside> that holds the best block cost whole forum threads elsewhere",
}


def test_no_development_page_comes_out_empty_but_the_listed_ones():
    from tests.extraction_dev import HALVES, half

    empty = {row["page"].id for name in HALVES
             for row in bench.dev_rows(lambda html: bench.weft_interleave(html, "main_content"), half(name))
             if row["empty"]}
    assert empty <= set(EMPTY_EXCEPTIONS), sorted(empty - set(EMPTY_EXCEPTIONS))
