"""The whole pipeline on CommonCrawl-sized input with default settings, and its memory per task.

    python bench/scale.py [--input FILE ...] [--stages LIST] [--out bench/out/scale-runs] [--set k=v ...]

Default input: the ¼, ½ and 1× files of ``bench/scale_input.py`` (``make scale-input``), run one
after another, each as a user runs weft: ``python -m jobs.pipeline`` with ``spark.master=local[2]``
and the default 2 GB driver (which is also the executor). Two settings differ from the defaults,
and only because this machine has no network: CLIP is a tiny open_clip model with seeded random
weights (tests/tiny_clip.py, loaded from a checkpoint path as real weights are) and
``images.source=archive_only`` (images come from the WARC file itself; nothing is downloaded).

Measured per weft stage (from its "started"/"done" log lines):
- JVM heap: from the JVM's own GC log (``-Xlog:gc``): the largest heap in use before a
  collection, and the largest heap still in use after one (what the stage holds on to);
- Python workers: peak RSS of each ``pyspark.daemon`` worker process (one task at a time each),
  sampled from /proc every 0.2 s, and the largest sum over the workers at one moment.
Then every stage's accounting (input = output + rejected, or fan-out) and, per input file,
records read = pages + archived images + rejects, from ``_stats``. Results go to
``<out>/results.json`` and a table on stdout. Not a test: ``make scale`` runs it.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
SCALE_DIR = REPO / "bench" / "out" / "scale"
SIZES = ("quarter", "half", "full")
STAGE_LINE = re.compile(r"^weft: (\S+) (started|done)")
GC_LINE = re.compile(r"^\[(\d+\.\d+)s\].*GC\(\d+\) Pause.* (\d+)M->(\d+)M\((\d+)M\)")
CLK_TCK = os.sysconf("SC_CLK_TCK")


def default_inputs() -> list[Path]:
    files = [next(iter(sorted(SCALE_DIR.glob(f"*-{size}.warc.gz"))), None) for size in SIZES]
    missing = [size for size, f in zip(SIZES, files) if f is None]
    if missing:
        sys.exit(f"no {', '.join(missing)} file in {SCALE_DIR}: run `make scale-input` first")
    return files


def tiny_clip(folder: Path) -> list[str]:
    from tests.tiny_clip import save_tiny_model

    config, checkpoint, _, _ = save_tiny_model(folder, "weft-tiny-scale", seed=0)
    return ["clip.model=weft-tiny-scale", f"clip.checkpoint={checkpoint}", f"clip.model_config={config}"]


def boot_time() -> float:
    for line in Path("/proc/stat").read_text().splitlines():
        if line.startswith("btime "):
            return float(line.split()[1])
    return 0.0


class Sampler(threading.Thread):
    """Every 0.2 s: RSS of each Python worker under the run, and the JVM's pid and start time."""

    def __init__(self, root_pid: int):
        super().__init__(daemon=True)
        self.root_pid, self.stop = root_pid, threading.Event()
        self.samples: list[tuple[float, dict[int, int]]] = []  # (time, {worker pid: RSS bytes})
        self.jvm: tuple[int, float] | None = None  # (pid, start time)
        self.cpu: dict[int, float] = {}  # CPU seconds each process under the run had used when last seen

    def run(self) -> None:
        while not self.stop.wait(0.2):
            rss: dict[int, int] = {}
            for pid, cmdline in [(self.root_pid, ""), *descendants(self.root_pid)]:
                self.cpu[pid] = max(self.cpu.get(pid, 0.0), cpu_seconds(pid))
                if "pyspark.daemon" in cmdline or "pyspark/daemon.py" in cmdline:
                    rss[pid] = rss_bytes(pid)
                elif self.jvm is None and "java" in cmdline.split(" ", 1)[0]:
                    self.jvm = (pid, process_start(pid))
            self.samples.append((time.time(), rss))


