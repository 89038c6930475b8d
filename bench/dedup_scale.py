"""Dedup at scale: a synthetic corpus from real text with planted duplicate clusters, through the
real dedup stage on local Spark; signature throughput side by side with datasketch.

    python bench/dedup_scale.py --docs 200000 [--executors 2] [--executor-memory-mb 2048] [--sample 5000]

Documents: 2-3 windows of 100-200 words from the main-content text of the bundled WARC pages
(bench/dedup_quality.base_texts), with 10% of words substituted, so every document is distinct;
then 10% of them get 1-4 copies with 1% of words edited (planted clusters). Reported: signature
docs/s on one core for datasketch (shingle strings + ``update_batch``) and weft's stage path,
on the first --sample documents in the same process; the stage's total time, component rounds,
recall of the planted copies, documents merged that were not planted, and the driver's peak
memory, which must not grow with --docs: the driver JVM's live heap after a GC each second and
the Python driver's RSS. Spark runs as ``local-cluster`` (executors in their own JVMs, as on a
cluster), so the driver's figures are the driver's alone.
"""
from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import random
import resource
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))


def synthetic(n: int, seed: int = 0) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(doc_id, text) for n documents, and the planted (copy, source) pairs among them."""
    from dedup_quality import base_texts

    rng = random.Random(seed)
    pools = [t.split() for _, t in base_texts(min_words=250)]
    vocabulary = sorted({w for p in pools for w in p})
    docs: list[tuple[str, str]] = []
    planted: list[tuple[str, str]] = []
    while len(docs) < n:
        words = []
        for _ in range(rng.randint(2, 3)):
            pool = rng.choice(pools)
            start = rng.randrange(len(pool) - 200)
            words += pool[start:start + rng.randint(100, 200)]
        words = [rng.choice(vocabulary) if rng.random() < 0.1 else w for w in words]
        source = f"d{len(docs):07d}"
        docs.append((source, " ".join(words)))
        if rng.random() < 0.1:
            for _ in range(rng.randint(1, 4)):
                if len(docs) >= n:
                    break
                copy = [rng.choice(vocabulary) if rng.random() < 0.01 else w for w in words]
                planted.append((f"d{len(docs):07d}", source))
                docs.append((planted[-1][0], " ".join(copy)))
    return docs, planted


def signature_rates(texts: list[str]) -> dict:
    """docs/s on one core: datasketch from text vs weft's stage path, same documents."""
    import datasketch

    from jobs.config import load_config
    from udfs import minhash as mh
    from udfs.dedup_signatures import shingle_sets

    settings = load_config().dedup
    num_perm = settings.bands * settings.rows
    started = time.perf_counter()
    for hashes in shingle_sets(texts, settings):  # the stage's path: batches of texts hashed at once
        mh.signature(hashes, num_perm, settings.seed, settings.hash_bits, settings.permutations)
    ours = time.perf_counter() - started
    rates = {"weft_docs_per_s": round(len(texts) / ours)}
    for scheme in ("affine32", "affine64", "legacy"):  # 2.0's default, its 64-bit one, the classic
        started = time.perf_counter()
        for text in texts:
            m = datasketch.MinHash(num_perm=num_perm, seed=settings.seed, scheme=scheme)
            m.update_batch([s.encode() for s in set(mh.shingles(text, settings.ngram))])
        theirs = time.perf_counter() - started
        rates[f"datasketch_{scheme}_docs_per_s"] = round(len(texts) / theirs)
        rates[f"weft_vs_{scheme}"] = round(theirs / ours, 2)
    return rates


