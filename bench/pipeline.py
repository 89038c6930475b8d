"""WARC → documents, side by side: a bare fastwarc loop, weft (ingest + extract) and datatrove.

    .venv/bin/python bench/pipeline.py --input FILE_OR_GLOB [--input ...] [--cores 2] [--json OUT]

Runs in order, each alone, on the same files (read once first, so all three find them in the
page cache):
  a. a bare fastwarc loop on one core: every record, every block read, each HTML response's HTTP
     body decoded to str (HTTP Content-Type charset, else UTF-8 with errors="replace"); both
     parse_http=True and parse_http=False, the faster is the baseline;
  b. weft: ``python -m jobs.pipeline --stages ingest,extract --set spark.master=local[N]
     --set spark.ui=false`` as a subprocess (defaults otherwise: the two stages in one pass): the
     command's wall time and the stage seconds of _stats/ingest.json and _stats/extract.json;
     then ``--stages ingest`` alone, for ingest's own rate against the bare loop;
  c. datatrove: ``.venv-bench/bin/python bench/datatrove_run.py --workers N`` (WarcReader →
     Trafilatura → GopherQualityFilter → JsonlWriter), its wall time.
Per-core rates divide by the cores used, min(N, input files), for weft and datatrove alike: both
run one task per input file. As a check, the CPU seconds of each command's process tree are
sampled from /proc (the JVM, Python workers, datatrove's pool and its extraction sandboxes), so a
stage that kept more (or fewer) cores busy than that shows. Build .venv-bench first
(bench/requirements-datatrove.txt). Not a test: it prints figures for RESULTS.md.
"""
from __future__ import annotations

import argparse
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
WEFT_PYTHON = REPO / ".venv" / "bin" / "python"
BENCH_PYTHON = REPO / ".venv-bench" / "bin" / "python"
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
# Content-Type header of an HTTP response head, and the charset parameter in it
_CONTENT_TYPE = re.compile(rb"\r\ncontent-type:[ \t]*([^;\r\n]*)([^\r\n]*)", re.I)
_CHARSET = re.compile(rb"charset[ \t]*=[ \t]*[\"']?([^\s;\"']+)", re.I)
CLK_TCK = os.sysconf("SC_CLK_TCK")


# ---------------------------------------------------------------------------------------------
# inputs


def input_files(patterns: list[str]) -> list[str]:
    """Files named, matched by a glob, or directly inside a named directory (not its sub-folders)."""
    files: list[str] = []
    for pattern in patterns:
        matches = []
        for m in sorted(glob.glob(pattern)) or [pattern]:
            if os.path.isdir(m):
                matches += sorted(os.path.join(m, n) for n in os.listdir(m) if os.path.isfile(os.path.join(m, n)))
            elif os.path.isfile(m):
                matches.append(m)
        if not matches:
            sys.exit(f"bench/pipeline.py: no input file matches {pattern}")
        files += [os.path.abspath(m) for m in matches]
    return list(dict.fromkeys(files))


def warm_page_cache(files: list[str]) -> None:
    for f in files:
        with open(f, "rb") as fh:
            while fh.read(1 << 24):
                pass


# ---------------------------------------------------------------------------------------------
# a. bare fastwarc loop


def decode_body(body: bytes, charset: str | None) -> str:
    if charset:
        try:
            return body.decode(charset, "replace")
        except LookupError:  # an unknown label: as if none were given
            pass
    return body.decode("utf-8", "replace")


def bare_loop(files: list[str], parse_http: bool) -> dict:
    """Every record of ``files`` read on one core; HTML responses' bodies decoded to str."""
    from fastwarc.warc import ArchiveIterator, WarcRecordType

    response = WarcRecordType.response
    records = pages = chars = 0
    started, cpu_started = time.perf_counter(), time.process_time()
    for f in files:
        with open(f, "rb") as fh:
            for rec in ArchiveIterator(fh, parse_http=parse_http, fsspec_args=False):
                records += 1
                block = rec.reader.read()  # with parse_http: the HTTP body, the head parsed already
                if rec.record_type != response:
                    continue
                if parse_http:
                    if rec.http_headers is None or (rec.http_content_type or "").lower() not in HTML_TYPES:
                        continue
                    text = decode_body(block, rec.http_charset)
                else:
                    head_end = block.find(b"\r\n\r\n")
                    if head_end < 0:
                        continue
                    m = _CONTENT_TYPE.search(block, 0, head_end + 2)
                    if m is None or m.group(1).strip().lower().decode("latin-1") not in HTML_TYPES:
                        continue
                    cs = _CHARSET.search(m.group(2))
                    text = decode_body(block[head_end + 4:], cs.group(1).decode("latin-1") if cs else None)
                pages += 1
                chars += len(text)
    seconds = time.perf_counter() - started
    return {"parse_http": parse_http, "seconds": round(seconds, 3),
            "cpu_seconds": round(time.process_time() - cpu_started, 3),
            "records": records, "html_pages": pages, "chars": chars,
            "records_per_s": records / seconds, "pages_per_s": pages / seconds}


