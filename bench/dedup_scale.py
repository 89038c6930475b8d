"""Dedup at scale: a synthetic corpus from real text with planted duplicate clusters, through the
real dedup stage on local Spark; signature throughput side by side with datasketch.

    python bench/dedup_scale.py --docs 200000 [--executors 2] [--executor-memory-mb 2048] [--sample 5000]
                                [--chunk 100000] [--out bench/out/dedup_scale]

Documents: 2-3 windows of 100-200 words from the main-content text of the bundled WARC pages
(bench/dedup_quality.base_texts), with 10% of words substituted, so every document is distinct;
then 10% of them get 1-4 copies with 1% of words edited (planted clusters). One seeded stream:
the documents of a smaller --docs are a prefix of those of a larger one. The corpus is generated
--chunk documents at a time and written straight to the ``docs`` table (Parquet, 50k rows per
file); the driver keeps only the planted (copy, source) pairs as integers with their true
Jaccard ≥ 0.8 flag, computed as each copy is made. Reported: signature docs/s on one core for
datasketch (shingle strings + ``update_batch``) and weft's stage path, on the first --sample
documents in the same process; the stage's total time and seconds per 1,000 documents, component
rounds, recall of the planted copies, documents merged that were not planted, and the driver's
peak memory, which must not grow with --docs: the driver JVM's live heap after a GC each second
and the Python driver's RSS. From Spark's event log, over the stage's jobs only: tasks, shuffle
bytes written and read, memory and disk spill, and the executors' peak JVM heap (polled every
0.5 s) and Python worker RSS; from the executors' GC logs, their heap before and after each
collection. CPU seconds of the Spark process tree (driver JVM, executors, Python workers) and of
the whole host during the stage say how much of the time other work on the machine took.
Spark runs as ``local-cluster`` (executors in their own JVMs, as on a cluster), so the driver's
figures are the driver's alone. The JSON goes to stdout and to <out>/<docs>.json.
"""
from __future__ import annotations

import argparse
import datetime as dt
import gc
import itertools
import json
import os
import re
import resource
import shutil
import sys
import tempfile
import threading
import time
from array import array
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))
FILE_ROWS = 50_000  # rows per Parquet file of the docs table
CRAWL = "CC-MAIN-2024-22"  # the crawl partition of every document
GC_LINE = re.compile(r"GC\(\d+\) Pause(.*) (\d+)M->(\d+)M\((\d+)M\)")
CLK_TCK = os.sysconf("SC_CLK_TCK")


def stream(seed: int = 0):
    """Endless (doc_id, text, source doc_id or None, source text or None): the synthetic corpus in
    order. The first n items are the corpus of --docs n (prefix-stable)."""
    import random

    from dedup_quality import base_texts

    rng = random.Random(seed)
    pools = [t.split() for _, t in base_texts(min_words=250)]
    vocabulary = sorted({w for p in pools for w in p})
    i = 0
    while True:
        words = []
        for _ in range(rng.randint(2, 3)):
            pool = rng.choice(pools)
            start = rng.randrange(len(pool) - 200)
            words += pool[start:start + rng.randint(100, 200)]
        words = [rng.choice(vocabulary) if rng.random() < 0.1 else w for w in words]
        source, text = f"d{i:07d}", " ".join(words)
        yield source, text, None, None
        i += 1
        if rng.random() < 0.1:
            for _ in range(rng.randint(1, 4)):
                copy = [rng.choice(vocabulary) if rng.random() < 0.01 else w for w in words]
                yield f"d{i:07d}", " ".join(copy), source, text
                i += 1


