"""What a run prints at the end: where the tables are and one line per stage."""
from __future__ import annotations

from jobs.runtime import RunContext

def stage_line(stage: str, stats: dict) -> str:
    if stats.get("skipped"):
        return f"  {stage:<8} skipped: {stats['skipped']}"
    rejected = stats["rejected"]
    top = ", ".join(f"{reason} {n:,}" for reason, n in list(rejected.items())[:4])
    more = f", +{len(rejected) - 4} more reasons" if len(rejected) > 4 else ""
    files = f"{stats['input_files']:,} files, " if "input_files" in stats else ""
    kept = f" ({stats['kept_docs']:,} kept)" if "kept_docs" in stats else ""
    if "archived_images" in stats:
        kept = f" ({stats['pages']:,} pages, {stats['archived_images']:,} archived images)"
    if stats.get("image_sources"):
        kept = " (" + ", ".join(f"{n:,} from the {s}" for s, n in stats["image_sources"].items()) + ")"
    mode = f" [{stats['mode']}]" if "mode" in stats else ""
    check = "" if stats.get("balanced", True) else "  [COUNTS DO NOT RECONCILE: see _stats]"
    reasons = f" ({top}{more})" if rejected else ""
    return (f"  {stage:<8} {files}{stats['input_rows']:,} in → {stats['output_rows']:,} out{kept}, "
            f"{sum(rejected.values()):,} rejected{reasons} in {stats['seconds']:.1f} s{mode}{check}")


def rules_line(results: dict[str, dict]) -> str | None:
    """The document rules between extract and dedup: documents extracted, kept, dropped per rule."""
    decided = (results.get("dedup") or {}).get("documents")
    if decided is None:
        return None
    dropped = list(decided["dropped_by_rule"].items())
    top = ", ".join(f"{rule} {n:,}" for rule, n in dropped[:4]) + (f", +{len(dropped) - 4} more" if len(dropped) > 4 else "")
    return (f"  {'rules':<8} {decided['extracted']:,} documents → {decided['kept']:,} kept"
            + (f" (dropped: {top})" if dropped else ""))


def print_summary(ctx: RunContext, results: dict[str, dict], tables: tuple[str, ...] = ()) -> None:
    print(f"\nweft run folder: {ctx.run_dir}")
    for name in tables:
        print(f"  table {name:<12} {ctx.path(name)}")
    print(f"  stats               {ctx.path('_stats')}/<stage>.json")
    rules = rules_line(results)
    for stage, stats in results.items():
        if stage == "dedup" and rules:
            print(rules)
        print(stage_line(stage, stats))
    report = results.get("report")
    if isinstance(report, dict) and report.get("report"):
        print(f"\nreport: {report['report']}")