def descendants(root: int) -> list[tuple[int, str]]:
    children: dict[int, list[int]] = {}
    names: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            names[int(entry.name)] = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    found, stack = [], [root]
    while stack:
        for child in children.get(stack.pop(), []):
            found.append((child, names.get(child, "")))
            stack.append(child)
    return found


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a process has used (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def rss_bytes(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def process_start(pid: int) -> float:
    stat = Path(f"/proc/{pid}/stat").read_text()
    return boot_time() + int(stat.rsplit(")", 1)[1].split()[19]) / CLK_TCK


def run_one(warc: Path, out: Path, stages: str, extra: list[str]) -> dict:
    run_dir, gc_log = out / warc.name.replace(".warc.gz", ""), out / f"{warc.name}.gc.log"
    settings = ["spark.master=local[2]", "spark.ui=false", "images.source=archive_only",
                f"spark.conf.spark.driver.extraJavaOptions=-Xlog:gc:file={gc_log}:uptime", *extra]
    command = [sys.executable, "-m", "jobs.pipeline", "--input", str(warc), "--output", str(run_dir),
               "--stages", stages, "--mode", "overwrite", *(a for s in settings for a in ("--set", s))]
    started = time.time()
    proc = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    sampler = Sampler(proc.pid)
    sampler.start()
    windows: dict[str, list[float]] = {}
    log = []
    for line in proc.stderr:
        log.append(line)
        m = STAGE_LINE.match(line)
        if m:
            for stage in m.group(1).split("+"):
                windows.setdefault(stage, [time.time(), time.time()])[1 if m.group(2) == "done" else 0] = time.time()
    stdout = proc.stdout.read()
    proc.wait()
    sampler.stop.set()
    sampler.join()
    seconds = time.time() - started
    (out / f"{warc.name}.log").write_text("".join(log) + stdout)
    if proc.returncode != 0:
        return {"file": warc.name, "exit": proc.returncode, "seconds": seconds,
                "error": "".join(log[-20:])}
    gcs = []
    if gc_log.exists() and sampler.jvm:
        jvm_start = sampler.jvm[1]
        for line in gc_log.read_text().splitlines():
            m = GC_LINE.match(line)
            if m:
                gcs.append((jvm_start + float(m.group(1)), int(m.group(2)), int(m.group(3)), int(m.group(4))))
    per_stage = {}
    for stage, (begin, end) in windows.items():
        samples = [rss for t, rss in sampler.samples if begin <= t <= end + 0.5]
        stage_gcs = [g for g in gcs if begin <= g[0] <= end + 0.5]
        per_stage[stage] = {
            "seconds": round(end - begin, 1),
            "heap_before_gc_mb": max((g[1] for g in stage_gcs), default=None),
            "heap_after_gc_mb": max((g[2] for g in stage_gcs), default=None),
            "heap_max_mb": max((g[3] for g in stage_gcs), default=None),
            "python_worker_rss_mb": round(max((v for s in samples for v in s.values()), default=0) / 2**20),
            "python_workers_rss_mb": round(max((sum(s.values()) for s in samples), default=0) / 2**20),
            "python_workers": max((len(s) for s in samples), default=0),
        }
    stats_dir = run_dir / "_stats"
    stats = {p.stem: json.loads(p.read_text()) for p in stats_dir.glob("*.json") if p.stem != "summary"}
    ingest = stats.get("ingest", {})
    return {
        "file": warc.name, "file_bytes": warc.stat().st_size, "exit": 0, "seconds": round(seconds, 1),
        "records_read": ingest.get("input_rows"), "pages": ingest.get("pages"),
        "files_balanced": not ingest.get("unbalanced_files") and not ingest.get("missing_files"),
        "stages_balanced": {s: v.get("balanced") for s, v in stats.items() if not v.get("skipped")},
        "skipped": {s: v["skipped"] for s, v in stats.items() if v.get("skipped")},
        "stages": per_stage,
    }


def table(results: list[dict]) -> str:
    stages = [s for s in ("ingest", "extract", "dedup", "images", "clip", "mmc4", "curate", "report")
              if any(s in r.get("stages", {}) for r in results)]
    lines = ["| stage | " + " | ".join(f"{r['file'].split('-weft-scale-')[-1].split('.')[0]}: s, heap before/after GC MB, "
                                        f"worker RSS MB" for r in results) + " |",
             "|---|" + "---|" * len(results)]
    for stage in stages:
        cells = []
        for r in results:
            s = r.get("stages", {}).get(stage)
            cells.append("–" if s is None else f"{s['seconds']} s, {s['heap_before_gc_mb']}/{s['heap_after_gc_mb']}, "
                                             f"{s['python_worker_rss_mb']}")
        lines.append(f"| {stage} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--input", action="append", type=Path, help="WARC file (repeatable); default ¼, ½, 1×")
    parser.add_argument("--stages", default="ingest,extract,dedup,images,clip,mmc4,curate,export,report")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "out" / "scale-runs")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    inputs = args.input or default_inputs()
    extra = [*(tiny_clip(args.out) if "clip" in args.stages or "mmc4" in args.stages else []), *args.set]
    results = []
    for warc in inputs:
        print(f"scale: {warc.name} ({warc.stat().st_size / 1e9:.2f} GB) ...", flush=True)
        results.append(run_one(warc.resolve(), args.out, args.stages, extra))
        print(json.dumps(results[-1], indent=1), flush=True)
        (args.out / "results.json").write_text(json.dumps(results, indent=1))
    print(table(results))
    failed = [r["file"] for r in results if r["exit"] != 0 or not r.get("files_balanced")
              or not all(r.get("stages_balanced", {}).values())]
    if failed:
        sys.exit(f"scale: failed or unbalanced: {', '.join(failed)}")


if __name__ == "__main__":
    main()
