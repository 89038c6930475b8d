"""Extraction fidelity and speed on the 130 real pages of ../shared/data/html/mozilla_readability,
then on the extraction development set (../shared/data/html/extraction_dev: 774 pages, 31
languages) in its tuning and check halves (tests/extraction_dev.py: split by site).

    python bench/extract.py [--dev-only]

Reference: readability's expected output for each page. Per page, over word tokens (bags):
recall = reference tokens found in the extraction; leak = extracted tokens not in the
reference (boilerplate). Images: the reference's <img> URLs kept, and images kept that the
reference drops. Pages are resolved against readability's test URL (http://fakehost/test/page.html).
Speed: pages/s on one core, HTML text in, text (and images) out, same pages, same run.
Not a test; tests/unit/test_extract_fidelity.py holds weft's levels with ``weft_scores``.
"""
from __future__ import annotations

import gzip
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
PAGES_DIR = REPO.parent / "shared" / "data" / "html" / "mozilla_readability"
PAGE_URL = "http://fakehost/test/page.html"


def load_pages() -> list[tuple[str, str, str]]:
    """(name, source html, expected html) of every page."""
    pages = []
    for folder in sorted(p for p in PAGES_DIR.iterdir() if (p / "source.html.gz").is_file()):
        pages.append((folder.name, gzip.decompress((folder / "source.html.gz").read_bytes()).decode("utf-8", "replace"),
                      gzip.decompress((folder / "expected.html.gz").read_bytes()).decode("utf-8", "replace")))
    return pages


def reference(expected: str) -> tuple[Counter, set[str]]:
    from selectolax.lexbor import LexborHTMLParser

    from udfs.extract.image_refs import resolve_url
    from udfs.common.text_metrics import words

    tree = LexborHTMLParser(expected)
    images = {u for img in tree.css("img")  # an empty or data: src is no image URL to keep
              if (img.attributes.get("src") or "").strip() and (u := resolve_url(img.attributes["src"], PAGE_URL))}
    return Counter(words(tree.body.text(separator=" ") if tree.body else "")), images


def scores(extracted: Counter, ref: Counter) -> tuple[float, float]:
    common = sum((extracted & ref).values())
    recall = common / sum(ref.values()) if ref else 1.0
    leak = (sum(extracted.values()) - common) / sum(extracted.values()) if extracted else 0.0
    return recall, leak


def weft_extract(html: str, settings) -> tuple[str, list[str]]:
    """The whole per-page work of the extract stage: DOM walk, image rules, paragraph rules,
    language id and every document signal."""
    from udfs.extract.documents import build_document

    page = {"page_id": "p", "url": PAGE_URL, "warc_filename": "", "warc_record_offset": 0,
            "warc_record_length": 0, "fetch_time": None, "http_status": 200, "html": html, "crawl": ""}
    doc, _ = build_document(page, settings)
    return "\n\n".join(t for t in doc["texts"] if t), [i for i in doc["images"] if i]


def weft_interleave(html: str, mode: str) -> tuple[str, list[str]]:
    """Extraction alone, as trafilatura and resiliparse do it: text and image URLs, no signals."""
    from udfs.extract.image_refs import document_base, image_source
    from udfs.extract.interleave import ImageNode, interleave, parse

    page = interleave(parse(html), mode)
    base = document_base(PAGE_URL, page.base_href)
    images = [image_source(b.attrs, base)[0] for b in page.blocks if isinstance(b, ImageNode)]
    return "\n\n".join(b for b in page.blocks if isinstance(b, str)), [i for i in images if i]


def trafilatura_extract(html: str) -> tuple[str, list[str]]:
    import trafilatura

    return trafilatura.extract(html, favor_precision=True) or "", []


def resiliparse_extract(html: str) -> tuple[str, list[str]]:
    from resiliparse.extract.html2text import extract_plain_text

    return extract_plain_text(html, main_content=True), []


def evaluate(extractor, pages) -> dict:
    from udfs.common.text_metrics import words

    recalls, leaks, kept_shares, extra = [], [], [], []
    started = time.perf_counter()
    outputs = [extractor(source) for _, source, _ in pages]
    seconds = time.perf_counter() - started
    for (_, _, expected), (text, images) in zip(pages, outputs):
        ref_words, ref_images = reference(expected)
        recall, leak = scores(Counter(words(text)), ref_words)
        recalls.append(recall)
        leaks.append(leak)
        if ref_images:
            kept_shares.append(len(ref_images & set(images)) / len(ref_images))
        extra.append(len(set(images) - ref_images))
    return {"recall": statistics.mean(recalls), "leak": statistics.mean(leaks),
            "images_kept": statistics.mean(kept_shares) if kept_shares else 0.0,
            "extra_images": sum(extra), "pages_per_s": len(pages) / seconds}