def synthetic(n: int, seed: int = 0) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(doc_id, text) for n documents, and the planted (copy, source) pairs among them (in memory:
    small n only)."""
    docs, planted = [], []
    for doc, text, source, _ in itertools.islice(stream(seed), n):
        docs.append((doc, text))
        if source is not None:
            planted.append((doc, source))
    return docs, planted


class Planted:
    """The planted (copy, source) pairs as integers, and whether their true Jaccard is ≥ 0.8."""

    def __init__(self):
        self.copies, self.sources, self.similar = array("l"), array("l"), bytearray()

    def __len__(self) -> int:
        return len(self.copies)


def shingle_set(text: str) -> set:
    from udfs.dedup import minhash as mh

    return set(mh.shingles(text, 5))  # dedup_quality.true_jaccard's shingles


def docs_table(batch):
    """Rows of the ``docs`` table as Spark's ``write_table`` leaves them in the files: every
    column but ``crawl``, which is the partition folder."""
    import pyarrow as pa

    from schemas.docs import DOCS

    schema = DOCS.arrow().remove(DOCS.names.index("crawl"))
    when = dt.datetime(2024, 5, 1, tzinfo=dt.timezone.utc)
    rows = [{"doc_id": d, "url": f"http://site{int(d[1:]) % 997}.example/{d}", "texts": [t, None],
             "images": [None, f"http://img.example/{d}.jpg"], "image_meta": [None, None], "fetch_time": when,
             "keep": True, "drop_reasons": []} for d, t, _, _ in batch]
    return pa.Table.from_pydict({c: [r.get(c) for r in rows] for c in schema.names}, schema=schema)


def write_corpus(n: int, path: Path, chunk: int, sample: int) -> tuple[Planted, list[str], dict]:
    """The first n documents as one night of the ``docs`` table, ``path`` being its partition
    folder ``docs/run_date=<date>/crawl=<crawl>`` (Parquet written with pyarrow, 50k rows per
    file), --chunk documents in memory at a time; the planted pairs, the first ``sample`` texts,
    and the seconds spent generating, checking the planted pairs and writing."""
    import pyarrow.parquet as pq

    from udfs.dedup import minhash as mh

    path.mkdir(parents=True)
    planted, texts = Planted(), []
    seconds = {"generate": 0.0, "planted_jaccard": 0.0, "write": 0.0}
    docs = itertools.islice(stream(), n)
    part, cached = 0, (None, None)
    while True:
        started = time.perf_counter()
        batch = list(itertools.islice(docs, chunk))
        seconds["generate"] += time.perf_counter() - started
        if not batch:
            break
        texts += [t for _, t, _, _ in batch[:max(sample - len(texts), 0)]]
        started = time.perf_counter()
        for doc, text, source, source_text in batch:
            if source is None:
                continue
            if cached[0] != source:
                cached = (source, shingle_set(source_text))
            planted.copies.append(int(doc[1:]))
            planted.sources.append(int(source[1:]))
            planted.similar.append(mh.jaccard(shingle_set(text), cached[1]) >= 0.8)
        seconds["planted_jaccard"] += time.perf_counter() - started
        started = time.perf_counter()
        for start in range(0, len(batch), FILE_ROWS):
            pq.write_table(docs_table(batch[start:start + FILE_ROWS]), path / f"part-{part:05d}.parquet")
            part += 1
        seconds["write"] += time.perf_counter() - started
        del batch
    return planted, texts, seconds


def signature_rates(texts: list[str]) -> dict:
    """docs/s on one core: datasketch from text vs weft's stage path, same documents."""
    import datasketch

    from jobs.config import load_config
    from udfs.dedup import minhash as mh
    from udfs.dedup.dedup_signatures import shingle_sets

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


def python_rss() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * resource.getpagesize()


