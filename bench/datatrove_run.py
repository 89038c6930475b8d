"""datatrove's own WARC → text pipeline, for bench/pipeline.py's side-by-side (runs in .venv-bench).

    .venv-bench/bin/python bench/datatrove_run.py --workers N --output DIR FILE [FILE ...]

WarcReader → Trafilatura (datatrove's defaults, as FineWeb uses them: favour_precision=True,
timeout 1 s) → GopherQualityFilter (defaults) → JsonlWriter (defaults: gzipped JSON lines), on a
LocalPipelineExecutor with one task per input file (datatrove shards by file) and --workers
processes. Writes DIR/docs/*.jsonl.gz and DIR/logs/ (datatrove's logs and stats.json); prints one
JSON object on stdout: wall seconds, documents read, extracted, written, tasks, workers.
Needs nothing from the network: Gopher's English word tokenizer is spacy.blank("en").
"""
from __future__ import annotations

import argparse
import glob
import json
import os
import sys
import tempfile
import time


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
            sys.exit(f"datatrove_run: no input file matches {pattern}")
        files += [os.path.abspath(m) for m in matches]
    return list(dict.fromkeys(files))


def totals(step: dict) -> dict[str, int]:
    """A step's counters from datatrove's stats: name → total."""
    return {k: (v["total"] if isinstance(v, dict) else v) for k, v in step["stats"].items()
            if isinstance(v, (int, float)) or (isinstance(v, dict) and "total" in v)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("inputs", nargs="+", help="WARC files, globs or directories")
    parser.add_argument("--output", required=True, help="folder for docs/ and logs/")
    parser.add_argument("--workers", type=int, default=2, help="processes running tasks at once")
    args = parser.parse_args()

    from datatrove.executor import LocalPipelineExecutor
    from datatrove.pipeline.extractors import Trafilatura
    from datatrove.pipeline.filters import GopherQualityFilter
    from datatrove.pipeline.readers import WarcReader
    from datatrove.pipeline.writers import JsonlWriter

    files = input_files(args.inputs)
    root = os.path.commonpath([os.path.dirname(f) for f in files])
    os.makedirs(args.output, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", suffix=".txt", dir=args.output, delete=False) as fh:
        fh.write("".join(os.path.relpath(f, root) + "\n" for f in files))  # task i reads line i
        paths_file = fh.name

    executor = LocalPipelineExecutor(
        pipeline=[
            WarcReader(root, paths_file=paths_file),
            Trafilatura(favour_precision=True),
            GopherQualityFilter(),
            JsonlWriter(os.path.join(args.output, "docs")),
        ],
        tasks=len(files),
        workers=args.workers,
        logging_dir=os.path.join(args.output, "logs"),
        skip_completed=False,
    )
    started = time.perf_counter()
    stats = executor.run()
    seconds = time.perf_counter() - started
    os.unlink(paths_file)

    steps = json.loads(stats.to_json())
    reader, extractor, gopher, writer = (totals(s) for s in steps)
    print(json.dumps({
        "wall_seconds": round(seconds, 3),
        "files": len(files),
        "tasks": len(files),
        "workers": args.workers,
        "documents_read": reader.get("documents", 0),  # HTML (or WET) records the reader turned into documents
        "extracted": extractor.get("forwarded", 0),  # documents with text after Trafilatura
        "extract_timeouts": extractor.get("timeout", 0),
        "extract_errors": extractor.get("clean_error", 0) + extractor.get("broken_process", 0),
        "gopher_dropped": gopher.get("dropped", 0),
        "documents_written": writer.get("total", 0),
        # seconds inside each step, summed over tasks (datatrove's own timers)
        "step_seconds": {name: round(s["time_stats"].get("total", 0) if isinstance(s["time_stats"], dict) else 0, 3)
                         for name, s in zip(("reader", "trafilatura", "gopher", "writer"), steps)},
        "output": os.path.abspath(os.path.join(args.output, "docs")),
    }))


if __name__ == "__main__":
    main()
