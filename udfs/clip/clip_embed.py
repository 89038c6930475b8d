"""CLIP embeddings of images (from ``image_bytes``) and texts, L2-normalised, in model batches.

Images are decoded and preprocessed (open_clip's transform) on a small thread pool while the
model runs; an image that cannot be decoded gets an error instead of an embedding. On a GPU the
model runs under bf16 autocast, on the CPU in float32. Results do not depend on how the rows
were batched (each row is computed independently of its neighbours).
"""
from __future__ import annotations

import io
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Iterable, Iterator

import numpy as np

from udfs.clip.clip_model import LoadedModel


def _preprocess(loaded: LoadedModel, data: bytes) -> tuple[Any, str | None]:
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as image:
            return loaded.preprocess(image.convert("RGB")), None
    except Exception as exc:  # noqa: BLE001 -- a broken image is a reject, not a crash
        return None, f"{type(exc).__name__}: {exc}"[:300]


def _run(loaded: LoadedModel, encode, inputs) -> np.ndarray:
    import torch

    with torch.inference_mode():
        if loaded.device.startswith("cuda"):
            with torch.autocast("cuda", dtype=torch.bfloat16):
                features = encode(inputs.to(loaded.device, non_blocking=True))
        else:
            features = encode(inputs)
        features = torch.nn.functional.normalize(features.float(), dim=-1)
    return features.cpu().numpy()


def _batches(items: Iterable, size: int) -> Iterator[list]:
    batch: list = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _ahead(pool, fn, items: Iterable, window: int) -> Iterator:
    """``fn`` of each item, in order, computed on ``pool`` at most ``window`` items ahead of the
    consumer (``Executor.map`` would take the whole input at once)."""
    pending: deque = deque()
    for item in items:
        pending.append(pool.submit(fn, item))
        if len(pending) >= window:
            yield pending.popleft().result()
    while pending:
        yield pending.popleft().result()


def embed_images(images: Iterable[bytes], loaded: LoadedModel, batch_size: int,
                 threads: int = 4) -> Iterator[tuple[np.ndarray | None, str | None]]:
    """(embedding, None) or (None, error) per image, in order; ``batch_size`` images per model call."""
    import torch

    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="weft-clip-pre") as pool:
        prepared = _ahead(pool, lambda data: _preprocess(loaded, data), images, 2 * batch_size)
        for batch in _batches(prepared, batch_size):
            ok = [tensor for tensor, error in batch if error is None]
            vectors = iter(_run(loaded, loaded.model.encode_image, torch.stack(ok)) if ok else [])
            for _, error in batch:
                yield (None, error) if error is not None else (next(vectors), None)


def embed_texts(texts: Iterable[str], loaded: LoadedModel, batch_size: int) -> Iterator[np.ndarray]:
    """One embedding per text, in order (texts longer than the context are truncated)."""
    for batch in _batches(texts, batch_size):
        tokens = loaded.tokenizer(batch)
        yield from _run(loaded, loaded.model.encode_text, tokens)