def max_rss() -> int:
    """This process's peak RSS so far, in bytes."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def process_cpu() -> dict[int, tuple[int, float]]:
    """pid → (parent pid, user + system CPU seconds) of every process."""
    table = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                with open(f"/proc/{entry.name}/stat") as fh:
                    fields = fh.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            table[int(entry.name)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / CLK_TCK)
    return table


def host_busy() -> float:
    """CPU seconds the whole host has been busy (all CPUs, not idle or waiting on I/O)."""
    with open("/proc/stat") as fh:
        values = [int(v) for v in fh.readline().split()[1:]]
    return (sum(values[:8]) - values[3] - values[4]) / CLK_TCK


class MemorySampler(threading.Thread):
    """The driver's JVM used heap and Python RSS, sampled until stopped; peaks in bytes. Also the
    CPU seconds of the driver JVM's process tree (executors, Python workers) since it started."""

    def __init__(self, spark):
        super().__init__(daemon=True)
        self.jvm = spark.sparkContext._jvm
        self.root = int(self.jvm.java.lang.ProcessHandle.current().pid())
        self.heap = self.rss = 0
        self.cpu_start = self._tree_cpu()
        self.cpu_seen = dict(self.cpu_start)
        self.done = threading.Event()

    def _tree_cpu(self) -> dict[int, float]:
        table = process_cpu()
        children: dict[int, list[int]] = {}
        for pid, (ppid, _) in table.items():
            children.setdefault(ppid, []).append(pid)
        tree, todo = {}, [self.root]
        while todo:
            pid = todo.pop()
            if pid in table:
                tree[pid] = table[pid][1]
                todo += children.get(pid, [])
        return tree

    def spark_cpu_s(self) -> float:
        return sum(cpu - self.cpu_start.get(pid, 0.0) for pid, cpu in self.cpu_seen.items())

    def run(self) -> None:
        runtime = self.jvm.java.lang.Runtime.getRuntime()
        while not self.done.wait(1.0):
            self.jvm.java.lang.System.gc()  # live heap, not garbage waiting for a collection
            self.heap = max(self.heap, runtime.totalMemory() - runtime.freeMemory())
            self.rss = max(self.rss, python_rss())
            self.cpu_seen.update(self._tree_cpu())


def event_log_metrics(folder: Path, group: str) -> dict:
    """Tasks, shuffle, spill and executor peak memory of the jobs of ``group``, from the one
    event log in ``folder``."""
    logs = [p for p in folder.iterdir() if p.is_file()]  # spark.eventLog.rolling.enabled=false: one file
    assert len(logs) == 1, f"expected one event log in {folder}, found {list(folder.iterdir())}"
    stages: set[int] = set()
    totals = dict.fromkeys(("tasks", "failed_tasks", "shuffle_write_bytes", "shuffle_read_bytes",
                            "shuffle_read_remote_bytes", "shuffle_records_written", "memory_spill_bytes",
                            "disk_spill_bytes", "input_bytes", "output_bytes", "executor_run_ms",
                            "executor_cpu_ns", "jvm_gc_ms"), 0)
    peaks = dict.fromkeys(("JVMHeapMemory", "OnHeapExecutionMemory", "OnHeapStorageMemory",
                           "ProcessTreeJVMRSSMemory", "ProcessTreePythonRSSMemory"), 0)
    stage_count = set()

    def peak(metrics: dict | None) -> None:
        for key in peaks:
            peaks[key] = max(peaks[key], int((metrics or {}).get(key, 0)))

    with open(logs[0]) as fh:
        for line in fh:
            event = json.loads(line)
            kind = event["Event"]
            if kind == "SparkListenerJobStart":
                if (event.get("Properties") or {}).get("spark.jobGroup.id") == group:
                    stages.update(event["Stage IDs"])
            elif kind == "SparkListenerTaskEnd" and event["Stage ID"] in stages:
                stage_count.add(event["Stage ID"])
                m = event.get("Task Metrics") or {}
                totals["tasks"] += 1
                totals["failed_tasks"] += event.get("Task End Reason", {}).get("Reason") != "Success"
                write, read = m.get("Shuffle Write Metrics", {}), m.get("Shuffle Read Metrics", {})
                totals["shuffle_write_bytes"] += write.get("Shuffle Bytes Written", 0)
                totals["shuffle_records_written"] += write.get("Shuffle Records Written", 0)
                totals["shuffle_read_bytes"] += read.get("Remote Bytes Read", 0) + read.get("Local Bytes Read", 0)
                totals["shuffle_read_remote_bytes"] += read.get("Remote Bytes Read", 0)
                totals["memory_spill_bytes"] += m.get("Memory Bytes Spilled", 0)
                totals["disk_spill_bytes"] += m.get("Disk Bytes Spilled", 0)
                totals["input_bytes"] += m.get("Input Metrics", {}).get("Bytes Read", 0)
                totals["output_bytes"] += m.get("Output Metrics", {}).get("Bytes Written", 0)
                totals["executor_run_ms"] += m.get("Executor Run Time", 0)
                totals["executor_cpu_ns"] += m.get("Executor CPU Time", 0)
                totals["jvm_gc_ms"] += m.get("JVM GC Time", 0)
                peak(event.get("Task Executor Metrics"))
            elif kind == "SparkListenerStageExecutorMetrics" and event["Stage ID"] in stages \
                    and event["Executor ID"] != "driver":
                peak(event.get("Executor Metrics"))
    totals["stages_run"] = len(stage_count)
    return {**totals, "executor_peaks": peaks}