# ---------------------------------------------------------------------------------------------
# CPU of a command's process tree, sampled from /proc


def _proc_table() -> dict[int, tuple[int, float]]:
    """pid → (parent pid, user + system CPU seconds) of every process readable now."""
    table = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as fh:
                stat = fh.read()
        except OSError:
            continue
        fields = stat[stat.rfind(b")") + 2:].split()  # after "pid (comm) "
        table[int(entry)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / CLK_TCK)
    return table


class TreeCPU:
    """Samples the CPU seconds of a process and all its descendants every ``interval`` seconds.
    A process's last sample counts after it exits (up to ``interval`` of its CPU can be missed)."""

    def __init__(self, pid: int, interval: float = 0.5):
        self.pid, self.interval = pid, interval
        self.seen: dict[int, float] = {}
        self.series: list[tuple[float, float]] = [(time.perf_counter(), 0.0)]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        table = _proc_table()
        children: dict[int, list[int]] = {}
        for pid, (ppid, _) in table.items():
            children.setdefault(ppid, []).append(pid)
        todo = [self.pid] if self.pid in table else []
        while todo:
            pid = todo.pop()
            self.seen[pid] = max(self.seen.get(pid, 0.0), table[pid][1])
            todo += children.get(pid, [])
        self.series.append((time.perf_counter(), sum(self.seen.values())))

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self._sample()

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        return self.series[-1][1]

    def between(self, t0: float, t1: float) -> float:
        """CPU seconds used between two perf_counter times (linear between samples)."""
        def at(t: float) -> float:
            prev = self.series[0]
            for point in self.series:
                if point[0] >= t:
                    span = point[0] - prev[0]
                    return prev[1] + (point[1] - prev[1]) * ((t - prev[0]) / span if span else 1.0)
                prev = point
            return prev[1]
        return max(0.0, at(t1) - at(t0))


def run_command(cmd: list[str], log_path: Path, env: dict | None = None,
                events: re.Pattern | None = None) -> dict:
    """Runs ``cmd`` from the repository root, stderr to ``log_path`` (lines matching ``events``
    timestamped); its wall time, stdout and the CPU seconds of its process tree."""
    marks: dict[str, float] = {}
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, errors="replace")
    cpu = TreeCPU(proc.pid)

    def drain_stderr() -> None:
        with open(log_path, "w") as log:
            for line in proc.stderr:
                log.write(line)
                if events is not None and (m := events.search(line)):
                    marks.setdefault(m.group(0), time.perf_counter())

    reader = threading.Thread(target=drain_stderr, daemon=True)
    reader.start()
    stdout = proc.stdout.read()
    proc.wait()
    seconds = time.perf_counter() - started
    reader.join()
    cpu_seconds = cpu.stop()
    if proc.returncode != 0:
        tail = log_path.read_text(errors="replace").splitlines()[-30:]
        sys.exit(f"bench/pipeline.py: {' '.join(cmd)} exited {proc.returncode}; last lines of {log_path}:\n"
                 + "\n".join(tail))
    return {"seconds": seconds, "cpu_seconds": cpu_seconds, "stdout": stdout, "marks": marks, "cpu": cpu}


# ---------------------------------------------------------------------------------------------
# b. weft, c. datatrove


def weft_input(files: list[str], work: Path) -> str:
    if len(files) == 1:
        return files[0]
    source = str(work / "inputs.paths")  # a manifest: weft reads exactly these files
    Path(source).write_text("".join(f + "\n" for f in files))
    return source


