"""MMC4's placement of a document's images at its sentences, on an images x sentences
similarity matrix.

Images whose best similarity is below the threshold are dropped; the rest are matched to
sentences by a maximum-similarity linear assignment in which each sentence takes at most one
image; when there are more images than sentences, the images left over go to their most
similar sentence. MMC4 solves it with lapjv on the negated matrix padded to a square with a
constant dummy cost; a constant pad adds the same cost to every complete assignment, so
scipy's rectangular solver returns an optimum of the same problem without building the pad.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment

from udfs.common.settings import Mmc4Core


def assign(similarity: np.ndarray) -> np.ndarray:
    """The sentence (column) each image (row) is placed at, MMC4's rule without the threshold."""
    n_images, n_sentences = similarity.shape
    if n_images == 0 or n_sentences == 0:
        return np.zeros(n_images, dtype=np.int64)
    rows, cols = linear_sum_assignment(similarity, maximize=True)
    matched = similarity.argmax(axis=1)  # images left over when there are more than sentences
    matched[rows] = cols
    return matched


@dataclass(frozen=True)
class Placement:
    """The images kept (row indices into the input matrix, in order), where each goes, and how
    similar it is there."""
    kept: np.ndarray
    matched: np.ndarray
    matched_sim: np.ndarray


def place(similarity: np.ndarray, min_similarity: float) -> Placement:
    """MMC4's rule: drop images whose best similarity is below ``min_similarity``, then assign."""
    similarity = np.nan_to_num(np.asarray(similarity, dtype=np.float64), nan=-1.0)
    if similarity.shape[1] == 0:
        return Placement(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0))
    kept = np.flatnonzero(similarity.max(axis=1) >= min_similarity)
    matched = assign(similarity[kept])
    return Placement(kept, matched, similarity[kept, matched])


def is_core(n_sentences: int, matched_sim: np.ndarray, core: Mmc4Core) -> bool:
    """MMC4's core subset (``core``: Mmc4Core): sentence and image counts in range, and enough
    matches above the similarity bar."""
    n_images = len(matched_sim)
    if not (core.min_sentences <= n_sentences <= core.max_sentences and core.min_images <= n_images <= core.max_images):
        return False
    return n_images > 0 and float(np.mean(matched_sim > core.min_similarity)) >= core.min_share