def write_docs(docs: list[tuple[str, str]], path: Path) -> None:
    """The corpus as a ``docs`` table (Parquet written with pyarrow, 50k rows per file)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from schemas.docs import DOCS

    path.mkdir(parents=True)
    when = dt.datetime(2024, 5, 1, tzinfo=dt.timezone.utc)
    for part, start in enumerate(range(0, len(docs), 50_000)):
        rows = [{"doc_id": d, "url": f"http://site{int(d[1:]) % 997}.example/{d}", "texts": [t, None],
                 "images": [None, f"http://img.example/{d}.jpg"], "image_meta": [None, None], "fetch_time": when,
                 "keep": True, "drop_reasons": []} for d, t in docs[start:start + 50_000]]
        table = pa.Table.from_pydict({c: [r.get(c) for r in rows] for c in DOCS.names}, schema=DOCS.arrow())
        pq.write_table(table, path / f"part-{part:05d}.parquet")


def python_rss() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * resource.getpagesize()


class MemorySampler(threading.Thread):
    """The driver's JVM used heap and Python RSS, sampled until stopped; peaks in bytes."""

    def __init__(self, spark):
        super().__init__(daemon=True)
        self.jvm = spark.sparkContext._jvm
        self.heap = self.rss = 0
        self.done = threading.Event()

    def run(self) -> None:
        runtime = self.jvm.java.lang.Runtime.getRuntime()
        while not self.done.wait(1.0):
            self.jvm.java.lang.System.gc()  # live heap, not garbage waiting for a collection
            self.heap = max(self.heap, runtime.totalMemory() - runtime.freeMemory())
            self.rss = max(self.rss, python_rss())


def main() -> None:
    from dedup_quality import true_jaccard

    from jobs import dedup
    from jobs.config import load_config
    from jobs.runtime import RunContext, build_session
    from jobs.tables import read_table
    from schemas.duplicates import DUPLICATES

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=200_000)
    parser.add_argument("--executors", type=int, default=2, help="one core each")
    parser.add_argument("--executor-memory-mb", type=int, default=2048)
    parser.add_argument("--sample", type=int, default=5000)
    args = parser.parse_args()
    started = time.perf_counter()
    docs, planted = synthetic(args.docs)
    in_pairs = {x for pair in planted for x in pair}
    texts = {d: t for d, t in docs if d in in_pairs}
    generated = time.perf_counter() - started
    rates = signature_rates([t for _, t in docs[:args.sample]])
    n_docs = len(docs)
    memory = args.executor_memory_mb
    settings = load_config(overrides=[
        "spark.ui=false", f"spark.master=local-cluster[{args.executors},1,{memory + 512}]",
        f"spark.shuffle_partitions={8 * args.executors}", "spark.driver_memory=1g",
        f"spark.conf.spark.executor.memory={memory}m"])
    with tempfile.TemporaryDirectory() as tmp:
        ctx = RunContext(run_dir=tmp, config=settings)
        write_docs(docs, Path(ctx.path("docs")))
        del docs  # the driver holds no corpus while the stage runs
        gc.collect()
        spark = build_session(settings, "weft-bench-dedup-scale")
        sampler = MemorySampler(spark)
        sampler.start()
        rss_at_start = python_rss()
        try:
            started = time.perf_counter()
            stats = dedup.run(spark, ctx)
            seconds = time.perf_counter() - started
            sampler.done.set()
            found = dict((r["doc_id"], r["kept_doc_id"]) for r in read_table(spark, DUPLICATES, ctx)
                         .select("doc_id", "kept_doc_id").collect())
        finally:
            sampler.done.set()
            sampler.join()
            spark.stop()
    sources = {copy: source for copy, source in planted}
    similar = [(c, s) for c, s in planted if true_jaccard(texts[c], texts[s]) >= 0.8]
    recall = sum(1 for copy, source in similar if found.get(copy) == source) / max(len(similar), 1)
    unplanted = sum(1 for doc in found if doc not in sources)
    print(json.dumps({
        "docs": n_docs, "planted_copies": len(planted), "executors": args.executors,
        "generate_s": round(generated, 1), "signatures_one_core": rates,
        "dedup_stage_s": round(seconds, 1), "component_rounds": stats["component_rounds"],
        "duplicates": stats["duplicates"], "planted_with_jaccard_0.8": len(similar),
        "recall_of_those": round(recall, 4), "merged_not_planted": unplanted,
        "driver_jvm_heap_peak_mb": round(sampler.heap / 2**20),
        "driver_python_rss_mb": {"stage_start": round(rss_at_start / 2**20), "peak": round(sampler.rss / 2**20)},
    }, indent=1))


if __name__ == "__main__":
    main()
