"""Dedup's document-editing rules (per-domain paragraphs, frequent image URLs) and incremental
dedup against the dedup_index of an earlier night."""
import dataclasses
import datetime as dt
import random

import pytest

from jobs import dedup
from jobs.runtime import RunContext
from jobs.tables import read_table, write_table
from schemas.dedup_index import DEDUP_INDEX
from schemas.docs import DOCS
from schemas.docs_dedup import DOCS_DEDUP
from schemas.duplicates import DUPLICATES
from schemas.rejects import REJECTS
from tests.conftest import SHARED

pytestmark = pytest.mark.spark

WORDS = [w for w in (SHARED / "neardup" / "cs336_mit_license_fuzzy_dups" / "pytorch_license.txt").read_text().split()
         if w.isalpha()]
FOOTER = "Subscribe to our newsletter for the latest harbour news and updates every week."
LOGO = "http://news.example.com/static/logo.png"
WHEN = dt.datetime(2024, 5, 1, tzinfo=dt.timezone.utc)


def text(seed: int, n: int = 60) -> str:
    rng = random.Random(seed)
    return " ".join(rng.choice(WORDS) + str(rng.randrange(1000)) for _ in range(n))


def doc(doc_id: str, url: str, blocks: list[tuple[str, str]], when: dt.datetime = WHEN,
        warc: str = "s3://bucket/night.warc.gz") -> dict:
    """A kept docs row from (kind, value) blocks in page order, kind 'text' or 'image'."""
    return {"doc_id": doc_id, "url": url, "fetch_time": when, "keep": True, "drop_reasons": [],
            "texts": [v if k == "text" else None for k, v in blocks],
            "images": [v if k == "image" else None for k, v in blocks],
            "image_meta": [{"src": v} if k == "image" else None for k, v in blocks],
            "general_metadata": {"url": url, "warc_filename": warc, "warc_record_offset": 100,
                                 "warc_record_length": 10}}


def own(doc_id: str) -> tuple[str, str]:
    return "image", f"http://cdn.example.net/{doc_id}.jpg"


def repeated_corpus() -> list[dict]:
    docs = [doc(f"n{i:02d}", f"http://news.example.com/story/{i}",
                [("text", text(i)), ("image", LOGO), ("text", FOOTER), own(f"n{i:02d}")]) for i in range(3, 13)]
    docs += [
        doc("n01", "http://news.example.com/story/1",
            [("text", text(1)), ("image", LOGO), ("text", text(101) + "\n\n" + FOOTER), own("n01")]),
        doc("n02", "http://www.news.example.com/story/2",  # another host of the same registered domain
            [("text", FOOTER + "\n\n" + text(2)), ("image", LOGO), ("text", text(102)), own("n02")]),
        doc("n13", "http://news.example.com/about", [("text", FOOTER), own("n13")]),
        doc("n14", "http://news.example.com/gallery", [("text", text(14)), ("image", LOGO)]),
        doc("o01", "http://other.org/post", [("text", text(200) + "\n\n" + FOOTER), own("o01")]),
    ]
    return docs


@pytest.fixture(scope="module")
def repeated(spark, test_settings, tmp_path_factory):
    ctx = RunContext(run_dir=str(tmp_path_factory.mktemp("repeated")), config=test_settings)
    write_table(spark.createDataFrame(repeated_corpus(), DOCS.spark()), DOCS, ctx)
    return ctx, dedup.run(spark, ctx), spark


def test_repeated_paragraphs_and_frequent_images_are_removed(repeated):
    ctx, stats, spark = repeated
    kept = {r["doc_id"]: r for r in read_table(spark, DOCS_DEDUP, ctx).collect()}
    assert stats["frequent_image_urls"] == 1 and stats["repeated_paragraphs"] == 1
    n01 = kept["n01"]  # logo and footer gone; the texts around the logo merged
    assert n01["texts"] == [text(1) + "\n\n" + text(101), None]
    assert n01["images"] == [None, "http://cdn.example.net/n01.jpg"]
    assert n01["image_meta"][0] is None and n01["image_meta"][1]["src"] == "http://cdn.example.net/n01.jpg"
    assert (n01["paragraphs_removed"], n01["images_removed"], n01["n_images"], n01["n_paragraphs"]) == (1, 1, 1, 2)
    assert kept["n02"]["texts"][0] == text(2) + "\n\n" + text(102)  # www. host: same registered domain
    assert all(FOOTER not in (t or "") for d in kept.values() if d["doc_id"] != "o01" for t in d["texts"])
    assert all(LOGO not in d["images"] for d in kept.values())
    assert kept["o01"]["texts"][0].endswith(FOOTER)  # once on its own domain: kept


