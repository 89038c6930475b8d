"""An NSFW score from a small head on CLIP image embeddings, when the user supplies one.

The head is an ``.npz`` file of layers ``w0``, ``b0``, ``w1``, ``b1``, ... (``w``: in x out):
ReLU between layers, a sigmoid on the single output. Without a head there is no score (null),
never a made-up one."""
from __future__ import annotations

from functools import lru_cache
import io

import numpy as np

from udfs.common import storage
from udfs.common.settings import StorageSettings


@lru_cache(maxsize=2)
def load_head(path: str, storage_settings: StorageSettings) -> tuple[tuple[np.ndarray, np.ndarray], ...]:
    arrays = np.load(io.BytesIO(storage.read_bytes(path, storage_settings)))
    layers = []
    while f"w{len(layers)}" in arrays:
        n = len(layers)
        layers.append((arrays[f"w{n}"].astype(np.float32), arrays[f"b{n}"].astype(np.float32)))
    if not layers or layers[-1][0].shape[1] != 1:
        raise ValueError(f"{path}: expected layers w0, b0, ... ending in one output")
    return tuple(layers)


def scores(embeddings: np.ndarray, layers) -> np.ndarray:
    """The head's probability for each row of ``embeddings``."""
    x = np.asarray(embeddings, dtype=np.float32)
    for i, (w, b) in enumerate(layers):
        x = x @ w + b
        if i < len(layers) - 1:
            x = np.maximum(x, 0)
    return 1.0 / (1.0 + np.exp(-x[:, 0]))
