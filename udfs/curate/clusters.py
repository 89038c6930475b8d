"""DataComp's image-based clustering with FAISS: k-means trained on a sample of CLIP image
embeddings (in one task; on the GPU when faiss has one), then every embedding assigned to its
nearest centroid (L2, as faiss's k-means index), batch by batch on the executors."""
from __future__ import annotations

import numpy as np


def train(sample: np.ndarray, k: int, iterations: int, seed: int) -> np.ndarray:
    """k-means centroids (at most one per sample row) of ``sample`` (n x d)."""
    import faiss

    sample = np.ascontiguousarray(sample, dtype=np.float32)
    k = max(1, min(k, len(sample)))
    kmeans = faiss.Kmeans(sample.shape[1], k, niter=iterations, seed=seed, gpu=faiss.get_num_gpus() > 0,
                          min_points_per_centroid=1, max_points_per_centroid=max(256, len(sample) // k + 1))
    kmeans.train(sample)
    return kmeans.centroids


def assign(vectors: np.ndarray, centroids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(nearest centroid, squared L2 distance to it) for each row of ``vectors``."""
    import faiss

    index = faiss.IndexFlatL2(centroids.shape[1])
    index.add(np.ascontiguousarray(centroids, dtype=np.float32))
    if len(vectors) == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.float32)
    distances, ids = index.search(np.ascontiguousarray(vectors, dtype=np.float32), 1)
    return ids[:, 0], distances[:, 0]


def nearest_clusters(reference: np.ndarray, centroids: np.ndarray) -> set[int]:
    """DataComp's keep set: the clusters that are the nearest centroid of some reference embedding."""
    return set(assign(reference, centroids)[0].tolist())
