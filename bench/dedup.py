"""MinHash signature throughput, weft (numpy, one matrix op per document) vs datasketch, same run.

    python bench/dedup.py [--docs 2000]

Documents: the text of the 130 readability pages (../shared/data/html/mozilla_readability),
cycled to --docs documents. All compute 112 permutations (14 bands x 8 rows) over word 5-grams:
datasketch.MinHash (scheme "legacy", and 2.0's default "affine32") fed the shingle strings with
update_batch; weft with the same 32-bit SHA-1 hashes (identical signatures to legacy) and with
64-bit hashes; and the stage's path from text (numpy shingle hashes, batches of documents) with
both permutation families. Shingling is shared and timed apart. Not a test: figures go to
bench/RESULTS.md.
"""
from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))


def main() -> None:
    import datasketch
    import numpy as np

    from extract import load_pages
    from jobs.config import load_config
    from udfs.dedup.dedup_signatures import shingle_sets
    from udfs.dedup import minhash as mh
    from udfs.extract.interleave import interleave, parse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=2000)
    args = parser.parse_args()
    texts = ["\n".join(b for b in interleave(parse(src), "main_content").blocks if isinstance(b, str))
             for _, src, _ in load_pages()]
    docs = [texts[i % len(texts)] for i in range(args.docs)]
    started = time.perf_counter()
    shingled = [sorted(set(mh.shingles(t, 5))) for t in docs]
    shingle_s = time.perf_counter() - started
    n_perm = 112

    started = time.perf_counter()
    theirs = []
    for items in shingled:
        m = datasketch.MinHash(num_perm=n_perm, seed=1, scheme="legacy")
        m.update_batch([s.encode() for s in items])
        theirs.append(m.hashvalues)
    datasketch_s = time.perf_counter() - started
    started = time.perf_counter()
    for items in shingled:
        m = datasketch.MinHash(num_perm=n_perm, seed=1)  # 2.0's default scheme: affine32
        m.update_batch([s.encode() for s in items])
    affine32_s = time.perf_counter() - started

    started = time.perf_counter()
    ours32 = [mh.signature(mh.hash_shingles(items, 32), n_perm, 1, 32) for items in shingled]
    weft32_s = time.perf_counter() - started
    started = time.perf_counter()
    for items in shingled:
        mh.signature(mh.hash_shingles(items, 64), n_perm, 1, 64)
    weft64_s = time.perf_counter() - started
    stage_s = {}
    for family in mh.FAMILIES:  # what the dedup stage runs: from text, batches of texts hashed at once
        settings = dataclasses.replace(load_config().dedup, permutations=family)
        started = time.perf_counter()
        for hashes in shingle_sets(docs, settings):
            mh.signature(hashes, n_perm, 1, 64, family)
        stage_s[family] = time.perf_counter() - started

    same = all(np.array_equal(a, b.astype(np.uint64)) for a, b in zip(ours32, theirs))
    n = len(docs)
    print(f"{n} documents, {sum(map(len, shingled)):,} shingles; shingling {n / shingle_s:,.0f} docs/s (shared)")
    print(f"datasketch legacy (update_batch): {n / datasketch_s:,.0f} docs/s")
    print(f"weft 32-bit SHA-1 (same signatures: {same}): {n / weft32_s:,.0f} docs/s, "
          f"{datasketch_s / weft32_s:.1f}x datasketch")
    print(f"weft 64-bit xxhash per shingle: {n / weft64_s:,.0f} docs/s, {datasketch_s / weft64_s:.1f}x datasketch")
    both = shingle_s + datasketch_s  # datasketch needs the shingle strings built first
    default = shingle_s + affine32_s
    print(f"from text, shingling included: datasketch legacy {n / both:,.0f} docs/s, "
          f"datasketch default (affine32) {n / default:,.0f} docs/s")
    for family, seconds in stage_s.items():
        print(f"  weft's stage path (numpy shingle hashes), {family} permutations: {n / seconds:,.0f} docs/s, "
              f"{both / seconds:.1f}x legacy, {default / seconds:.1f}x affine32")


if __name__ == "__main__":
    main()
