"""How a page's HTML travels from ingest to extract: three ways, measured on the same WARC file.

    python bench/html_transport.py [--input FILE] [--out bench/out/html_transport] [--no-s3]

(a) stored: ``ingest.store_html=true``: ingest writes the HTML into ``pages`` (row groups of
    16 MiB), extract reads it back in byte-bounded batches;
(b) pointer: ``pages`` without HTML; extract reads each file again (pages sorted by file and
    offset, one stream per file), from the local file and from ``s3://`` (moto's server on
    127.0.0.1 standing in for S3);
(c) fused (the default): ingest and extract in one task per file, ``pages`` without HTML.
Each runs ``python -m jobs.pipeline --stages ingest,extract`` with ``spark.master=local[2]``,
alone. Reported: wall seconds of the command, the stages' own seconds (_stats), CPU seconds of
the whole process tree (driver, JVM and Python workers, sampled from /proc: what a core pays), pages per
CPU-second, the largest Python worker RSS, the bytes the run wrote, and whether the three give
the same documents (a digest of ``docs`` without timing columns).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from scale import Sampler  # noqa: E402

DEFAULT_INPUT = REPO / "bench" / "out" / "scale" / "CC-MAIN-2026-49-weft-scale-quarter.warc.gz"
WAYS = {
    "a_stored": ["ingest.store_html=true", "ingest.fuse_extract=false"],
    "b_pointer_local": ["ingest.store_html=false", "ingest.fuse_extract=false"],
    "b_pointer_s3": ["ingest.store_html=false", "ingest.fuse_extract=false"],
    "c_fused": ["ingest.store_html=false", "ingest.fuse_extract=true"],
}


def folder_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def docs_digest(run_dir: Path) -> str:
    """Order-free digest of the docs rows, timing columns left out and input files by name only
    (a local path and an s3:// copy are the same file)."""
    import pyarrow.parquet as pq

    table = pq.read_table(run_dir / "docs").drop_columns(["extract_seconds"])
    rows = []
    for row in table.to_pylist():
        meta = row["general_metadata"]
        meta["warc_filename"] = meta["warc_filename"].rsplit("/", 1)[-1]
        rows.append(json.dumps(row, sort_keys=True, default=str))
    rows.sort()
    return hashlib.sha256("\n".join(rows).encode()).hexdigest()[:16]


def run_way(name: str, source: str, out: Path, extra: list[str]) -> dict:
    run_dir = out / name
    settings = ["spark.master=local[2]", "spark.ui=false", *WAYS[name], *extra]
    command = [sys.executable, "-m", "jobs.pipeline", "--input", source, "--output", str(run_dir),
               "--stages", "ingest,extract", "--mode", "overwrite", *(a for s in settings for a in ("--set", s))]
    started = time.perf_counter()
    proc = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    sampler = Sampler(proc.pid)
    sampler.start()
    _, err = proc.communicate()
    sampler.stop.set()
    sampler.join()
    wall, cpu = time.perf_counter() - started, sum(sampler.cpu.values())
    if proc.returncode != 0:
        return {"way": name, "exit": proc.returncode, "error": err[-2000:]}
    stats = {s: json.loads((run_dir / "_stats" / f"{s}.json").read_text()) for s in ("ingest", "extract")}
    pages = stats["extract"]["input_rows"]
    return {
        "way": name, "exit": 0, "wall_seconds": round(wall, 1), "cpu_seconds": round(cpu, 1),
        "ingest_seconds": stats["ingest"]["seconds"], "extract_seconds": stats["extract"]["seconds"],
        "pages": pages, "docs": stats["extract"]["output_rows"],
        "pages_per_cpu_second": round(pages / cpu, 1),
        "python_worker_rss_mb": round(max((v for _, s in sampler.samples for v in s.values()), default=0) / 2**20),
        "written_mb": round(folder_bytes(run_dir) / 1e6, 1),
        "pages_table_mb": round(folder_bytes(run_dir / "pages") / 1e6, 1),
        "docs_digest": docs_digest(run_dir),
    }


def s3_copy(path: Path, out: Path) -> tuple[object, str, list[str]]:
    """moto's S3 server on 127.0.0.1 with the file uploaded: (server, s3 URI, settings)."""
    import os
    import socket

    import boto3
    from moto.server import ThreadedMotoServer

    for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_DEFAULT_REGION": "us-east-1"}.items():
        os.environ.setdefault(key, value)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
    client.create_bucket(Bucket="weft-bench")
    client.upload_file(str(path), "weft-bench", path.name)
    return server, f"s3://weft-bench/{path.name}", [f"storage.s3_endpoint_url={endpoint}"]


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--input", type=Path, default=DEFAULT_INPUT)
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "out" / "html_transport")
    parser.add_argument("--no-s3", action="store_true", help="skip (b) from s3://")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--ways", default=",".join(WAYS), help="comma list of the ways to run")
    parser.add_argument("--repeat", type=int, default=1, help="run the ways this many times, in turn")
    args = parser.parse_args(argv)
    if not args.input.exists():
        sys.exit(f"no {args.input}: run `make scale-input` first")
    args.out.mkdir(parents=True, exist_ok=True)
    results = []
    for name in [w for _ in range(args.repeat) for w in args.ways.split(",")]:
        if name == "b_pointer_s3":
            if args.no_s3:
                continue
            server, uri, extra = s3_copy(args.input.resolve(), args.out)
            try:
                results.append(run_way(name, uri, args.out, [*extra, *args.set]))
            finally:
                server.stop()
        else:
            results.append(run_way(name, str(args.input.resolve()), args.out, args.set))
        print(json.dumps(results[-1]), flush=True)
    (args.out / "results.json").write_text(json.dumps(results, indent=1))
    print("\n| way | wall s | ingest s | extract s | CPU s | pages/CPU-s | worker RSS MB | written MB (pages) |")
    print("|---|---|---|---|---|---|---|---|")
    for r in results:
        if r["exit"]:
            print(f"| {r['way']} | failed | | | | | | |")
            continue
        print(f"| {r['way']} | {r['wall_seconds']} | {r['ingest_seconds']:.1f} | {r['extract_seconds']:.1f} | "
              f"{r['cpu_seconds']} | {r['pages_per_cpu_second']} | {r['python_worker_rss_mb']} | "
              f"{r['written_mb']} ({r['pages_table_mb']}) |")
    digests = {r["docs_digest"] for r in results if not r["exit"]}
    print(f"same documents every way: {len(digests) == 1}")


if __name__ == "__main__":
    main()