def test_documents_left_empty_are_rejected_and_counts_reconcile(repeated):
    ctx, stats, spark = repeated
    rejects = {r["key"]: r for r in read_table(spark, REJECTS, ctx).where("stage = 'dedup'").collect()}
    assert rejects["n13"]["reason"] == "no_text_after_paragraph_dedup"
    assert rejects["n14"]["reason"] == "no_images_after_image_dedup"
    assert rejects["n13"]["warc_filename"] == "s3://bucket/night.warc.gz"
    assert stats["input_rows"] == 15 and stats["output_rows"] == 13 and stats["balanced"]


def test_text_only_runs_keep_documents_whose_images_were_all_frequent(spark, test_settings, tmp_path):
    settings = dataclasses.replace(test_settings, extract=dataclasses.replace(test_settings.extract,
                                                                                require_images=False))
    ctx = RunContext(run_dir=str(tmp_path), config=settings)
    write_table(spark.createDataFrame(repeated_corpus(), DOCS.spark()), DOCS, ctx)
    stats = dedup.run(spark, ctx)
    assert stats["rejected"] == {"no_text_after_paragraph_dedup": 1}
    n14 = read_table(spark, DOCS_DEDUP, ctx).where("doc_id = 'n14'").first()
    assert n14["images"] == [None] and n14["n_images"] == 0


def night(settings, date: str, **dedup_settings):
    return dataclasses.replace(settings, run=dataclasses.replace(settings.run, date=date),
                               dedup=dataclasses.replace(settings.dedup, **dedup_settings))


def test_a_night_deduplicates_against_the_nights_before(spark, test_settings, tmp_path):
    ctx1 = RunContext(run_dir=str(tmp_path), config=night(test_settings, "2024-05-01"))
    first = [doc("p1", "http://site.example/a", [("text", text(1, 300)), own("p1")], warc="a/night1.warc.gz"),
             doc("p2", "http://site.example/b", [("text", text(2, 300)), own("p2")], warc="a/night1.warc.gz")]
    write_table(spark.createDataFrame(first, DOCS.spark()), DOCS, ctx1)
    assert dedup.run(spark, ctx1)["output_rows"] == 2

    near = text(2, 300).split()
    near[20:23] = ["slightly", "edited", "copy"]
    later = WHEN + dt.timedelta(days=1)
    second = [doc(f"q{i}", url, [("text", body), own(f"q{i}")], later, warc="a/night2.warc.gz")
              for i, url, body in ((1, "https://site.example/a/", text(3, 300)),  # same URL, newer
                                   (2, "http://site.example/b-mirror", " ".join(near)),
                                   (3, "http://site.example/c", text(4, 300)))]
    ctx2 = RunContext(run_dir=str(tmp_path), config=night(test_settings, "2024-05-02"))
    write_table(spark.createDataFrame(second, DOCS.spark()), DOCS, ctx2)
    stats = dedup.run(spark, ctx2)
    found = {(r["doc_id"], r["kind"], r["kept_doc_id"], r["against_index"])
             for r in read_table(spark, DUPLICATES, ctx2).collect()}
    assert found == {("q1", "url", "p1", True), ("q2", "near", "p2", True)}
    assert stats["duplicates_of_earlier_runs"] == 2 and stats["index_entries_compared"] == 2

    rerun = RunContext(run_dir=str(tmp_path), config=night(test_settings, "2024-05-09"))
    write_table(spark.createDataFrame(second, DOCS.spark()), DOCS, rerun)  # night 2's file again, a week later
    dedup.run(spark, rerun)  # same result; the file's index entries replaced, not added
    assert {(r["doc_id"], r["kind"]) for r in read_table(spark, DUPLICATES, rerun).collect()} == {
        ("q1", "url"), ("q2", "near")}
    index = sorted((r["doc_id"], r["run_date"]) for r in read_table(spark, DEDUP_INDEX, rerun).collect())
    assert index == [("p1", "2024-05-01"), ("p2", "2024-05-01"), ("q3", "2024-05-09")]

    other = RunContext(run_dir=str(tmp_path), config=night(test_settings, "2024-05-09", permutations="mersenne"))
    dedup.run(spark, other)  # other MinHash parameters: URL and content still compared, signatures not
    assert {(r["doc_id"], r["kind"]) for r in read_table(spark, DUPLICATES, other).collect()} == {("q1", "url")}
