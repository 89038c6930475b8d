"""The input files earlier runs completed: ``<run.state>/completed_files.jsonl`` (default
``RUN_DIR/_state``; point nightly runs at one shared folder).

A file is recorded, with the night (run.date) and the stages the run went through, only after
every one of them has written its tables and none was skipped, so a run killed halfway records
nothing and its rerun processes the same files again. ``plan`` applies ``run.mode``.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
import typing

from jobs.runtime import RunContext
from udfs.common import storage

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


def plan(ctx: RunContext, stages: list[str]) -> tuple[RunContext, list[str]]:
    """``ctx`` with the files this run processes, by ``run.mode``, and the listed files it skips
    because earlier runs completed them through every one of ``stages``.

    ``incremental``: nothing to do when every listed file is completed; otherwise the new files
    and every file the night (run.date) already completed, since the night's partitions are
    rewritten whole. ``append``: the new files only (their rows are added to the night's).
    ``overwrite``: every listed file, and the night is exactly these files."""
    mode = ctx.config.run.mode
    if mode == "overwrite":
        return ctx, []
    recorded = completed(ctx)
    done = {f: row for f, row in recorded.items() if set(stages) <= set(row.get("stages", []))}
    skipped = [f for f in ctx.files if f in done]
    if mode == "append" or len(skipped) == len(ctx.files):
        return dataclasses.replace(ctx, files=[f for f in ctx.files if f not in done]), skipped
    tonight = [f for f, row in recorded.items() if row["run_date"] == ctx.run_date]
    skipped = [f for f in skipped if f not in tonight]
    files = list(dict.fromkeys([*(f for f in ctx.files if f not in skipped), *tonight]))
    return dataclasses.replace(ctx, files=files), skipped


def record(ctx: RunContext, files: typing.Sequence[str], stages: list[str]) -> None:
    """Add ``files``, completed through ``stages``, to the list (one object rewritten whole:
    atomic on S3, and one writer per night). Except in ``append`` mode the night now holds
    exactly ``files``: the night's other entries are dropped."""
    rows = completed(ctx)
    if ctx.config.run.mode != "append":
        rows = {f: row for f, row in rows.items() if row["run_date"] != ctx.run_date}
    now = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    for name in files:
        rows[name] = {"file": name, "run_date": ctx.run_date, "run_dir": ctx.run_dir, "completed_at": now,
                      "stages": sorted(stages)}
    text = "".join(json.dumps(rows[k], sort_keys=True) + "\n" for k in sorted(rows))
    storage.write_bytes(location(ctx), text.encode(), ctx.config.storage)
