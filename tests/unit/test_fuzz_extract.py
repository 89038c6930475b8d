"""HTML fuzzing of the extractor, through the extract adapter: whatever bytes a page holds, it
ends as one document or one reject, nothing escapes, and the per-page time limit holds.
4,000 generated cases here (deterministic: derandomized, no example database); bench/fuzz.py
runs longer, with fresh seeds."""
import sys
from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jobs.config import load_config
from tests.html_fuzz import accounted, extremes, http_charsets, pages, run_pages

CASES = 4_000
PER_BATCH = 50  # pages per hypothesis example: 80 examples x 50 pages
CONFIG = load_config()
EXTRACT = CONFIG.extract
SLACK = 1.0  # seconds past the limit: the alarm interrupts Python code, not one running C call
C_CALL_BYTES_PER_S = 12.5e6  # and a C call over a whole page (parse, selecting every <p>) runs to its end:
# on a 50 MB page that overshoot was measured at 0.7-2.7 s on a 2-core machine; allow 4 s
seen: Counter = Counter()


@pytest.fixture(autouse=True)
def workers_unraisable_hook(monkeypatch):
    """Python's own unraisable hook, as in Spark's Python workers. The time limit's timer ticks
    until the page stops; a tick that lands in a ``__del__`` is dropped as unraisable and the next
    one stops the page (udfs.extract.documents.time_limit). pytest's hook, written in Python,
    would take the next tick itself while it formats the first and report that as the test's error."""
    monkeypatch.setattr(sys, "unraisablehook", sys.__unraisablehook__)


@settings(max_examples=CASES // PER_BATCH, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
@given(st.lists(st.tuples(pages, http_charsets), min_size=PER_BATCH, max_size=PER_BATCH))
def test_random_pages_end_as_a_document_or_a_reject(bodies):
    by_page, seconds = run_pages(bodies, CONFIG)
    assert len(by_page) == len(bodies)
    for rows in by_page.values():
        seen[accounted(rows)] += 1
    assert max(seconds) < EXTRACT.time_limit_seconds + SLACK


def test_the_fuzzing_reached_both_outcomes():
    """The generated pages were not all rejected (or all kept) for one trivial reason."""
    if sum(seen.values()) < CASES:
        pytest.skip("run with test_random_pages_end_as_a_document_or_a_reject")
    outcomes = {k.split(":")[0] for k in seen}
    assert sum(seen.values()) == CASES and outcomes == {"doc", "reject"} and len(seen) >= 3, seen


@pytest.mark.parametrize("name", sorted(extremes()))
def test_extreme_pages_keep_the_limits(name):
    body = extremes()[name]
    by_page, seconds = run_pages([(body, "utf-8")], CONFIG)
    outcome = accounted(by_page["p0"])
    assert seconds[0] < EXTRACT.time_limit_seconds + SLACK + len(body) / C_CALL_BYTES_PER_S, (outcome, seconds)
    if len(body) > EXTRACT.max_html_chars:
        assert outcome == "reject:extract:too_large"
    lifted = load_config(overrides=["extract.max_html_chars=100000000"])  # size limit off: the time limit holds
    by_page, seconds = run_pages([(body, "utf-8")], lifted)
    accounted(by_page["p0"])
    assert seconds[0] < EXTRACT.time_limit_seconds + SLACK + len(body) / C_CALL_BYTES_PER_S, seconds