def run_weft_ingest(files: list[str], work: Path, cores: int) -> dict:
    """weft's ingest stage alone (``--stages ingest``: pages without their HTML, the default)."""
    out = work / "weft-ingest"
    cmd = [str(WEFT_PYTHON), "-m", "jobs.pipeline", "--input", weft_input(files, work), "--output", str(out),
           "--stages", "ingest", "--set", f"spark.master=local[{cores}]", "--set", "spark.ui=false"]
    env = dict(os.environ, PYSPARK_PYTHON=str(WEFT_PYTHON), PYSPARK_DRIVER_PYTHON=str(WEFT_PYTHON))
    run = run_command(cmd, work / "weft-ingest.log", env)
    ingest = json.loads((out / "_stats" / "ingest.json").read_text())
    return {"command": cmd, "wall_seconds": round(run["seconds"], 3), "cpu_seconds": round(run["cpu_seconds"], 2),
            "seconds": ingest["seconds"], "input_rows": ingest["input_rows"], "pages": ingest.get("pages")}


def run_weft(files: list[str], work: Path, cores: int) -> dict:
    out = work / "weft"
    cmd = [str(WEFT_PYTHON), "-m", "jobs.pipeline", "--input", weft_input(files, work), "--output", str(out),
           "--stages", "ingest,extract", "--set", f"spark.master=local[{cores}]", "--set", "spark.ui=false"]
    env = dict(os.environ, PYSPARK_PYTHON=str(WEFT_PYTHON), PYSPARK_DRIVER_PYTHON=str(WEFT_PYTHON))
    run = run_command(cmd, work / "weft.log", env, re.compile(r"weft: (ingest|extract) (started|done)"))
    ingest = json.loads((out / "_stats" / "ingest.json").read_text())
    extract = json.loads((out / "_stats" / "extract.json").read_text())

    def stage_cpu(stage: str) -> float | None:
        t0, t1 = run["marks"].get(f"weft: {stage} started"), run["marks"].get(f"weft: {stage} done")
        return round(run["cpu"].between(t0, t1), 2) if t0 and t1 else None

    return {
        "command": cmd,
        "wall_seconds": round(run["seconds"], 3),
        "cpu_seconds": round(run["cpu_seconds"], 2),
        "ingest": {"seconds": ingest["seconds"], "input_rows": ingest["input_rows"],
                   "output_rows": ingest["output_rows"], "pages": ingest.get("pages"),
                   "cpu_seconds": stage_cpu("ingest")},
        "extract": {"seconds": extract["seconds"], "input_rows": extract["input_rows"],
                    "output_rows": extract["output_rows"], "kept_docs": extract.get("kept_docs"),
                    "cpu_seconds": stage_cpu("extract")},
        "docs": extract["output_rows"],
        "log": str(work / "weft.log"),
    }


def run_datatrove(files: list[str], work: Path, cores: int, python: Path) -> dict:
    cmd = [str(python), str(REPO / "bench" / "datatrove_run.py"), "--workers", str(cores),
           "--output", str(work / "datatrove"), *files]
    run = run_command(cmd, work / "datatrove.log")
    result = json.loads(run["stdout"].strip().splitlines()[-1])
    return {"command": cmd, "wall_seconds": round(run["seconds"], 3), "cpu_seconds": round(run["cpu_seconds"], 2),
            "executor_seconds": result["wall_seconds"], **{k: v for k, v in result.items() if k != "wall_seconds"},
            "log": str(work / "datatrove.log")}


# ---------------------------------------------------------------------------------------------
# report


def fmt(value, digits: int = 1) -> str:
    if value is None:
        return "-"
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:,.{digits}f}"


def ratio(x: float | None) -> str:
    return "-" if x is None else f"{x:.2f}" if x >= 0.1 else f"{x:.4f}"


