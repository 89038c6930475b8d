"""``_stats/<stage>.json``: counts read back from the written tables, so they survive retries."""
from __future__ import annotations

import json
from typing import Any

from jobs.runtime import RunContext
from jobs.tables import read_table
from schemas.rejects import REJECTS


def rejected_by_reason(spark, ctx: RunContext, stage: str) -> dict[str, int]:
    from pyspark.sql import functions as F

    rows = (read_table(spark, REJECTS, ctx).where(F.col("stage") == stage)
            .groupBy("reason").count().collect())
    return dict(sorted(((r["reason"], r["count"]) for r in rows), key=lambda kv: (-kv[1], kv[0])))


def write_stats(ctx: RunContext, stage: str, input_rows: int, output_rows: int, rejected: dict[str, int],
                seconds: float, **extra: Any) -> dict[str, Any]:
    """Write and return the stage's stats; ``balanced`` says whether input = output + rejected."""
    stats = {
        "stage": stage,
        "input_rows": input_rows,
        "output_rows": output_rows,
        "rejected": rejected,
        "seconds": round(seconds, 3),
        "balanced": (extra.get("fan_out", False) or input_rows == output_rows + sum(rejected.values()))
        and not extra.get("missing_files") and not extra.get("unbalanced_files"),
        **extra,
    }
    ctx.write_text(f"_stats/{stage}.json", json.dumps(stats, indent=2, sort_keys=False, default=str))
    return stats


def write_skipped(ctx: RunContext, stage: str, seconds: float, why: str) -> dict[str, Any]:
    """Stats of a stage that did not run, saying why."""
    return write_stats(ctx, stage, input_rows=0, output_rows=0, rejected={}, seconds=seconds, skipped=why)
