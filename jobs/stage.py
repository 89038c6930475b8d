"""The stage protocol: what every stage declares (name, tables read and written, a pre-flight
check, its work) and what every stage does the same way (stats, timing, writing its rows by
kind, its own entry point). A stage's module holds only what is particular to it; the order of
the stages is ``jobs.registry``'s."""
from __future__ import annotations

import time
from contextlib import nullcontext
from functools import partial
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Sequence

from jobs.runtime import RunContext, arrow_batch_rows
from jobs.stats import rejected_by_reason, write_skipped, write_stats
from jobs.tables import write_table
from schemas.rejects import REJECTS
from schemas.table import Table

Work = Callable[[Any, RunContext], dict]  # (spark, ctx) -> counts: input_rows, output_rows, extras
Check = Callable[[RunContext], "str | None"]  # fails the run, or says why the stage is skipped
UNCHECKED = object()


@dataclass(frozen=True)
class Stage:
    """One stage. ``work`` writes the stage's tables and returns its counts (``input_rows``,
    ``output_rows`` and extras, read back from what it wrote); ``check`` runs before any Spark
    work (``fail`` stops the run; a returned reason skips the stage)."""

    name: str
    summary: str
    reads: tuple[str, ...]
    writes: tuple[str, ...]
    work: Work
    check: Check | None = None

    def preflight(self, ctx: RunContext) -> str | None:
        return self.check(ctx) if self.check is not None else None

    def run(self, spark, ctx: RunContext, skip: Any = UNCHECKED) -> dict:
        """The stage's stats (also written to ``_stats/<stage>.json``); ``skip`` is the pre-flight
        outcome when the caller has checked already."""
        skip = self.preflight(ctx) if skip is UNCHECKED else skip
        started = time.perf_counter()
        if skip is not None:
            return write_skipped(ctx, self.name, 0.0, skip)
        return finish(spark, ctx, self.name, self.work(spark, ctx), time.perf_counter() - started)

    def main(self, argv: Sequence[str] | None = None) -> None:
        """``python -m jobs.<stage>``: this stage on a run folder."""
        stage_main(self, argv)


def finish(spark, ctx: RunContext, stage: str, counts: Mapping[str, Any], seconds: float) -> dict:
    """Write and return the stats of ``stage`` from its ``counts``; its rejects are counted
    from the ``rejects`` table unless ``counts`` has them."""
    counts = dict(counts)
    rejected = counts.pop("rejected", None)
    if rejected is None:
        rejected = rejected_by_reason(spark, ctx, stage)
    return write_stats(ctx, stage, rejected=rejected, seconds=seconds, **counts)


def write_by_kind(spark, ctx: RunContext, stage: str, outputs: Sequence[tuple[Any, Mapping[str, Table]]],
                  rejects=None, batch_rows: int | None = None) -> None:
    """Write a stage's output rows. Each ``(rows, {row_kind: table})`` frame is kept on disk
    while its rows of each kind are written as their table; every frame's ``reject`` rows, and
    ``rejects`` (more reject rows) when given, become the stage's partition of ``rejects``.
    ``batch_rows``: Arrow and Parquet batch rows while writing (``arrow_batch_rows``)."""
    from pyspark import StorageLevel
    from pyspark.sql import functions as F

    frames = [(rows.persist(StorageLevel.DISK_ONLY), tables) for rows, tables in outputs]
    try:
        with arrow_batch_rows(spark, batch_rows) if batch_rows else nullcontext():
            for rows, tables in frames:
                for kind, table in tables.items():
                    write_table(rows.where(F.col("row_kind") == kind), table, ctx)
            found = [rows.where(F.col("row_kind") == "reject").select(*REJECTS.names) for rows, _ in frames]
            if rejects is not None:
                found.append(rejects.select(*REJECTS.names))
            union = found[0]
            for more in found[1:]:
                union = union.unionByName(more)
            write_table(union, REJECTS, ctx, partition={"stage": stage})
    finally:
        for rows, _ in frames:
            rows.unpersist()


def stage_main(stage: Stage, argv: Sequence[str] | None = None) -> None:
    """One stage on a run folder: settings and the pre-flight check before Spark starts."""
    from jobs.progress import run_logged
    from jobs.runtime import arg_parser, build_session, prepare
    from jobs.summary import print_summary

    args = arg_parser(f"jobs.{stage.name}", f"weft {stage.name} stage: {stage.summary}").parse_args(argv)
    ctx = prepare(args, needs_input=stage.name == "ingest")
    skip = stage.preflight(ctx)
    spark = build_session(ctx.config, f"weft-{stage.name}")
    try:
        stats = run_logged(spark, stage.name, partial(stage.run, skip=skip), ctx)
    finally:
        spark.stop()
    print_summary(ctx, {stage.name: stats}, stage.writes)
