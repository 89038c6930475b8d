"""weft's main job: run the stages in order on one run folder.

    python -m jobs.pipeline --input INPUT --output RUN_DIR [--config FILE] [--stages LIST] [--set k=v ...]
    spark-submit jobs/pipeline.py <same arguments>
"""
from __future__ import annotations

import sys
from functools import partial

if __package__ in (None, ""):  # spark-submit jobs/pipeline.py: make the package importable
    sys.path.insert(0, __import__("os").path.dirname(__import__("os").path.dirname(__file__)))

from jobs.config import ConfigError
from jobs.progress import finished, log, progress, run_logged
from jobs.registry import NAMES, parse_stages
from jobs.runtime import arg_parser, build_session, fail, prepare
from jobs.staging import open_staging, publish
from jobs.state import location, plan, record
from jobs.summary import print_summary


def run_fused(spark, ctx) -> dict[str, dict]:
    """Ingest and extract as one job (``jobs.ingest_extract``), logged as one, stats per stage."""
    from jobs import ingest_extract

    log("ingest started")
    log("extract started, in the same pass over each file (ingest.fuse_extract)")
    with progress(spark, ingest_extract.NAME, announce=False):
        results = ingest_extract.run(spark, ctx)
    for stage, stats in results.items():
        finished(stage, stats)
    return results


def main(argv=None) -> None:
    args = arg_parser("jobs.pipeline", __doc__.splitlines()[0], stages=NAMES).parse_args(argv)
    try:
        stages = parse_stages(args.stages)
    except ConfigError as exc:
        fail(str(exc))
    names = [s.name for s in stages]
    ctx = prepare(args, needs_input="ingest" in names)
    if "ingest" in names:
        ctx, skipped = plan(ctx, names)
        if skipped and not ctx.files:
            print(f"weft: all {len(skipped)} input files were completed by earlier runs "
                  f"({location(ctx)}); nothing to do (run.mode=overwrite processes them again)")
            return
        if skipped:
            print(f"weft: skipping {len(skipped)} input files completed by earlier runs ({location(ctx)})",
                  file=sys.stderr)
    appending = "ingest" in names and ctx.config.run.mode == "append"
    work = open_staging(ctx) if appending else ctx  # append: the stages see only this run's rows
    skips = {s.name: s.preflight(work) for s in stages}  # weights, models, files: before hours of Spark work
    spark = build_session(ctx.config, "weft")
    results: dict = {}
    fused = {"ingest", "extract"} <= set(names) and ctx.config.ingest.fuse_extract
    try:
        for stage in stages:
            if fused and stage.name == "ingest":
                results.update(run_fused(spark, work))
            elif not (fused and stage.name == "extract"):
                results[stage.name] = run_logged(spark, stage.name, partial(stage.run, skip=skips[stage.name]), work)
        if appending:
            print(f"weft: appended to the night {ctx.run_date}: {', '.join(publish(spark, work, ctx))}",
                  file=sys.stderr)
    finally:
        spark.stop()
    if "ingest" in names and not any(r.get("skipped") for r in results.values()):
        record(ctx, ctx.files, names)  # every stage has written its tables: the files are done
    tables = [t for s in stages if not results[s.name].get("skipped") for t in s.writes]
    print_summary(ctx, results, tuple(dict.fromkeys(tables)))


if __name__ == "__main__":
    main()
