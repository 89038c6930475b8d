"""Ingest throughput: the Spark job's per-core records/s against a bare fastwarc loop.

    python bench/ingest.py [--copies 40] [--files 2] [--cores 2]

Both read the same files: --files WARC files, each the non-quirky WARCs of ../shared/data/warc
concatenated --copies times, so a task streams one large file as it does on CommonCrawl. The bare loop iterates every record and reads its block on one core.
The job runs the real ingest stage (decode, classify, write Parquet, stats) on local[--cores];
Spark start-up and a warm-up run are excluded. Not a test: it prints figures for RESULTS.md.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
WARC_DIR = REPO.parent / "shared" / "data" / "warc"


def bench_files(root: Path, copies: int, files: int) -> list[str]:
    """``files`` CommonCrawl-sized inputs: each is every clean WARC concatenated ``copies`` times
    (per-record gzip members concatenate into a valid WARC file)."""
    sources = b"".join(p.read_bytes() for p in sorted(WARC_DIR.iterdir()) if p.is_file())
    paths = []
    for i in range(files):
        path = root / f"bench-{i:02d}.warc.gz"
        with open(path, "wb") as fh:
            for _ in range(copies):
                fh.write(sources)
        paths.append(str(path))
    return paths


def bare_loop(files: list[str]) -> tuple[int, float]:
    from fastwarc.warc import ArchiveIterator

    started, n = time.perf_counter(), 0
    for f in files:
        with open(f, "rb") as fh:
            for rec in ArchiveIterator(fh, parse_http=False, fsspec_args=False):
                rec.reader.read()
                n += 1
    return n, time.perf_counter() - started


def python_only(files: list[str]) -> tuple[int, float]:
    """weft's per-record logic without Spark (read, classify, decode), on one core."""
    from jobs.config import load_config
    from udfs.ingest.page_records import ingest_file

    config = load_config()
    started, n = time.perf_counter(), 0
    for f in files:
        n += sum(1 for row in ingest_file(f, config) if row["row_kind"] != "file")
    return n, time.perf_counter() - started


def job(files: list[str], out: Path, cores: int) -> tuple[int, float, dict]:
    from jobs import ingest
    from jobs.config import load_config
    from jobs.runtime import RunContext, build_session

    config = load_config(overrides=["spark.ui=false", f"spark.master=local[{cores}]"])
    spark = build_session(config, "weft-bench")
    try:
        warmup = [str(p) for p in sorted(WARC_DIR.iterdir()) if p.is_file()]
        ingest.run(spark, RunContext(str(out / "warmup"), config, files=warmup))
        started = time.perf_counter()
        stats = ingest.run(spark, RunContext(str(out / "run"), config, files=files))
        seconds = time.perf_counter() - started
    finally:
        spark.stop()
    return stats["input_rows"], seconds, stats


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=40)
    parser.add_argument("--files", type=int, default=2)
    parser.add_argument("--cores", type=int, default=min(2, os.cpu_count() or 1))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "in").mkdir()
        files = bench_files(root / "in", args.copies, args.files)
        size = sum(os.path.getsize(f) for f in files)
        bare_n, bare_s = bare_loop(files)
        py_n, py_s = python_only(files)
        job_n, job_s, stats = job(files, root / "out", args.cores)
    assert bare_n == job_n == py_n, f"records read: job {job_n}, bare loop {bare_n}, python {py_n}"
    bare_rate = bare_n / bare_s
    job_rate = job_n / job_s / args.cores
    print(f"input: {len(files)} files, {size / 1e6:.1f} MB, {bare_n:,} records, {stats['output_rows']:,} pages")
    print(f"bare fastwarc loop (1 core): {bare_s:.2f} s, {bare_rate:,.0f} records/s")
    print(f"weft per-record logic without Spark (1 core): {py_s:.2f} s, {py_n / py_s:,.0f} records/s, "
          f"ratio {py_n / py_s / bare_rate:.2f}")
    print(f"weft ingest job (local[{args.cores}]): {job_s:.2f} s, {job_n / job_s:,.0f} records/s, "
          f"{job_rate:,.0f} records/s per core")
    print(f"ratio per core (job / bare): {job_rate / bare_rate:.2f}")


if __name__ == "__main__":
    main()
