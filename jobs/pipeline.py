"""weft's main job: run the stages in order on one run folder.

    python -m jobs.pipeline --input INPUT --output RUN_DIR [--config FILE] [--stages LIST] [--set k=v ...]
    spark-submit jobs/pipeline.py <same arguments>
"""
from __future__ import annotations

import importlib
import sys

if __package__ in (None, ""):  # spark-submit jobs/pipeline.py: make the package importable
    sys.path.insert(0, __import__("os").path.dirname(__import__("os").path.dirname(__file__)))

from jobs.config import ConfigError  # noqa: E402
from jobs.progress import finished, log, progress, run_logged  # noqa: E402
from jobs.runtime import arg_parser, build_session, fail, parse_stages, prepare  # noqa: E402
from jobs.staging import open_staging, publish  # noqa: E402
from jobs.state import location, plan, record  # noqa: E402
from jobs.summary import NOT_IMPLEMENTED, print_summary  # noqa: E402

# Stage name -> module with run(spark, ctx) -> stats, and the tables it writes.
IMPLEMENTED = {
    "ingest": ("jobs.ingest", ("pages", "archived_images", "rejects", "warc_files")),
    "extract": ("jobs.extract", ("docs", "alt_pairs")),
    "dedup": ("jobs.dedup", ("docs_dedup", "duplicates")),
    "images": ("jobs.images", ("images",)),
    "clip": ("jobs.clip", ("clip_embeddings", "clip_scores")),
    "mmc4": ("jobs.mmc4", ("mmc4",)),
    "curate": ("jobs.curate", ("pairs", "obelics")),
    "report": ("jobs.report", ()),
}


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
    args = arg_parser("jobs.pipeline", __doc__.splitlines()[0], stages=True).parse_args(argv)
    try:
        stages = parse_stages(args.stages)
    except ConfigError as exc:
        fail(str(exc))
    ctx = prepare(args, needs_input="ingest" in stages)
    if "ingest" in stages:
        skipped = plan(ctx, stages)
        if skipped and not ctx.files:
            print(f"weft: all {len(skipped)} input files were completed by earlier runs "
                  f"({location(ctx)}); nothing to do (run.mode=overwrite processes them again)")
            return
        if skipped:
            print(f"weft: skipping {len(skipped)} input files completed by earlier runs ({location(ctx)})",
                  file=sys.stderr)
    appending = "ingest" in stages and ctx.config.run.mode == "append"
    work = open_staging(ctx) if appending else ctx  # append: the stages see only this run's rows
    for stage in stages:  # weights, models, files are checked before hours of Spark work, not after
        module = importlib.import_module(IMPLEMENTED[stage][0]) if stage in IMPLEMENTED else None
        if hasattr(module, "check_ready"):
            module.check_ready(work)
    spark = build_session(ctx.config, "weft")
    results: dict = {}
    tables: list[str] = []
    fused = "ingest" in stages and "extract" in stages and ctx.config.ingest.fuse_extract
    try:
        for stage in stages:
            if fused and stage in ("ingest", "extract"):
                if stage == "ingest":
                    results.update(run_fused(spark, work))
                    tables += [t for s in ("ingest", "extract") for t in IMPLEMENTED[s][1] if t not in tables]
                continue
            if stage not in IMPLEMENTED:
                print(f"weft: warning: stage {stage} is {NOT_IMPLEMENTED}", file=sys.stderr)
                results[stage] = NOT_IMPLEMENTED
                continue
            module, written = IMPLEMENTED[stage]
            results[stage] = run_logged(spark, stage, importlib.import_module(module).run, work)
            if not results[stage].get("skipped"):
                tables += [t for t in written if t not in tables]
        if appending:
            print(f"weft: appended to the night {ctx.run_date}: {', '.join(publish(spark, work, ctx))}",
                  file=sys.stderr)
    finally:
        spark.stop()
    if "ingest" in stages and not any(isinstance(r, dict) and r.get("skipped") for r in results.values()):
        record(ctx, ctx.files, stages)  # every stage has written its tables: the files are done
    print_summary(ctx, results, tuple(tables))


if __name__ == "__main__":
    main()
