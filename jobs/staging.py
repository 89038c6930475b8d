"""``run.mode: append``: the run's stages work in ``RUN_DIR/_staging/<stamp>`` (so each stage
sees only this run's rows), then ``publish`` appends every table written there to the night's
partitions under RUN_DIR and copies the run's stats and report. The dedup index stays the
output root's, so the new files are deduplicated against everything kept before them."""
from __future__ import annotations

import dataclasses
import datetime as dt

from jobs.runtime import RunContext
from jobs.tables import read_table, run_crawl, write_table
from schemas.table import registered
from udfs.common import storage

FOLDER = "_staging"  # leading underscore: Spark's readers of RUN_DIR/<table> never see it


def open_staging(ctx: RunContext) -> RunContext:
    """A context like ``ctx`` whose run folder is a fresh staging folder (earlier, unpublished
    ones are removed: one writer per output root)."""
    storage.delete_tree(ctx.path(FOLDER), ctx.config.storage)
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%S")
    dedup = dataclasses.replace(ctx.config.dedup, index=ctx.config.dedup.index or ctx.path("dedup_index"))
    config = dataclasses.replace(ctx.config, dedup=dedup)
    return dataclasses.replace(ctx, run_dir=ctx.path(f"{FOLDER}/{stamp}"), config=config)


def publish(spark, work: RunContext, ctx: RunContext) -> list[str]:
    """Append the staged tables to RUN_DIR's, copy the stats and report; the tables published."""
    tables = registered()
    ctx = dataclasses.replace(ctx, crawl=run_crawl(work))  # rows without their own crawl keep the staged one
    published = []
    for name in storage.list_folders(work.run_dir, ctx.config.storage):
        if name in tables and tables[name].nightly:
            write_table(read_table(spark, tables[name], work), tables[name], ctx, append=True)
            published.append(name)
    for uri in storage.list_files(work.path("_stats") + "/", ctx.config.storage):
        storage.write_bytes(ctx.path("_stats/" + uri.rsplit("/", 1)[-1]), storage.read_bytes(uri, ctx.config.storage),
                            ctx.config.storage)
    if storage.exists(work.path("report.html"), ctx.config.storage):
        storage.write_bytes(ctx.path("report.html"), storage.read_bytes(work.path("report.html"), ctx.config.storage),
                            ctx.config.storage)
    storage.delete_tree(ctx.path(FOLDER), ctx.config.storage)
    return published