def gc_log_metrics(folder: Path) -> dict:
    """Per executor JVM (one GC log each): the largest heap before a collection and the largest
    still in use after one; the maxima over the executors, and the full collections."""
    before = after = committed = full = 0
    logs = sorted(folder.glob("*.log"))
    for log in logs:
        for line in log.read_text().splitlines():
            m = GC_LINE.search(line)
            if m:
                before, after = max(before, int(m.group(2))), max(after, int(m.group(3)))
                committed = max(committed, int(m.group(4)))
                full += "Full" in m.group(1)
    return {"logs": len(logs), "heap_before_gc_peak_mb": before, "heap_after_gc_peak_mb": after,
            "heap_committed_peak_mb": committed, "full_gcs": full}


def main() -> None:
    from jobs import dedup
    from jobs.config import load_config
    from jobs.runtime import RunContext, build_session
    from jobs.tables import night_path, read_table
    from schemas.docs import DOCS
    from schemas.duplicates import DUPLICATES

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=200_000)
    parser.add_argument("--executors", type=int, default=2, help="one core each")
    parser.add_argument("--executor-memory-mb", type=int, default=2048)
    parser.add_argument("--sample", type=int, default=5000)
    parser.add_argument("--chunk", type=int, default=100_000,
                        help=f"documents generated and held at a time (a multiple of {FILE_ROWS:,})")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "out" / "dedup_scale")
    args = parser.parse_args()
    if args.chunk <= 0 or args.chunk % FILE_ROWS:
        parser.error(f"--chunk must be a positive multiple of {FILE_ROWS}")
    out = args.out.resolve()
    event_dir, gc_dir = out / "eventlog" / str(args.docs), out / "gc" / str(args.docs)
    for folder in (event_dir, gc_dir):
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
    memory = args.executor_memory_mb
    settings = load_config(overrides=[
        "spark.ui=false", f"spark.master=local-cluster[{args.executors},1,{memory + 512}]",
        f"spark.shuffle_partitions={8 * args.executors}", "spark.driver_memory=1g",
        *[f"spark.conf.{k}={json.dumps(v)}" for k, v in {
            "spark.executor.memory": f"{memory}m",
            "spark.eventLog.enabled": "true", "spark.eventLog.dir": event_dir.as_uri(),
            "spark.eventLog.compress": "false",
            "spark.eventLog.rolling.enabled": "false", "spark.eventLog.logStageExecutorMetrics": "true",
            "spark.executor.metrics.pollingInterval": "500ms",
            "spark.executor.processTreeMetrics.enabled": "true",
            "spark.executor.extraJavaOptions": f"-Xlog:gc:file={gc_dir}/executor-%p.log:uptime",
        }.items()]])
    with tempfile.TemporaryDirectory() as tmp:
        ctx = RunContext(run_dir=tmp, config=settings)
        night = Path(night_path(DOCS, ctx)) / f"crawl={CRAWL}"  # where the stage reads the night's docs
        planted, sample, written = write_corpus(args.docs, night, args.chunk, args.sample)
        rates = signature_rates(sample)
        del sample
        gc.collect()
        rss_generation_peak = max_rss()  # the driver holds no corpus: at most one chunk at a time
        spark = build_session(settings, "weft-bench-dedup-scale")
        sc = spark.sparkContext
        sampler = MemorySampler(spark)
        sampler.start()
        rss_at_start = python_rss()
        try:
            sc.setJobGroup("dedup", "the dedup stage")
            busy, started = host_busy(), time.perf_counter()
            stats = dedup.run(spark, ctx)
            seconds = time.perf_counter() - started
            busy = host_busy() - busy
            if stats["input_rows"] != args.docs:
                raise SystemExit(f"the stage read {stats['input_rows']} documents, not {args.docs}")
            sampler.done.set()
            sampler.join()
            sc.setJobGroup("recall", "reading the duplicates found")
            found = dict((int(r["doc_id"][1:]), int(r["kept_doc_id"][1:])) for r in read_table(
                spark, DUPLICATES, ctx).select("doc_id", "kept_doc_id").toLocalIterator())
        finally:
            sampler.done.set()
            sampler.join()
            spark.stop()
    events = event_log_metrics(event_dir, "dedup")
    gcs = gc_log_metrics(gc_dir)
    copies = set(planted.copies)
    similar = [(c, s) for c, s, ok in zip(planted.copies, planted.sources, planted.similar) if ok]
    recall = sum(1 for copy, source in similar if found.get(copy) == source) / max(len(similar), 1)
    unplanted = sum(1 for doc in found if doc not in copies)
    n_docs = args.docs
    per_k = 1000 / n_docs
    peaks = events.pop("executor_peaks")
    result = {
        "docs": n_docs, "planted_copies": len(planted), "executors": args.executors,
        "executor_memory_mb": memory, "shuffle_partitions": settings.spark.shuffle_partitions,
        "generate_s": round(written["generate"], 1), "planted_jaccard_s": round(written["planted_jaccard"], 1),
        "write_input_s": round(written["write"], 1), "signatures_one_core": rates,
        "dedup_stage_s": round(seconds, 1), "s_per_1k_docs": round(seconds * per_k, 3),
        "component_rounds": stats["component_rounds"],
        "duplicates": stats["duplicates"], "planted_with_jaccard_0.8": len(similar),
        "recall_of_those": round(recall, 4), "merged_not_planted": unplanted,
        "driver_jvm_heap_peak_mb": round(sampler.heap / 2**20),
        "driver_python_rss_mb": {"stage_start": round(rss_at_start / 2**20), "peak": round(sampler.rss / 2**20),
                                 "generation_peak": round(rss_generation_peak / 2**20)},
        "spark": {**{k: v for k, v in events.items() if k not in ("executor_cpu_ns", "executor_run_ms")},
                  "executor_run_s": round(events["executor_run_ms"] / 1000, 1),
                  "executor_jvm_cpu_s": round(events["executor_cpu_ns"] / 1e9, 1)},
        "executor_memory_peak_mb": {
            "jvm_heap_used": round(peaks["JVMHeapMemory"] / 2**20),
            "on_heap_execution": round(peaks["OnHeapExecutionMemory"] / 2**20),
            "on_heap_storage": round(peaks["OnHeapStorageMemory"] / 2**20),
            "jvm_process_rss": round(peaks["ProcessTreeJVMRSSMemory"] / 2**20),
            "python_workers_rss": round(peaks["ProcessTreePythonRSSMemory"] / 2**20),
            **{f"gc_log_{k}": v for k, v in gcs.items()}},
        "cpu_s": {"spark_process_tree": round(sampler.spark_cpu_s(), 1), "host_busy": round(busy, 1),
                  "host_cpus": os.cpu_count()},
        "per_doc": {"shuffle_write_bytes": round(events["shuffle_write_bytes"] / n_docs),
                    "shuffle_read_bytes": round(events["shuffle_read_bytes"] / n_docs),
                    "spill_bytes": round((events["memory_spill_bytes"] + events["disk_spill_bytes"]) / n_docs),
                    "input_bytes": round(events["input_bytes"] / n_docs),
                    "spark_cpu_ms": round(sampler.spark_cpu_s() * 1000 / n_docs, 3)},
    }
    text = json.dumps(result, indent=1)
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{n_docs}.json").write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
