"""Fuzz the extractor longer than the tests do: ``python bench/fuzz.py [--cases 100000]``.

Random pages (tests/html_fuzz.py: random bytes, random encodings and charset declarations,
broken markup, entity floods) with fresh seeds, then the hand-made extremes (50 MB pages,
10,000-deep nesting, huge attributes), each through ingest's decoding and the extract adapter.
Prints how every page ended, the slowest page and the process's peak RSS; fails on any page that
escapes the accounting or the time limit."""
from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jobs.config import load_config
from tests.html_fuzz import accounted, extremes, http_charsets, pages, run_pages


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--per-example", type=int, default=50)
    args = parser.parse_args()
    config = load_config()
    limit = config.extract.time_limit_seconds
    outcomes: Counter = Counter()
    worst = [0.0]
    started = time.perf_counter()

    @settings(max_examples=args.cases // args.per_example, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(st.lists(st.tuples(pages, http_charsets), min_size=args.per_example, max_size=args.per_example))
    def fuzz(bodies):
        by_page, seconds = run_pages(bodies, config)
        for rows in by_page.values():
            outcomes[accounted(rows)] += 1
        worst[0] = max(worst[0], *seconds)
        assert max(seconds) < limit + 1.0

    fuzz()
    random_seconds = time.perf_counter() - started
    random_rss = peak_rss_mb()
    extreme = {}
    for name, body in extremes().items():
        by_page, seconds = run_pages([(body, "utf-8")], config)
        extreme[name] = {"bytes": len(body), "outcome": accounted(by_page["p0"]), "seconds": round(seconds[0], 3)}
    print(json.dumps({
        "random_pages": sum(outcomes.values()), "outcomes": dict(outcomes.most_common()),
        "pages_per_second": round(sum(outcomes.values()) / random_seconds, 1),
        "slowest_random_page_seconds": round(worst[0], 3), "time_limit_seconds": limit,
        "peak_rss_mb_after_random": round(random_rss, 1), "extremes": extreme,
        "peak_rss_mb_after_extremes": round(peak_rss_mb(), 1)}, indent=2))


if __name__ == "__main__":
    main()
