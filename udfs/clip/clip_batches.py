"""The clip stage's tasks: (key, image_bytes) or (key, text) rows in, ``clip_embeddings`` rows
(and rejects for images that cannot be read) out. The model is loaded once per Python worker
on the task's device: the GPU Spark assigned to the task, else the first visible CUDA device,
else the CPU. Rows are re-batched to the model batch size, whatever the Arrow batch size."""
from __future__ import annotations

import os
from itertools import islice
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import pyarrow as pa

from schemas.clip import CLIP_ROWS
from udfs.common.arrow_rows import reject_row, to_batch
from udfs.clip.clip_embed import embed_images, embed_texts
from udfs.clip.clip_model import LoadedModel, ModelSpec, load
from udfs.common.settings import ClipSettings, Config

STAGE = "clip"


def cache_dir(clip: ClipSettings) -> str:
    return clip.cache_dir or str(Path.home() / ".cache" / "weft" / "clip")


def task_device() -> str:
    """cuda:N for the GPU Spark gave this task (mapped through CUDA_VISIBLE_DEVICES), else cuda:0
    when a GPU is visible, else cpu."""
    import torch

    if not torch.cuda.is_available():
        return "cpu"
    try:
        from pyspark import TaskContext

        context = TaskContext.get()
        gpus = context.resources().get("gpu") if context is not None else None
    except ImportError:
        gpus = None
    if gpus is not None and gpus.addresses:
        address = gpus.addresses[0]
        visible = [d.strip() for d in os.environ.get("CUDA_VISIBLE_DEVICES", "").split(",") if d.strip()]
        return f"cuda:{visible.index(address) if address in visible else 0 if visible else address}"
    return "cuda:0"


def model_for_task(config: Config) -> tuple[LoadedModel, int]:
    """The loaded model and the model batch size for this task's device."""
    clip = config.clip
    device = task_device()
    loaded = load(ModelSpec.from_settings(clip), device, cache_dir(clip), config.storage)
    return loaded, clip.batch_size_gpu if device.startswith("cuda") else clip.batch_size_cpu


def stored(vector: np.ndarray, dtype: str) -> list[float]:
    """The embedding as stored: float32 values, rounded to float16 precision when asked."""
    return (vector.astype(np.float16).astype(np.float32) if dtype == "float16" else vector).tolist()


def _rows(batches: Iterator[pa.RecordBatch], columns: tuple[str, str]) -> Iterator[tuple[Any, Any]]:
    for batch in batches:
        yield from zip(batch.column(columns[0]).to_pylist(), batch.column(columns[1]).to_pylist())


def image_embedding_batches(batches: Iterator[pa.RecordBatch], config: Config) -> Iterator[pa.RecordBatch]:
    """mapInArrow adapter: (key, image_bytes) rows in, CLIP_ROWS out."""
    loaded, batch_size = model_for_task(config)
    schema = CLIP_ROWS.arrow()
    rows = _rows(batches, ("key", "image_bytes"))
    while chunk := list(islice(rows, 4 * batch_size)):
        out = []
        results = embed_images((data or b"" for _, data in chunk), loaded, batch_size, config.clip.preprocess_threads)
        for (key, _), (vector, error) in zip(chunk, results):
            if error is None:
                out.append({"row_kind": "embedding", "key": key, "modality": "image", "model": loaded.label,
                            "embedding": stored(vector, config.clip.embedding_dtype)})
            else:
                out.append(reject_row(STAGE, "image_unreadable", error, key, None, None))
        yield to_batch(out, schema)


def text_embedding_batches(batches: Iterator[pa.RecordBatch], config: Config) -> Iterator[pa.RecordBatch]:
    """mapInArrow adapter: (key, text) rows in, CLIP_ROWS out."""
    loaded, batch_size = model_for_task(config)
    schema = CLIP_ROWS.arrow()
    rows = _rows(batches, ("key", "text"))
    while chunk := list(islice(rows, 4 * batch_size)):
        vectors = embed_texts((text or "" for _, text in chunk), loaded, batch_size)
        yield to_batch([{"row_kind": "embedding", "key": key, "modality": "text", "model": loaded.label, "text": text,
                         "embedding": stored(vector, config.clip.embedding_dtype)}
                        for (key, text), vector in zip(chunk, vectors)], schema)
