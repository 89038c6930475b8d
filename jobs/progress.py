"""Progress on the driver's log: one line when a stage starts, one when it ends (rows and
seconds), and while it runs a line whenever Spark completes more of its tasks (read from the
status tracker every few seconds; a user watching the log sees long stages move)."""
from __future__ import annotations

import sys
import threading
import time
from contextlib import contextmanager

INTERVAL_SECONDS = 5.0


def log(message: str) -> None:
    print(f"weft: {message}", file=sys.stderr, flush=True)


def task_counts(spark) -> tuple[int, int]:
    """(completed, total) tasks of the Spark stages active now."""
    tracker = spark.sparkContext.statusTracker()
    done = total = 0
    for stage_id in tracker.getActiveStageIds():
        info = tracker.getStageInfo(stage_id)
        if info is not None:
            done += info.numCompletedTasks
            total += info.numTasks
    return done, total


@contextmanager
def progress(spark, stage: str, interval: float = INTERVAL_SECONDS, announce: bool = True):
    """Log ``stage``'s start (unless the caller did: ``announce``), its task progress while it
    runs, and its end (the caller logs the counts with ``finished``)."""
    stop = threading.Event()
    started = time.perf_counter()
    if announce:
        log(f"{stage} started")

    def watch() -> None:
        last = None
        while not stop.wait(interval):
            try:
                done, total = task_counts(spark)
            except Exception:  # noqa: BLE001 -- the session is stopping; progress is best effort
                return
            if total and (done, total) != last:
                log(f"{stage}: {done}/{total} tasks done, {time.perf_counter() - started:.0f} s")
                last = (done, total)

    thread = threading.Thread(target=watch, name=f"weft-progress-{stage}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=interval)


def run_logged(spark, stage: str, run, ctx) -> dict:
    """``run(spark, ctx)`` between its start, progress and end lines; its stats. A setting the
    stage finds it cannot honour with the tables at hand (a ConfigError) stops the run with one line."""
    from jobs.config import ConfigError
    from jobs.runtime import fail

    try:
        with progress(spark, stage):
            stats = run(spark, ctx)
    except ConfigError as exc:
        fail(f"{stage}: {exc}")
    finished(stage, stats)
    return stats


def finished(stage: str, stats: dict) -> None:
    if stats.get("skipped"):
        log(f"{stage} skipped: {stats['skipped']}")
        return
    rejected = sum((stats.get("rejected") or {}).values())
    log(f"{stage} done: {stats.get('input_rows', 0):,} in, {stats.get('output_rows', 0):,} out, "
        f"{rejected:,} rejected, {stats.get('seconds', 0):.1f} s")
