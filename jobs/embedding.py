"""CLIP embeddings as the clip and mmc4 stages both compute them: the weights checked on the
driver, distinct images and texts embedded by ``udfs.clip.clip_batches`` tasks (on the clip GPU
profile where there is one), texts keyed by their SHA-256."""
from __future__ import annotations

import math
from functools import partial

from jobs.runtime import RunContext, fail, map_in_arrow
from jobs.tables import read_table
from schemas.clip import CLIP_ROWS
from schemas.images import IMAGES
from udfs.clip.clip_batches import cache_dir
from udfs.clip.clip_model import ClipUnavailable, ModelSpec, load

ROWS_PER_TASK = 20_000  # embeddings per Spark task


def check_weights(ctx: RunContext) -> str | None:
    """None when the weights load (on the driver's CPU), else why the CLIP stages are skipped;
    stops the run when CLIP is required."""
    try:
        load(ModelSpec.from_settings(ctx.config.clip), "cpu", cache_dir(ctx.config.clip), ctx.config.storage)
        return None
    except ClipUnavailable as exc:
        if ctx.config.clip.required:
            fail(str(exc))
        return f"CLIP weights unavailable (clip.required=false): {exc}"


def gpu_profile(clip):
    """A ResourceProfile giving each clip task ``clip.task_gpus`` GPUs, or None (CPU stages keep
    the cluster's defaults either way)."""
    if clip.task_gpus <= 0:
        return None
    from pyspark.resource import ExecutorResourceRequests, ResourceProfileBuilder, TaskResourceRequests

    executor = ExecutorResourceRequests().resource("gpu", max(1, math.ceil(clip.task_gpus)))
    task = TaskResourceRequests().cpus(1).resource("gpu", clip.task_gpus)
    return ResourceProfileBuilder().require(executor).require(task).build


def text_key(column: str):
    """The key of a text's embedding in ``clip_embeddings``: SHA-256 of the text."""
    from pyspark.sql import functions as F

    return F.sha2(F.col(column), 256)


def image_inputs(spark, ctx: RunContext):
    """(key, image_bytes) of every distinct image fetched ok, keyed by sha256."""
    from pyspark.sql import functions as F

    return (read_table(spark, IMAGES, ctx).where("status = 'ok'")
            .select(F.col("sha256").alias("key"), "image_bytes").dropDuplicates(["key"]))


def embed(inputs, batches_fn, ctx: RunContext, count: int):
    """(key, image_bytes) or (key, text) rows → CLIP_ROWS (embeddings, rejects), ``count`` rows
    spread over tasks, on the clip GPU profile when there is one."""
    from pyspark.sql import functions as F

    tasks = max(1, math.ceil(count / ROWS_PER_TASK))
    return map_in_arrow(inputs.repartition(tasks, F.col("key")), partial(batches_fn, config=ctx.config),
                        CLIP_ROWS.spark(), gpu_profile(ctx.config.clip))
