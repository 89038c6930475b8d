"""The extract job on every real WARC (quirky ones included): every page ends as a document or
an extract reject, and the tables keep OBELICS's layout."""
import json
from pathlib import Path

import pytest
from pyspark.sql import functions as F

from jobs import extract, ingest
from jobs.runtime import RunContext
from jobs.tables import read_table
from schemas.docs import ALT_PAIRS, DOCS
from schemas.pages import PAGES
from schemas.rejects import REJECTS
from tests.conftest import warc_files

pytestmark = pytest.mark.spark


@pytest.fixture(scope="module")
def run(spark, test_settings, tmp_path_factory, shared_data):
    ctx = RunContext(run_dir=str(tmp_path_factory.mktemp("extract")), config=test_settings,
                     files=[str(p) for p in warc_files(quirky=True)])
    ingest.run(spark, ctx)
    return ctx, extract.run(spark, ctx), spark


def test_every_page_is_a_document_or_a_reject(run):
    ctx, stats, spark = run
    pages = {r[0] for r in read_table(spark, PAGES, ctx).select("page_id").collect()}
    docs = {r[0] for r in read_table(spark, DOCS, ctx).select("doc_id").collect()}
    rejected = {r[0] for r in read_table(spark, REJECTS, ctx).where("stage = 'extract'").select("key").collect()}
    assert docs | rejected == pages and not docs & rejected
    saved = json.loads(Path(ctx.path("_stats/extract.json")).read_text())
    assert saved["input_rows"] == len(pages) == saved["output_rows"] + sum(saved["rejected"].values())
    assert saved["mode"] == "main_content" and saved["node_drops"] and saved["drop_reasons"]


def test_documents_keep_the_obelics_layout(run):
    ctx, stats, spark = run
    docs = read_table(spark, DOCS, ctx)
    assert docs.columns == DOCS.names
    both_or_neither = docs.select(F.arrays_zip("texts", "images").alias("z")).select(F.explode("z").alias("p")) \
        .where("(p.texts is null) = (p.images is null)").count()
    assert both_or_neither == 0
    assert docs.where("size(texts) != size(images) or size(images) != size(image_meta)").count() == 0
    assert docs.where("keep and size(drop_reasons) > 0").count() == 0
    assert stats["kept_docs"] == docs.where("keep").count() > 0


def test_alt_pairs_point_at_kept_images(run):
    ctx, stats, spark = run
    pairs = read_table(spark, ALT_PAIRS, ctx)
    docs = read_table(spark, DOCS, ctx).select("doc_id", "images")
    joined = pairs.join(docs, "doc_id").where(F.expr("element_at(images, position + 1) = image_url"))
    assert pairs.count() == joined.count() == stats["alt_pairs"] > 0
    assert pairs.where("trim(alt_text) = ''").count() == 0


def test_obelics_export_round_trips_the_kept_documents(run):
    import json

    from jobs import export

    ctx, stats, spark = run
    exported_stats = export.run(spark, ctx)
    import pyarrow.parquet as pq

    exported = spark.read.parquet(ctx.path("export_obelics"))
    part = next(Path(ctx.path("export_obelics")).rglob("*.parquet"))  # what HF datasets reads: OBELICS's columns
    assert pq.read_schema(part).names == ["texts", "images", "metadata", "general_metadata"]
    assert set(exported.columns) == {"texts", "images", "metadata", "general_metadata", "run_date", "crawl"}
    assert exported.count() == stats["kept_docs"] == exported_stats["exports"]["export_obelics"]
    assert exported_stats["inputs"] == {"docs": stats["kept_docs"]} and exported_stats["balanced"]
    row = exported.first()
    metadata = json.loads(row["metadata"])
    assert len(metadata) == len(row["images"])
    assert all((m is None) == (img is None) for m, img in zip(metadata, row["images"]))
    assert set(json.loads(row["general_metadata"])) == {"url", "warc_filename", "warc_record_offset",
                                                        "warc_record_length"}


def test_time_limit_turns_slow_pages_into_rejects(spark, tmp_path, shared_data):
    from jobs.config import load_config
    from tests.conftest import WARC_DIR

    config = load_config(overrides=["spark.ui=false", "extract.time_limit_seconds=0.0005"])
    ctx = RunContext(run_dir=str(tmp_path), config=config,
                     files=[str(WARC_DIR / "ukwa_wikipedia-mona-lisa.warc.gz")])
    ingest.run(spark, ctx)
    stats = extract.run(spark, ctx)
    assert stats["rejected"] == {"extract_timeout": 2} and stats["output_rows"] == 0


def test_html_stored_read_again_or_fused_gives_the_same_tables(run, test_settings, tmp_path):
    """The three ways HTML reaches extraction (bench/RESULTS.md): read again from the WARC files
    (the module's run: pages without HTML), stored in ``pages`` (ingest.store_html), and ingest
    and extract fused in one pass. Same documents, pairs, rejects and pages, row for row."""
    import dataclasses

    from jobs import ingest_extract

    ctx, _, spark = run

    def with_ingest(run_dir, **changes):
        config = dataclasses.replace(test_settings, ingest=dataclasses.replace(test_settings.ingest, **changes))
        return RunContext(run_dir=str(run_dir), config=config, files=ctx.files)

    stored = with_ingest(tmp_path / "stored", store_html=True)
    ingest.run(spark, stored)
    assert read_table(spark, PAGES, stored).where("html is null").count() == 0
    extract.run(spark, stored)
    fused = with_ingest(tmp_path / "fused")
    both = ingest_extract.run(spark, fused)
    assert both["ingest"]["balanced"] and both["extract"]["balanced"]
    assert both["ingest"]["fused"] == both["extract"]["fused"] == "ingest+extract"

    def rows(table, c, drop=()):
        frame = read_table(spark, table, c).drop(*drop)
        if table is REJECTS:
            frame = frame.where("stage in ('ingest', 'extract')")
        return sorted(frame.toJSON().collect())

    for table, drop in ((DOCS, ("extract_seconds",)), (ALT_PAIRS, ()), (REJECTS, ()), (PAGES, ("html",))):
        reference = rows(table, ctx, drop)
        assert reference, table.name
        assert rows(table, stored, drop) == reference, table.name
        assert rows(table, fused, drop) == reference, table.name
