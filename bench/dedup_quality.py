"""Near-duplicate quality of the dedup stage: precision, recall and F1 against known labels.

    python bench/dedup_quality.py [--variants 3] [--seed 0]

Corpus: the main-content text of every HTML page in the clean WARCs of ../shared/data/warc
(at least --min-words words) as base documents, plus --variants edited copies of each: exact
copies (case and spacing changed), word insertions, deletions, substitutions and reordered
chunks at known rates. Labels come from the true Jaccard similarity of the word 5-gram sets:
a pair is a duplicate when J ≥ 0.8 and a non-duplicate when J < 0.5 (pairs in between are not
scored). Scored pairs: every (copy, its base) and every pair of base documents. The real dedup
stage runs on local Spark; a pair is predicted a duplicate when both documents end in the same
group. The licence texts of ../shared/data/neardup are checked against their labels too.
Not a test (tests/spark/test_dedup_quality.py holds the level); figures go to RESULTS.md.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import sys
import tempfile
import time
from itertools import combinations
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
DATA = REPO.parent / "shared" / "data"
EDITS = ("exact", "insert", "delete", "substitute", "reorder")
RATES = (0.005, 0.01, 0.02, 0.04, 0.08, 0.15, 0.3)
DUPLICATE, DISTINCT = 0.8, 0.5


def base_texts(min_words: int = 150) -> list[tuple[str, str]]:
    """(url, main-content text) of the HTML pages in the clean bundled WARCs, one per URL."""
    from jobs.config import load_config
    from udfs.extract.interleave import interleave, parse
    from udfs.ingest.page_records import ingest_file

    settings = load_config()
    texts: dict[str, str] = {}
    for path in sorted(p for p in (DATA / "warc").iterdir() if p.is_file()):
        for row in ingest_file(str(path), settings):
            if row["row_kind"] == "page" and row.get("html") and row["url"] not in texts:
                blocks = interleave(parse(row["html"]), "main_content").blocks
                text = "\n\n".join(b for b in blocks if isinstance(b, str))
                if len(text.split()) >= min_words:
                    texts[row["url"]] = text
    return sorted(texts.items())


def edit(text: str, kind: str, rate: float, rng: random.Random) -> str:
    """``text`` with one kind of edit applied to about ``rate`` of its words."""
    words = text.split()
    if kind == "exact":
        return "  " + text.upper() + "\n"
    if kind == "insert":
        return " ".join(w for word in words for w in ([word, rng.choice(words)] if rng.random() < rate else [word]))
    if kind == "delete":
        return " ".join(w for w in words if rng.random() >= rate)
    if kind == "substitute":
        return " ".join(rng.choice(words) if rng.random() < rate else w for w in words)
    chunks = [words[i:i + 20] for i in range(0, len(words), 20)]  # reorder: move chunks
    for _ in range(max(1, round(rate * len(chunks)))):
        i, j = rng.randrange(len(chunks)), rng.randrange(len(chunks))
        chunks[i], chunks[j] = chunks[j], chunks[i]
    return " ".join(w for c in chunks for w in c)


def corpus(variants: int, seed: int, bases: list[tuple[str, str]] | None = None):
    """(docs rows, the copies as (copy doc_id, base doc_id), the text of every doc_id)."""
    rng = random.Random(seed)
    when = dt.datetime(2024, 5, 1, tzinfo=dt.timezone.utc)
    texts: dict[str, str] = {}
    copies: list[tuple[str, str]] = []
    for i, (_, text) in enumerate(bases if bases is not None else base_texts()):
        base = f"b{i:04d}"
        texts[base] = text
        for k in range(variants):
            kind = EDITS[k % len(EDITS)] if k < len(EDITS) else rng.choice(EDITS)
            texts[f"{base}v{k}"] = edit(text, kind, rng.choice(RATES), rng)
            copies.append((f"{base}v{k}", base))
    docs = [{"doc_id": d, "url": f"http://corpus.example/{d}", "texts": [t, None],
             "images": [None, f"http://corpus.example/{d}.jpg"], "image_meta": [None, None],
             "fetch_time": when, "keep": True, "drop_reasons": []} for d, t in texts.items()]
    return docs, copies, texts


def true_jaccard(a: str, b: str) -> float:
    from udfs.dedup import minhash as mh

    return mh.jaccard(set(mh.shingles(a, 5)), set(mh.shingles(b, 5)))


def groups_of(duplicates: list[tuple[str, str]]) -> dict[str, str]:
    """doc_id → the document finally kept for it, following chains (a copy of a copy)."""
    kept = dict(duplicates)

    def final(doc: str) -> str:
        seen = set()
        while doc in kept and doc not in seen:
            seen.add(doc)
            doc = kept[doc]
        return doc
    return {doc: final(doc) for doc in kept}


def score(copies, texts, duplicates) -> dict:
    """Precision, recall and F1 over the labelled pairs, and counts per label."""
    group = groups_of(duplicates)
    same = lambda a, b: group.get(a, a) == group.get(b, b)  # noqa: E731
    bases = sorted(d for d in texts if "v" not in d)
    pairs = copies + list(combinations(bases, 2))
    tp = fp = fn = tn = ignored = 0
    for a, b in pairs:
        j = true_jaccard(texts[a], texts[b])
        if DISTINCT <= j < DUPLICATE:
            ignored += 1
            continue
        positive, predicted = j >= DUPLICATE, same(a, b)
        tp += positive and predicted
        fp += predicted and not positive
        fn += positive and not predicted
        tn += not positive and not predicted
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"pairs": len(pairs), "duplicates": tp + fn, "non_duplicates": fp + tn, "not_scored": ignored,
            "tp": tp, "fp": fp, "fn": fn, "precision": round(precision, 4), "recall": round(recall, 4),
            "f1": round(f1, 4)}


def run_dedup(spark, settings, docs, run_dir: str) -> list[tuple[str, str]]:
    """The dedup stage on ``docs``: (doc_id, kept_doc_id) of every duplicate found."""
    from jobs import dedup
    from jobs.runtime import RunContext
    from jobs.tables import read_table, write_table
    from schemas.docs import DOCS
    from schemas.duplicates import DUPLICATES

    ctx = RunContext(run_dir=run_dir, config=settings)
    write_table(spark.createDataFrame(docs, DOCS.spark()), DOCS, ctx)
    dedup.run(spark, ctx)
    return [(r["doc_id"], r["kept_doc_id"]) for r in read_table(spark, DUPLICATES, ctx).collect()]


def licence_check(spark, settings, run_dir: str) -> bool:
    """The bundled licence near-duplicates: the labelled group found, the singleton left alone."""
    folder = DATA / "neardup" / "cs336_mit_license_fuzzy_dups"
    labels = json.loads((folder / "labels.json").read_text())
    names = [n for g in labels["duplicate_groups"] for n in g] + labels["singletons"]
    texts = {n: (folder / n).read_text() for n in names}
    docs, _, _ = corpus(0, 0, bases=list(texts.items()))
    ids = {f"b{i:04d}": name for i, name in enumerate(texts)}
    found = groups_of(run_dedup(spark, settings, docs, run_dir))
    group_of = {ids[d]: ids[found.get(d, d)] for d in ids}
    expected = all(len({group_of[n] for n in g}) == 1 for g in labels["duplicate_groups"])
    singletons = all(list(group_of.values()).count(group_of[s]) == 1 for s in labels["singletons"])
    return expected and singletons


def main() -> None:
    from jobs.config import load_config
    from jobs.runtime import build_session

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cores", type=int, default=2)
    args = parser.parse_args()
    settings = load_config(overrides=["spark.ui=false", f"spark.master=local[{args.cores}]", "dedup.use_index=false"])
    spark = build_session(settings, "weft-bench-dedup-quality")
    try:
        docs, copies, texts = corpus(args.variants, args.seed)
        with tempfile.TemporaryDirectory() as tmp:
            started = time.perf_counter()
            duplicates = run_dedup(spark, settings, docs, f"{tmp}/corpus")
            seconds = time.perf_counter() - started
            licences = licence_check(spark, settings, f"{tmp}/licences")
    finally:
        spark.stop()
    result = score(copies, texts, duplicates)
    print(f"{len(docs)} documents ({len(docs) - len(copies)} real pages, {len(copies)} edited copies), "
          f"dedup stage {seconds:.1f} s")
    print(json.dumps(result))
    print(f"licence near-duplicates as labelled: {licences}")


if __name__ == "__main__":
    main()
