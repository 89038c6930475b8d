"""A capacity plan for one whole CommonCrawl crawl, computed from weft's measured per-core rates.

    python bench/capacity.py [--rates bench/capacity_rates.json] [--out bench/CAPACITY.md]

Every rate comes from ``bench/capacity_rates.json``, which names the run that measured it (the
files under bench/out are not committed; the JSON keeps the figures with their source). The
crawl's size and the shares of pages that survive each stage are stated there too, so a reader
can change an assumption and run the script again. Output: ``bench/CAPACITY.md``.
"""
from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

BENCH = Path(__file__).resolve().parent


def plan(r: dict) -> dict:
    """Every figure of the plan, from the rates and assumptions in ``r``."""
    crawl, rate, share, cluster = r["crawl"], r["per_core"], r["shares"], r["cluster"]
    pages = crawl["html_pages"]
    files = crawl["warc_files"]
    kept_docs = pages * share["kept_docs_per_page"]
    deduped_docs = kept_docs * share["docs_after_dedup"]
    image_urls = deduped_docs * share["image_urls_per_deduped_doc"]
    images_ok = image_urls * share["images_ok"]
    texts_embedded = deduped_docs * share["docs_with_an_image"] * share["sentences_per_doc_with_an_image"]
    pairs = image_urls * share["pairs_per_image_url"]
    hours = {
        "ingest + extract (fused, one task per WARC file)": pages / rate["ingest_extract_pages"] / 3600,
        "dedup (keys, components, cleanup)": kept_docs / rate["dedup_docs"] / 3600,
        "images (archive, else download, decode, hash)": image_urls / rate["images_urls"] / 3600,
        "mmc4 (sentences, placement; CPU part)": deduped_docs / rate["mmc4_docs"] / 3600,
        "curate (rules, MetaCLIP tags, spaCy signals)": pairs / rate["curate_pairs"] / 3600,
    }
    gpu_hours = (images_ok + texts_embedded) / r["gpu"]["embeddings_per_second"] / 3600
    core_hours = sum(hours.values())
    window = cluster["nightly_window_hours"]
    cores_one_night = math.ceil(core_hours / window / cluster["utilisation"])
    gpus_one_night = math.ceil(gpu_hours / window / cluster["utilisation"])
    nights = core_hours / (cluster["cores"] * window * cluster["utilisation"])
    shuffle = kept_docs * r["dedup"]["shuffle_bytes_per_doc"]
    written = pages * r["storage"]["bytes_written_per_page"]
    requests = {
        "GET (WARC files, streamed once each; 1 request per file + retries)": files * 1.01,
        "PUT (table part files and side files: per task and table)": files * r["storage"]["puts_per_file"],
        "LIST/HEAD (manifests, state, stats)": r["storage"]["list_head_per_night"],
    }
    return {"pages": pages, "files": files, "kept_docs": kept_docs, "deduped_docs": deduped_docs,
            "image_urls": image_urls, "images_ok": images_ok, "texts_embedded": texts_embedded, "pairs": pairs,
            "hours": hours, "core_hours": core_hours, "gpu_hours": gpu_hours, "cores_one_night": cores_one_night,
            "gpus_one_night": gpus_one_night,
            "nights": nights, "shuffle": shuffle, "written": written, "requests": requests}


def fmt(n: float) -> str:
    for unit, size in (("T", 1e12), ("B", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(n) >= size:
            return f"{n / size:,.1f} {unit}"
    return f"{n:,.0f}"


def report(r: dict, p: dict) -> str:
    crawl, cluster, rate = r["crawl"], r["cluster"], r["per_core"]
    lines = [
        "# Capacity plan: one CommonCrawl crawl through weft",
        "",
        f"Computed by `python bench/capacity.py` from `bench/capacity_rates.json` ({r['measured']}). "
        "Change an assumption there and run it again; nothing here is typed by hand.",
        "",
        "## The crawl",
        "",
        f"- {fmt(crawl['warc_files'])} WARC files of ~{crawl['warc_file_gb']} GB gzipped "
        f"({fmt(crawl['warc_files'] * crawl['warc_file_gb'] * 1e9)}B in all), "
        f"{fmt(crawl['html_pages'])} HTML pages ({crawl['source']}).",
        f"- Shares (from the measured runs unless said otherwise): {json.dumps(r['shares'])}",
        f"  ({r['shares_source']})",
        "",
        "## Core-hours per stage",
        "",
        "| stage | items | per-core rate | core-hours |",
        "|---|---|---|---|",
    ]
    items = [p["pages"], p["kept_docs"], p["image_urls"], p["deduped_docs"], p["pairs"]]
    rates = [rate["ingest_extract_pages"], rate["dedup_docs"], rate["images_urls"], rate["mmc4_docs"],
             rate["curate_pairs"]]
    for (stage, hours), n, per in zip(p["hours"].items(), items, rates):
        lines.append(f"| {stage} | {fmt(n)} | {per:,.0f}/s | {hours:,.0f} |")
    lines += [
        f"| **all CPU stages** | | | **{p['core_hours']:,.0f}** |",
        "",
        f"Rates: {r['rates_source']}",
        "",
        "## GPU",
        "",
        f"CLIP embeddings of {fmt(p['images_ok'])} images and {fmt(p['texts_embedded'])} sentences at "
        f"{r['gpu']['embeddings_per_second']:,} embeddings/s per GPU ({r['gpu']['source']}): "
        f"**{p['gpu_hours']:,.0f} GPU-hours**.",
        "",
        "## Dedup: shuffle and memory",
        "",
        f"- Shuffle: {fmt(r['dedup']['shuffle_bytes_per_doc'])}B per kept document ({r['dedup']['source']}) × "
        f"{fmt(p['kept_docs'])} documents = **{fmt(p['shuffle'])}B** written and read once each.",
        f"- Executor memory: {r['dedup']['executor_memory']}",
        "",
        "## Object store",
        "",
        f"- Read: the WARC files once each, {fmt(crawl['warc_files'] * crawl['warc_file_gb'] * 1e9)}B "
        "(the default fuses ingest and extract, so nothing reads them again; `ingest.store_html=false`).",
        f"- Written: ~{fmt(p['written'])}B of tables ({fmt(r['storage']['bytes_written_per_page'])}B per page: "
        f"{r['storage']['source']}).",
    ]
    for kind, n in p["requests"].items():
        lines.append(f"- {kind}: {fmt(n)}")
    lines += [
        "",
        "## Cluster and wall time",
        "",
        f"- Memory per core: {cluster['memory_per_core']}",
        f"- One nightly window of {cluster['nightly_window_hours']} h at {cluster['utilisation']:.0%} "
        f"utilisation needs **{p['cores_one_night']:,} cores** and **{p['gpus_one_night']:,} GPUs** "
        "for the whole crawl in one night.",
        f"- A cluster of {cluster['cores']:,} cores ({cluster['shape']}) does it in **{p['nights']:.1f} nights** "
        f"of {cluster['nightly_window_hours']} h, plus {p['gpu_hours'] / cluster['gpus']:.1f} h on its "
        f"{cluster['gpus']} GPUs.",
        "",
        "## Caveats",
        "",
        *[f"- {c}" for c in r["caveats"]],
        "",
    ]
    return "\n".join(lines)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rates", type=Path, default=BENCH / "capacity_rates.json")
    parser.add_argument("--out", type=Path, default=BENCH / "CAPACITY.md")
    args = parser.parse_args(argv)
    rates = json.loads(args.rates.read_text())
    args.out.write_text(report(rates, plan(rates)))
    print(args.out.read_text())


if __name__ == "__main__":
    main()
