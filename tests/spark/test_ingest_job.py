"""The ingest job in a local Spark session, on every real WARC including the quirky ones."""
import dataclasses
import json
from collections import Counter
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from jobs import ingest
from jobs.runtime import RunContext
from jobs.tables import read_table
from schemas.pages import PAGES
from schemas.rejects import REJECTS
from schemas.warc_files import WARC_FILES
from tests.conftest import WARC_DIR, warc_files

pytestmark = pytest.mark.spark


@pytest.fixture(scope="module")
def run(spark, test_settings, tmp_path_factory, shared_data):
    out = tmp_path_factory.mktemp("run")
    ctx = RunContext(run_dir=str(out), config=test_settings, files=[str(p) for p in warc_files(quirky=True)])
    stats = ingest.run(spark, ctx)
    return ctx, stats, spark


def test_stats_file_reconciles_every_file(run):
    ctx, stats, _ = run
    saved = json.loads(Path(ctx.path("_stats/ingest.json")).read_text())
    assert saved == json.loads(json.dumps(stats))
    assert set(saved) >= {"stage", "input_rows", "output_rows", "rejected", "seconds"}
    assert saved["input_rows"] == saved["output_rows"] + sum(saved["rejected"].values())
    assert saved["unbalanced_files"] == [] and saved["balanced"] is True
    assert len(saved["files"]) == len(warc_files(quirky=True))
    for name, f in saved["files"].items():
        assert f["records_read"] == f["pages"] + f["archived_images"] + f["rejected"] > 0, name
    assert saved["output_rows"] == saved["pages"] + saved["archived_images"] and saved["archived_images"] >= 77


def test_tables_match_the_reader_and_the_contract(run):
    ctx, stats, spark = run
    pages = spark.read.parquet(ctx.path("pages"))
    rejects = spark.read.parquet(ctx.path("rejects"))
    files = spark.read.parquet(ctx.path("warc_files"))
    night = {"run_date", "crawl"}  # the partition columns every nightly table adds
    assert set(pages.columns) == set(PAGES.names) | night and len(pages.columns) == len(PAGES.names) + 1
    assert set(rejects.columns) == set(REJECTS.names) | night
    assert set(files.columns) == set(WARC_FILES.names) | night
    per_file = {r["warc_filename"]: r for r in files.collect()}
    page_counts = Counter(r["warc_filename"] for r in pages.select("warc_filename").collect())
    reject_counts = Counter(r["warc_filename"] for r in rejects.select("warc_filename").collect())
    archived = spark.read.parquet(ctx.path("archived_images"))
    image_counts = Counter(r["warc_filename"] for r in archived.select("warc_filename").collect())
    for name, row in per_file.items():
        assert row["records_read"] == page_counts[name] + image_counts[name] + reject_counts[name], name
        assert row["archived_images"] == image_counts[name], name
    assert archived.where("payload IS NULL AND record_kind = 'response'").count() == 0
    assert page_counts[str(WARC_DIR / "aut_archive-org-2008_example.warc.gz")] == 140
    assert pages.select("page_id").distinct().count() == pages.count()
    assert pages.where("url is null").count() == 0
    assert pages.where("html is not null").count() == 0  # ingest.store_html is off by default


def test_quirky_reasons_reach_the_rejects_table(run):
    ctx, _, spark = run
    reasons = {(Path(r["warc_filename"]).name, r["reason"]) for r in
               spark.read.parquet(ctx.path("rejects")).select("warc_filename", "reason").collect()}
    assert ("copycat_LICENSE", "unreadable_file") in reasons
    assert ("resiliparse_clipped.warc.gz", "truncated_record") in reasons
    readers = {Path(r["warc_filename"]).name: r["reader"] for r in spark.read.parquet(ctx.path("warc_files")).collect()}
    assert readers["copycat_commoncrawl-2008-09_small-sample-1213893279526_0.arc.gz"] == "resync"
    assert readers["pywarc_clueweb09-en_sample_MALFORMED.warc.gz"] == "resync"


def test_written_parquet_is_readable_without_spark(run):
    ctx, stats, _ = run
    table = pq.read_table(ctx.path("pages"), columns=["page_id", "url", "crawl", "fetch_time"])
    assert table.num_rows == stats["pages"]
    assert "CC-MAIN-2020-34" in set(table.column("crawl").to_pylist())


def test_rerun_replaces_instead_of_duplicating(run):
    ctx, stats, spark = run
    again = ingest.run(spark, ctx)
    assert again["output_rows"] == stats["output_rows"]
    assert again["rejected"] == stats["rejected"]
    assert spark.read.parquet(ctx.path("rejects")).count() == sum(stats["rejected"].values())


def test_input_without_rejects_and_a_rerun_that_has_none(spark, test_settings, tmp_path, shared_data):
    """A rejects partition left by an earlier run of the stage must not survive a rerun."""
    ctx = RunContext(run_dir=str(tmp_path), config=test_settings,
                     files=[str(WARC_DIR / "resiliparse_CC-MAIN-2020-34_warcfile.warc.gz")])
    assert sum(ingest.run(spark, ctx)["rejected"].values()) == 34
    ctx = dataclasses.replace(ctx, files=[str(WARC_DIR / "jwarc_commoncrawl.org.warc.gz")])  # one HTML response
    stats = ingest.run(spark, ctx)
    assert stats["rejected"] == {} and stats["output_rows"] == 1 and stats["balanced"]
    assert read_table(spark, REJECTS, ctx).count() == 0
    assert not (tmp_path / "_side" / "ingest").exists()


def test_stored_html_is_written_in_row_groups_bounded_by_bytes(spark, test_settings, tmp_path, shared_data):
    """With ingest.store_html the HTML is there, decoded, in row groups of a few MB."""
    import dataclasses

    from schemas.table import WIDE_ROW_GROUP_BYTES

    config = dataclasses.replace(test_settings, ingest=dataclasses.replace(test_settings.ingest, store_html=True))
    ctx = RunContext(run_dir=str(tmp_path), config=config, files=[str(WARC_DIR / "aut_archive-org-2008_example.warc.gz")])
    ingest.run(spark, ctx)
    pages = read_table(spark, PAGES, ctx)
    assert pages.count() == 140 and pages.where("html is null").count() == 0
    assert pages.where("html like '%<html%' or html like '%<HTML%'").count() > 100
    for part in Path(ctx.path("pages")).rglob("*.parquet"):
        meta = pq.ParquetFile(part).metadata
        for i in range(meta.num_row_groups):
            assert meta.row_group(i).total_byte_size < 4 * WIDE_ROW_GROUP_BYTES