# Node-level image rules off: what the extraction finds, before OBELICS's image quality rules.
NO_IMAGE_RULES = ("extract.images.formats=[jpg,jpeg,png,webp,gif,svg,avif,bmp]", "extract.images.min_side=0",
                  "extract.images.min_aspect=0", "extract.images.max_aspect=1000000",
                  "extract.images.banned_url_substrings=[]")


def weft_scores(pages=None, overrides: tuple[str, ...] = ()) -> dict:
    from jobs.config import load_config

    settings = load_config(overrides=["extract.languages=[]", "extract.require_images=false", *overrides]).extract
    return evaluate(lambda html: weft_extract(html, settings), pages or load_pages())


SHORT_WORDS, GOLD_WORDS = 5, 50  # "empty": fewer than 5 tokens out where the gold has more than 50


def dev_rows(extractor, dev_pages) -> list[dict]:
    """Per dev page: recall and leak over token bags (leak only where the gold is the whole main
    content), and whether the extraction came out empty."""
    from tests.extraction_dev import tokens

    rows = []
    for page in dev_pages:
        gold, out = tokens(page.expected()), tokens(extractor(page.html())[0])
        recall, leak = scores(out, gold)
        rows.append({"page": page, "recall": recall, "leak": leak if page.gold == "full" else None,
                     "empty": sum(out.values()) < SHORT_WORDS and sum(gold.values()) > GOLD_WORDS})
    return rows


def dev_summary(rows: list[dict]) -> tuple[float, float, int, int]:
    leaks = [r["leak"] for r in rows if r["leak"] is not None]
    return (statistics.mean(r["recall"] for r in rows), statistics.mean(leaks) if leaks else 0.0,
            sum(r["empty"] for r in rows), len(rows))


def dev_groups(page) -> list[str]:
    language = page.language if page.language in ("en", "de", "zh") else "other"
    return ["all", f"lang {language}", f"src {page.source.split('/')[-1]}"]


def dev_main() -> None:
    from jobs.config import load_config
    from tests.extraction_dev import HALVES, half

    settings = load_config(overrides=["extract.languages=[]", "extract.require_images=false",
                                      "extract.mode=main_content"]).extract
    extractors = {"weft main_content": lambda html: weft_extract(html, settings),
                  "trafilatura (favor_precision)": trafilatura_extract,
                  "resiliparse (main_content)": resiliparse_extract}
    print("\nextraction_dev, split by site (tests/extraction_dev.py): recall / leak / pages empty "
          f"(< {SHORT_WORDS} tokens out, gold > {GOLD_WORDS}); leak over full-gold pages only")
    for name in HALVES:
        dev_pages = half(name)
        results = {label: dev_rows(fn, dev_pages) for label, fn in extractors.items()}
        groups = sorted({g for p in dev_pages for g in dev_groups(p)}, key=lambda g: (g != "all", g))
        print(f"\n{name} half: {len(dev_pages)} pages")
        print(f"{'group':<48}" + "".join(f"{label:>34}" for label in extractors))
        for group in groups:
            cells = []
            for label in extractors:
                rows = [r for r in results[label] if group in dev_groups(r["page"])]
                recall, leak, empty, n = dev_summary(rows)
                cells.append(f"{recall:.3f} / {leak:.3f} / {empty:>3} of {n:<4}")
            print(f"{group:<48}" + "".join(f"{c:>34}" for c in cells))


def main() -> None:
    if "--dev-only" in sys.argv[1:]:
        dev_main()
        return
    pages = load_pages()
    weft_scores(pages[:5])  # warm-up: word lists, language model
    rows = {
        "weft main_content": weft_scores(pages, ("extract.mode=main_content",)),
        "weft main_content, no image rules": weft_scores(pages, ("extract.mode=main_content", *NO_IMAGE_RULES)),
        "weft obelics": weft_scores(pages, ("extract.mode=obelics",)),
        "weft main_content, extraction alone": evaluate(lambda h: weft_interleave(h, "main_content"), pages),
        "trafilatura (favor_precision)": evaluate(trafilatura_extract, pages),
        "resiliparse (main_content)": evaluate(resiliparse_extract, pages),
    }
    print(f"{len(pages)} pages of mozilla_readability; per-page means")
    print(f"{'extractor':<36}{'recall':>8}{'leak':>8}{'ref imgs kept':>15}{'extra imgs':>12}{'pages/s':>10}")
    for name, r in rows.items():
        print(f"{name:<36}{r['recall']:>8.3f}{r['leak']:>8.3f}{r['images_kept']:>15.3f}{r['extra_images']:>12}"
              f"{r['pages_per_s']:>10.1f}")
    dev_main()


if __name__ == "__main__":
    main()