def summarise(files: list[str], cores: int, bare: list[dict], weft: dict, dt: dict, alone: dict) -> dict:
    used = min(cores, len(files))
    size_mb = sum(os.path.getsize(f) for f in files) / 1e6
    base = max(bare, key=lambda b: b["records_per_s"])
    http = next(b for b in bare if b["parse_http"])
    records, pages = http["records"], http["html_pages"]
    ing, ext = weft["ingest"], weft["extract"]
    stages_s = ing["seconds"] + ext["seconds"]

    def per_core(n: float, seconds: float, c: int = used) -> float:
        return n / seconds / c

    weft_wall_pages = per_core(pages, weft["wall_seconds"])
    dt_wall_pages = per_core(pages, dt["wall_seconds"])
    ingest_rate = per_core(ing["input_rows"], ing["seconds"])
    alone_rate = per_core(alone["input_rows"], alone["seconds"])
    return {
        "input": {"files": files, "n_files": len(files), "mb": round(size_mb, 2), "records": records,
                  "html_pages": pages},
        "cores": cores,
        "cores_used": used,
        "cores_note": (f"cores used = min(--cores {cores}, {len(files)} input file{'s' if len(files) != 1 else ''}) = {used} for weft and "
                       "datatrove alike: both run one task per input file; the bare loop uses 1"),
        "bare": bare,
        "bare_baseline": f"parse_http={base['parse_http']}",
        "weft": weft,
        "weft_ingest_alone": alone,
        "datatrove": dt,
        "rates": {
            "bare_records_per_s": base["records_per_s"],
            "bare_html_pages_per_s": base["pages_per_s"],
            "weft_ingest_records_per_s_per_core": ingest_rate,
            "weft_ingest_alone_records_per_s_per_core": alone_rate,
            "weft_extract_pages_per_s_per_core": per_core(ext["input_rows"], ext["seconds"]),
            "weft_stages_seconds": round(stages_s, 3),
            "weft_stages_html_pages_per_s_per_core": per_core(pages, stages_s),
            "weft_wall_html_pages_per_s_per_core": weft_wall_pages,
            "weft_wall_mb_per_s_per_core": per_core(size_mb, weft["wall_seconds"]),
            "datatrove_wall_html_pages_per_s_per_core": dt_wall_pages,
            "datatrove_wall_mb_per_s_per_core": per_core(size_mb, dt["wall_seconds"]),
            "datatrove_executor_html_pages_per_s_per_core": per_core(pages, dt["executor_seconds"]),
            "weft_html_pages_per_cpu_s": pages / weft["cpu_seconds"] if weft["cpu_seconds"] else None,
            "datatrove_html_pages_per_cpu_s": pages / dt["cpu_seconds"] if dt["cpu_seconds"] else None,
        },
        "ratios": {
            "weft_ingest_vs_bare_records_per_core": ingest_rate / base["records_per_s"],
            "weft_ingest_alone_vs_bare_records_per_core": alone_rate / base["records_per_s"],
            "weft_vs_datatrove_per_core_wall": weft_wall_pages / dt_wall_pages,
            "weft_stages_vs_datatrove_executor_per_core": per_core(pages, stages_s) / per_core(
                pages, dt["executor_seconds"]),
            "weft_vs_datatrove_per_cpu_s": (pages / weft["cpu_seconds"]) / (pages / dt["cpu_seconds"])
            if weft["cpu_seconds"] and dt["cpu_seconds"] else None,
        },
    }


