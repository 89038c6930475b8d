"""Curate stage throughput on synthetic rows, and MetaCLIP matching: Aho-Corasick vs a loop.

    python bench/curate.py [--rows 1000000] [--cores 4] [--no-signals]

Rows: the 10,000 real alt texts of ../shared/data/captions_text cycled to --rows pairs, each
with its own image row (ok, random size around DataComp's limits) and a CLIP score (random
around LAION's 0.28), written as the alt_pairs, images, clip_scores and docs_dedup tables of a
run folder; then ``jobs.curate.run`` on ``local[--cores]`` (Spark start-up excluded). Matching:
the shipped 20,000-entry list over 2,000 captions, pyahocorasick vs MetaCLIP's plain loop.
Not a test: figures go to bench/RESULTS.md.
"""
from __future__ import annotations

import argparse
import dataclasses
import hashlib
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
CAPTIONS = REPO.parent / "shared" / "data" / "captions_text" / "img2dataset_test_10000_url_alttext.parquet"


def matching(captions: list[str], settings) -> None:
    from udfs.curate import metaclip
    from udfs.curate.curate_batches import metadata

    listed, matcher = metadata(settings)  # the automaton is built outside the timing
    sample = captions[:2000]
    started = time.perf_counter()
    fast = [metaclip.match(c, matcher, False) for c in sample]
    aho = time.perf_counter() - started
    started = time.perf_counter()
    slow = [metaclip.match_naive(c, listed, False) for c in sample]
    loop = time.perf_counter() - started
    assert fast == slow
    print(f"MetaCLIP matching, {len(listed):,} entries, {len(sample):,} captions: Aho-Corasick {aho:.3f} s "
          f"({len(sample) / aho:,.0f}/s), loop {loop:.2f} s ({len(sample) / loop:,.0f}/s): {loop / aho:.0f}x")


def write_inputs(spark, ctx, captions: list[str], rows: int) -> None:
    import numpy as np
    import pandas as pd

    from jobs.tables import write_table
    from schemas.clip import CLIP_SCORES
    from schemas.docs import ALT_PAIRS
    from schemas.docs_dedup import DOCS_DEDUP
    from schemas.images import IMAGES

    rng = np.random.default_rng(0)
    ids = np.arange(rows)
    texts = [captions[i % len(captions)] for i in ids]
    urls = [f"http://img{i % 997}.example/{i}.jpg" for i in ids]
    docs = [f"d{i // 4}" for i in ids]
    frames = {
        ALT_PAIRS: pd.DataFrame({"doc_id": docs, "image_url": urls, "page_url": [f"http://{d}/" for d in docs],
                                 "alt_text": texts, "position": 1}),
        IMAGES: pd.DataFrame({"image_url": urls, "status": np.where(rng.random(rows) < 0.9, "ok", "http_404"),
                              "sha256": [f"{i:064x}" for i in ids], "width": rng.integers(100, 800, rows),
                              "height": rng.integers(100, 800, rows), "format": "JPEG"}),
        CLIP_SCORES: pd.DataFrame({"doc_id": docs, "image_url": urls, "text_kind": "alt_text",
                                   "similarity": rng.normal(0.28, 0.05, rows).astype("float32"),
                                   "image_sha256": [f"{i:064x}" for i in ids], "model": "bench",
                                   "text_key": [hashlib.sha256(t.encode()).hexdigest() for t in texts]}),
    }
    for table, frame in frames.items():
        for column in table.columns:
            if column.name not in frame:
                frame[column.name] = None
        write_table(spark.createDataFrame(frame[table.names], table.spark()), table, ctx)
    write_table(spark.createDataFrame([], DOCS_DEDUP.spark()), DOCS_DEDUP, ctx)


def main() -> None:
    import pyarrow.parquet as pq

    from jobs import curate
    from jobs.config import load_config
    from jobs.runtime import RunContext, build_session

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--cores", type=int, default=4)
    parser.add_argument("--no-signals", action="store_true")
    args = parser.parse_args()
    captions = [t or "" for t in pq.read_table(CAPTIONS, columns=["TEXT"]).column("TEXT").to_pylist()]
    settings = load_config(overrides=["spark.ui=false", f"spark.master=local[{args.cores}]",
                                      f"spark.shuffle_partitions={4 * args.cores}", "spark.driver_memory=8g"])
    settings = dataclasses.replace(settings, curate=dataclasses.replace(settings.curate, signals=not args.no_signals))
    matching(captions, settings)
    spark = build_session(settings, "weft-bench-curate")
    with tempfile.TemporaryDirectory() as folder, tempfile.TemporaryDirectory() as small:
        warm = RunContext(run_dir=small, config=settings)
        write_inputs(spark, warm, captions, 20_000)
        curate.run(spark, warm)  # warm-up on other rows: Python workers, fastText, spaCy loaded
        ctx = RunContext(run_dir=folder, config=settings)
        write_inputs(spark, ctx, captions, args.rows)
        started = time.perf_counter()
        stats = curate.run(spark, ctx)
        seconds = time.perf_counter() - started
    spark.stop()
    print(f"curate on {args.rows:,} pairs, local[{args.cores}], signals {'off' if args.no_signals else 'on'}: "
          f"{seconds:.1f} s, {args.rows / seconds:,.0f} pairs/s, {args.rows / seconds / args.cores:,.0f} per core; "
          f"{stats['pairs']:,} kept; rejected {stats['rejected']}")


if __name__ == "__main__":
    main()
