"""The input files earlier runs completed: ``<run.state>/completed_files.jsonl`` (default
``RUN_DIR/_state``; point nightly runs at one shared folder).

A file is recorded, with the stages the run went through, only after every one of them has
written its tables and none was skipped, so a run killed halfway records nothing and its rerun
processes the same files again. With ``run.mode: incremental`` (default) a file is skipped
when an earlier run completed it through every stage this run asks for; ``overwrite``
processes every listed file again (and records them).
"""
from __future__ import annotations

import datetime as dt
import json

from jobs.runtime import RunContext
from udfs import storage

FILE = "completed_files.jsonl"


def location(ctx: RunContext) -> str:
    return f"{(ctx.config.run.state or ctx.path('_state')).rstrip('/')}/{FILE}"


def completed(ctx: RunContext) -> dict[str, dict]:
    """Input path → its record (run_date, run_dir, completed_at) for every completed file."""
    path = location(ctx)
    if not storage.exists(path, ctx.config.storage):
        return {}
    rows = (json.loads(line) for line in storage.read_bytes(path, ctx.config.storage).decode().splitlines() if line)
    return {row["file"]: row for row in rows}


def skip_completed(ctx: RunContext, stages: list[str]) -> list[str]:
    """Drop from ``ctx.files`` the files earlier runs completed through every one of ``stages``
    (incremental mode); the skipped ones."""
    if ctx.config.run.mode != "incremental":
        return []
    done = {f: row for f, row in completed(ctx).items() if set(stages) <= set(row.get("stages", []))}
    skipped = [f for f in ctx.files if f in done]
    ctx.files = [f for f in ctx.files if f not in done]
    return skipped


def record(ctx: RunContext, files: list[str], stages: list[str]) -> None:
    """Add ``files``, completed through ``stages``, to the list (one object rewritten whole:
    atomic on S3, and one writer per night)."""
    rows = completed(ctx)
    now = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    for name in files:
        rows[name] = {"file": name, "run_date": ctx.run_date, "run_dir": ctx.run_dir, "completed_at": now,
                      "stages": sorted(stages)}
    text = "".join(json.dumps(rows[k], sort_keys=True) + "\n" for k in sorted(rows))
    storage.write_bytes(location(ctx), text.encode(), ctx.config.storage)