def print_report(s: dict) -> None:
    inp, used, r, q = s["input"], s["cores_used"], s["rates"], s["ratios"]
    weft, dt = s["weft"], s["datatrove"]
    ing, ext = weft["ingest"], weft["extract"]
    print(f"input: {inp['n_files']} file{'s' if inp['n_files'] != 1 else ''}, {inp['mb']:,.1f} MB, {inp['records']:,} records, "
          f"{inp['html_pages']:,} HTML responses (fastwarc, HTTP Content-Type text/html or application/xhtml+xml)")
    print(s["cores_note"])
    print()

    def busy(cpu, seconds):
        return f"{cpu / seconds:.2f}" if cpu is not None and seconds else "-"

    header = ("", "wall s", "CPU s", "busy cores", "cores", "records/s/core", "HTML pages/s/core", "MB/s/core",
              "out")
    rows = []
    for b in s["bare"]:
        rows.append((f"a. bare fastwarc loop, parse_http={b['parse_http']}", fmt(b["seconds"], 2),
                     fmt(b["cpu_seconds"], 2), busy(b["cpu_seconds"], b["seconds"]), "1",
                     fmt(b["records_per_s"], 0), fmt(b["pages_per_s"], 0), fmt(inp["mb"] / b["seconds"], 1),
                     f"{b['html_pages']:,} str"))
    al = s["weft_ingest_alone"]
    rows.append(("b0. weft ingest stage alone (--stages ingest)", fmt(al["seconds"], 2), "-", "-", str(used),
                 fmt(r["weft_ingest_alone_records_per_s_per_core"], 0),
                 fmt(inp["html_pages"] / al["seconds"] / used, 0), fmt(inp["mb"] / al["seconds"] / used, 1),
                 f"{al['pages']:,} pages"))
    rows.append(("b. weft ingest stage (its share of the fused pass)", fmt(ing["seconds"], 2), fmt(ing["cpu_seconds"], 2),
                 busy(ing["cpu_seconds"], ing["seconds"]), str(used), fmt(r["weft_ingest_records_per_s_per_core"], 0),
                 fmt(inp["html_pages"] / ing["seconds"] / used, 0), fmt(inp["mb"] / ing["seconds"] / used, 1),
                 f"{ing['pages']:,} pages"))
    rows.append(("b. weft extract stage", fmt(ext["seconds"], 2), fmt(ext["cpu_seconds"], 2),
                 busy(ext["cpu_seconds"], ext["seconds"]), str(used), "-",
                 fmt(r["weft_extract_pages_per_s_per_core"], 1) + " (its pages)", "-",
                 f"{ext['output_rows']:,} docs ({ext['kept_docs']:,} kept)"))
    stages_cpu = (ing["cpu_seconds"] or 0) + (ext["cpu_seconds"] or 0) if ing["cpu_seconds"] is not None else None
    rows.append(("b. weft ingest+extract stages", fmt(r["weft_stages_seconds"], 2), fmt(stages_cpu, 2),
                 busy(stages_cpu, r["weft_stages_seconds"]), str(used),
                 fmt(inp["records"] / r["weft_stages_seconds"] / used, 0),
                 fmt(r["weft_stages_html_pages_per_s_per_core"], 1),
                 fmt(inp["mb"] / r["weft_stages_seconds"] / used, 2), ""))
    rows.append(("b. weft whole command (WARC→docs)", fmt(weft["wall_seconds"], 2), fmt(weft["cpu_seconds"], 2),
                 busy(weft["cpu_seconds"], weft["wall_seconds"]), str(used),
                 fmt(inp["records"] / weft["wall_seconds"] / used, 0), fmt(r["weft_wall_html_pages_per_s_per_core"], 1),
                 fmt(r["weft_wall_mb_per_s_per_core"], 2), f"{weft['docs']:,} docs"))
    rows.append(("c. datatrove executor.run() only", fmt(dt["executor_seconds"], 2), "-", "-", str(used),
                 fmt(inp["records"] / dt["executor_seconds"] / used, 0),
                 fmt(r["datatrove_executor_html_pages_per_s_per_core"], 1),
                 fmt(inp["mb"] / dt["executor_seconds"] / used, 2), ""))
    rows.append(("c. datatrove whole command (WARC→docs)", fmt(dt["wall_seconds"], 2), fmt(dt["cpu_seconds"], 2),
                 busy(dt["cpu_seconds"], dt["wall_seconds"]), str(used),
                 fmt(inp["records"] / dt["wall_seconds"] / used, 0),
                 fmt(r["datatrove_wall_html_pages_per_s_per_core"], 1), fmt(r["datatrove_wall_mb_per_s_per_core"], 2),
                 f"{dt['documents_written']:,} docs"))
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header))]
    for row in (header, *rows):
        print("  ".join(cell.ljust(w) if i == 0 else cell.rjust(w) for i, (cell, w) in enumerate(zip(row, widths))))
    print()
    print("HTML pages/s/core and MB/s/core use the same input counts for every row (the bare loop's HTML "
          "responses), so rows compare directly; 'busy cores' = sampled CPU s / wall s of the process tree.")
    print(f"weft: {ing['input_rows']:,} records → {ing['pages']:,} pages → {weft['docs']:,} docs "
          f"({ext['kept_docs']:,} kept by weft's document rules); stages {r['weft_stages_seconds']:.2f} s of "
          f"{weft['wall_seconds']:.2f} s wall (the rest: Python/JVM start-up, Spark session, planning)")
    print(f"datatrove: {dt['documents_read']:,} documents read → {dt['extracted']:,} with text after Trafilatura "
          f"({dt['extract_timeouts']:,} timeouts) → {dt['documents_written']:,} written after Gopher; "
          f"{dt['tasks']} task(s) on {dt['workers']} worker(s)")
    print()
    print(f"weft ingest / bare loop, records/s per core:        {ratio(q['weft_ingest_vs_bare_records_per_core'])} "
          f"({r['weft_ingest_records_per_s_per_core']:,.0f} vs {r['bare_records_per_s']:,.0f}, baseline "
          f"{s['bare_baseline']})")
    print(f"weft ingest alone / bare loop, records/s per core:  {ratio(q['weft_ingest_alone_vs_bare_records_per_core'])} "
          f"({r['weft_ingest_alone_records_per_s_per_core']:,.0f} vs {r['bare_records_per_s']:,.0f})")
    print(f"weft extract stage, pages/s per core:               {r['weft_extract_pages_per_s_per_core']:,.1f}")
    print(f"weft/datatrove per core (WARC→docs, wall clock of whole commands): {ratio(q['weft_vs_datatrove_per_core_wall'])}")
    print(f"weft/datatrove per core (weft's ingest+extract stages vs datatrove's executor.run()): "
          f"{ratio(q['weft_stages_vs_datatrove_executor_per_core'])}")
    if q["weft_vs_datatrove_per_cpu_s"] is not None:
        print(f"weft/datatrove per CPU-second (sampled CPU of each process tree):  {ratio(q['weft_vs_datatrove_per_cpu_s'])}")
    for name, cpu, secs in (("weft ingest", ing["cpu_seconds"], ing["seconds"]),
                            ("weft extract", ext["cpu_seconds"], ext["seconds"]),
                            ("weft", weft["cpu_seconds"], weft["wall_seconds"]),
                            ("datatrove", dt["cpu_seconds"], dt["wall_seconds"])):
        if cpu is not None and secs and cpu / secs > used + 0.25:
            print(f"note: {name} kept {cpu / secs:.2f} cores busy on average, more than the {used} counted "
                  "(Spark can split a stage's input into more tasks than files; JVM and GC threads)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--input", action="append", required=True, help="WARC file, glob or directory (repeatable)")
    parser.add_argument("--cores", type=int, default=2, help="Spark local[N] and datatrove workers")
    parser.add_argument("--json", help="write the summary here too")
    parser.add_argument("--workdir", help="folder for the runs' output (default: a temporary one, removed)")
    parser.add_argument("--bench-python", default=str(BENCH_PYTHON), help="python of .venv-bench")
    args = parser.parse_args()

    files = input_files(args.input)
    if not Path(args.bench_python).exists():
        sys.exit(f"bench/pipeline.py: {args.bench_python} missing; create it with: python3.11 -m venv .venv-bench "
                 "&& .venv-bench/bin/pip install -r bench/requirements-datatrove.txt")
    work = Path(args.workdir or tempfile.mkdtemp(prefix="weft-bench-pipeline-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        warm_page_cache(files)
        print(f"bench: a. bare fastwarc loop on {len(files)} file(s)", file=sys.stderr, flush=True)
        bare = [bare_loop(files, parse_http=True), bare_loop(files, parse_http=False)]
        print(f"bench: b. weft, local[{args.cores}] (log: {work / 'weft.log'})", file=sys.stderr, flush=True)
        weft = run_weft(files, work, args.cores)
        print(f"bench: b0. weft ingest alone, local[{args.cores}]", file=sys.stderr, flush=True)
        alone = run_weft_ingest(files, work, args.cores)
        print(f"bench: c. datatrove, {args.cores} workers (log: {work / 'datatrove.log'})", file=sys.stderr, flush=True)
        dt = run_datatrove(files, work, args.cores, Path(args.bench_python))
    finally:
        if not args.workdir:
            shutil.rmtree(work, ignore_errors=True)
    summary = summarise(files, args.cores, bare, weft, dt, alone)
    summary["date"] = time.strftime("%Y-%m-%d")
    summary["command"] = " ".join([Path(sys.executable).name, *sys.argv])
    print_report(summary)
    text = json.dumps(summary, indent=2, default=str)
    print()
    print(text)
    if args.json:
        Path(args.json).write_text(text + "\n")


if __name__ == "__main__":
    main()
