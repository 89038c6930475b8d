"""MinHash signatures over word n-grams, vectorised with numpy, and LSH band keys.

Semantics follow datasketch's classic MinHash: a shingle's hash h, permutations
(a·h + b) mod (2^61 − 1) with (a, b) drawn from ``numpy.random.RandomState(seed)``, the minimum
per permutation. With ``hash_bits=32`` and SHA-1 shingle hashes the signature equals
``datasketch.MinHash(num_perm, seed, scheme="legacy")`` fed the same shingles (tested; datasketch
2.0 made affine schemes its default); the default, as in
datatrove, is 64-bit shingle hashes (xxhash64) and no 32-bit mask. One matrix operation per
document replaces datasketch's one numpy call per shingle.
"""
from __future__ import annotations

import hashlib
import math
import re
import struct
from functools import lru_cache

import numpy as np

MERSENNE_PRIME = np.uint64((1 << 61) - 1)
MAX_HASH_32 = np.uint64((1 << 32) - 1)
CHUNK = 256  # shingles per block: 256 x 112 uint64 values fit in L2
_WORD = re.compile(r"\w+", re.UNICODE)


def normalize_text(text: str) -> str:
    """Case and whitespace folded, for exact-duplicate hashing and shingling."""
    return " ".join(text.lower().split())


def shingles(text: str, n: int) -> list[str]:
    """Word n-grams of the normalised text (one shingle for texts shorter than n words)."""
    words = _WORD.findall(text.lower())
    if len(words) < n:
        return [" ".join(words)] if words else []
    return [" ".join(words[i:i + n]) for i in range(len(words) - n + 1)]


def hash_shingles(items: list[str], hash_bits: int = 64) -> np.ndarray:
    """uint64 hashes: SHA-1's first 4 bytes (datasketch) for 32 bits, xxhash64 for 64 bits."""
    if hash_bits == 32:
        return np.array([struct.unpack("<I", hashlib.sha1(s.encode()).digest()[:4])[0] for s in items],
                        dtype=np.uint64)
    import xxhash

    return np.array([xxhash.xxh64_intdigest(s.encode()) for s in items], dtype=np.uint64)


_MIX = np.array([0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0xD6E8FEB86659FD93,
                 0xFF51AFD7ED558CCD, 0xC4CEB9FE1A85EC53, 0x94D049BB133111EB, 0xBF58476D1CE4E5B9],
                dtype=np.uint64)  # odd 64-bit constants (splitmix / murmur3 finalisers)


def shingle_hashes(text: str, n: int) -> np.ndarray:
    """Distinct 64-bit hashes of the word n-grams of ``text``, computed in numpy: each distinct
    word is hashed once (xxhash64), n consecutive word hashes are combined with odd multipliers
    and finished with murmur3's avalanche. No shingle string is built."""
    import xxhash

    words = _WORD.findall(text.lower())
    if not words:
        return np.empty(0, dtype=np.uint64)
    vocabulary: dict[str, int] = {}
    ids = np.fromiter((vocabulary.setdefault(w, len(vocabulary)) for w in words), dtype=np.int64, count=len(words))
    word_hashes = np.fromiter((xxhash.xxh64_intdigest(w.encode()) for w in vocabulary), dtype=np.uint64,
                              count=len(vocabulary))[ids]
    width = min(n, len(words))
    count = len(words) - width + 1
    with np.errstate(over="ignore"):
        h = np.zeros(count, dtype=np.uint64)
        for k in range(width):
            h += word_hashes[k:k + count] * _MIX[k % len(_MIX)]
        h ^= h >> np.uint64(33)
        h *= _MIX[4]
        h ^= h >> np.uint64(33)
        h *= _MIX[5]
        h ^= h >> np.uint64(33)
    return np.unique(h)


@lru_cache(maxsize=8)
def permutations(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    gen = np.random.RandomState(seed)
    ab = np.array([(gen.randint(1, MERSENNE_PRIME, dtype=np.uint64), gen.randint(0, MERSENNE_PRIME, dtype=np.uint64))
                   for _ in range(num_perm)], dtype=np.uint64).T
    return ab[0], ab[1]


def signature(hashes: np.ndarray, num_perm: int, seed: int = 1, hash_bits: int = 64) -> np.ndarray:
    """MinHash signature (uint64, one value per permutation) of a document's shingle hashes."""
    a, b = permutations(num_perm, seed)
    result = np.full(num_perm, np.iinfo(np.uint64).max, dtype=np.uint64)
    for start in range(0, hashes.size, CHUNK):  # blocks that stay in cache: the work is memory-bound
        with np.errstate(over="ignore"):  # uint64 wrap-around, as datasketch and datatrove compute it
            values = np.multiply.outer(hashes[start:start + CHUNK], a)
            values += b
        values = mod_mersenne(values)
        if hash_bits == 32:
            values &= MAX_HASH_32
        np.minimum(result, values.min(axis=0), out=result)
    return result


def mod_mersenne(x: np.ndarray) -> np.ndarray:
    """x mod (2^61 − 1) for uint64 x without division: (x & p) + (x >> 61) is congruent and
    below p + 8, so one conditional subtraction finishes it (several times faster than %)."""
    y = x & MERSENNE_PRIME
    y += x >> np.uint64(61)
    y -= MERSENNE_PRIME * (y >= MERSENNE_PRIME)
    return y


def band_keys(sig: np.ndarray, bands: int, rows: int) -> list[bytes]:
    """One key per band: the band index and its rows' values, as bytes (equal keys = candidates)."""
    return [struct.pack("<H", i) + sig[i * rows:(i + 1) * rows].tobytes() for i in range(bands)]


def candidate_probability(jaccard: float, bands: int, rows: int) -> float:
    """Probability that two documents with this Jaccard similarity share at least one band."""
    return 1 - (1 - jaccard ** rows) ** bands


def lsh_threshold(bands: int, rows: int) -> float:
    """The similarity where the S-curve is steepest, (1/b)^(1/r)."""
    return (1 / bands) ** (1 / rows)


def jaccard(a: set, b: set) -> float:
    return len(a & b) / len(a | b) if a or b else 1.0


def estimated_jaccard(sig_a: np.ndarray, sig_b: np.ndarray) -> float:
    return float(np.mean(sig_a == sig_b))


def lsh_parameters_for(threshold: float, num_perm: int) -> tuple[int, int]:
    """Bands × rows whose S-curve threshold is closest to ``threshold`` using ≤ num_perm hashes."""
    best = min(((b, num_perm // b) for b in range(1, num_perm + 1) if num_perm // b >= 1),
               key=lambda br: abs(lsh_threshold(*br) - threshold))
    return best if math.isfinite(lsh_threshold(*best)) else (1, num_perm)
