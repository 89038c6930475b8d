"""The pipeline as a user runs it: python -m jobs.pipeline and spark-submit, on the real WARCs."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml

from jobs.registry import NAMES
from tests.conftest import QUIRKY_DIR, REPO, WARC_DIR
from tests.e2e.conftest import FAST, weft

pytestmark = pytest.mark.e2e


def test_pipeline_on_the_bundled_warcs(bundled_run):
    out, proc, checkpoint = bundled_run
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert f"table pages        {out}/pages" in proc.stdout
    assert "ingest   11 files" in proc.stdout
    assert f"table docs         {out}/docs" in proc.stdout
    dedup = json.loads((out / "_stats" / "dedup.json").read_text())
    assert dedup["input_rows"] == dedup["output_rows"] + sum(dedup["rejected"].values())
    assert dedup["rejected"].get("dup_url", 0) >= 1  # the bundled crawls hold the same page twice
    assert f"table docs_dedup   {out}/docs_dedup" in proc.stdout
    assert list((out / "dedup_index").glob("source_file=*/*.parquet"))
    images = json.loads((out / "_stats" / "images.json").read_text())
    assert images["balanced"] and images["status"].get("ok", 0) >= 3  # archived in the bundled WARCs (4 today)
    assert set(images["status"]) <= {"ok", "http_404", "decode_error", "not_an_image", "too_many_pixels"}
    clip = json.loads((out / "_stats" / "clip.json").read_text())
    assert clip["images_embedded"] == images["status"]["ok"] and clip["model"] == f"weft-tiny-e2e@{checkpoint}"
    mmc4 = json.loads((out / "_stats" / "mmc4.json").read_text())
    assert mmc4["balanced"] and mmc4["input_rows"] == dedup["output_rows"] and mmc4["output_rows"] >= 1
    rows = pq.read_table(out / "mmc4").to_pylist()
    assert len(rows) == mmc4["output_rows"]
    for row in rows:
        assert len(row["similarity_matrix"]) == len(row["image_info"]) >= 1
        assert all(0 <= i["matched_text_index"] < len(row["text_list"]) for i in row["image_info"])
    assert "not implemented" not in proc.stderr
    for stage in NAMES:
        assert f"weft: {stage} started" in proc.stderr and f"weft: {stage} done: " in proc.stderr
    assert f"report: {out}/report.html" in proc.stdout
    report = (out / "report.html").read_text()
    assert '<table id="funnel">' in report and report.count("data:image/png;base64,") >= 5
    summary = json.loads((out / "_stats" / "summary.json").read_text())
    assert summary["balanced"] and summary["tables"]["pages"] == 344 and set(summary["stages"]) == set(NAMES) - {"report"}
    stats = json.loads((out / "_stats" / "ingest.json").read_text())
    # every HTML response of the non-quirky files (counted independently in tests/unit/test_page_records.py)
    assert (stats["pages"], stats["archived_images"]) == (344, 77) and stats["output_rows"] == 421
    assert stats["balanced"] and not stats["unbalanced_files"]
    assert summary["images_by_source"] == images["image_sources"] and images["image_sources"]["archive"] >= 3
    assert f"{images['image_sources']['archive']:,} from the archive" in proc.stdout  # the run summary says so
    extract = json.loads((out / "_stats" / "extract.json").read_text())
    assert extract["input_rows"] == 344 == extract["output_rows"] + sum(extract["rejected"].values())
    assert extract["kept_docs"] > 0 and extract["alt_pairs"] > 0
    decided = dedup["documents"]  # dedup decides again, under the same settings here: the same documents
    assert (decided["extracted"], decided["kept"]) == (extract["output_rows"], extract["kept_docs"])
    assert decided["dropped_by_rule"] == extract["drop_reasons"]
    assert f"rules    {decided['extracted']:,} documents → {decided['kept']:,} kept (dropped: " in proc.stdout
    curate = json.loads((out / "_stats" / "curate.json").read_text())
    assert curate["balanced"] and curate["documents_in"] == dedup["output_rows"]
    assert curate["pairs_in"] == extract["alt_pairs"] and curate["pairs"] == len(pq.read_table(out / "pairs"))
    final = pq.read_table(out / "obelics").to_pylist()
    assert curate["obelics"] == len(final) >= 1 and curate["pairs"] >= 1
    ok = {r["image_url"] for r in pq.read_table(out / "images").to_pylist() if r["status"] == "ok"}
    assert all(url in ok for doc in final for url in doc["images"] if url is not None)
    assert all(any(doc["images"]) and any(doc["texts"]) for doc in final)
    saved = yaml.safe_load((out / "config.yaml").read_text())
    assert saved["spark"]["master"] == "local[2]" and saved["extract"]["languages"] == ["en"]


def test_every_stage_wrote_what_the_registry_declares(bundled_run):
    """The registry's reads and writes against the folders a run of every stage left."""
    from jobs.registry import STAGES

    out, proc, _ = bundled_run
    assert proc.returncode == 0, proc.stderr[-3000:]
    folders = {p.name for p in out.iterdir() if p.is_dir() and not p.name.startswith("_")}
    declared = [t for s in STAGES for t in s.writes]
    assert folders == set(declared), "every table folder is some stage's, and every stage's table was written"
    for stage in STAGES:
        for table in stage.writes:
            assert any((out / table).rglob("*.parquet")) or any((out / table).rglob("*.json")), (stage.name, table)
        earlier = {t for s in STAGES[:STAGES.index(stage) + 1] for t in s.writes}
        assert set(stage.reads) <= earlier, (stage.name, set(stage.reads) - earlier)  # nothing read comes later
    for name in (s.name for s in STAGES):
        assert (out / "_stats" / f"{name}.json").is_file(), name

def test_quirky_inputs_finish_with_every_record_accounted(tmp_path, shared_data):
    out = tmp_path / "quirky"
    proc = weft("--input", str(QUIRKY_DIR), "--output", str(out), "--stages", "ingest", *FAST)
    assert proc.returncode == 0, proc.stderr[-3000:]
    stats = json.loads((out / "_stats" / "ingest.json").read_text())
    assert len(stats["files"]) == 7 and stats["unbalanced_files"] == []
    assert {"unreadable_file", "truncated_record"} <= set(stats["rejected"])
    # two ARC files, the malformed clueweb WARC and the clipped file (one gzip member each)
    assert stats["readers"]["resync"] == 4


def test_stage_entry_point_and_spark_submit(tmp_path, shared_data):
    one = WARC_DIR / "resiliparse_CC-MAIN-2020-34_warcfile.warc.gz"
    proc = weft("--input", str(one), "--output", str(tmp_path / "a"), *FAST, module="jobs.ingest")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert json.loads((tmp_path / "a/_stats/ingest.json").read_text())["output_rows"] == 16
    submit = Path(sys.executable).parent / "spark-submit"
    proc = subprocess.run([str(submit), "--master", "local[1]", "--conf", "spark.ui.enabled=false",
                           "jobs/pipeline.py", "--input", str(one), "--output", str(tmp_path / "b"),
                           "--stages", "ingest"], cwd=REPO, capture_output=True, text=True, timeout=600,
                          env={**os.environ, "PYSPARK_PYTHON": sys.executable})
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert json.loads((tmp_path / "b/_stats/ingest.json").read_text())["output_rows"] == 16


@pytest.mark.parametrize("args, message", [
    (["--input", "/nonexistent/x.warc.gz"], "input not found: /nonexistent/x.warc.gz"),
    (["--input", "{empty}"], "lists no WARC files"),
    (["--input", str(WARC_DIR), "--set", "dedup.near_threshold=2"], "'dedup.near_threshold' must be <= 1"),
    (["--input", str(WARC_DIR), "--set", "no.such=1"], "unknown setting 'no'"),
    (["--input", str(WARC_DIR), "--stages", "ingest,paint"], "unknown stage 'paint'"),
    (["--output", "x"], "--input is required"),
])
def test_bad_runs_stop_before_spark_with_one_line(tmp_path, args, message):
    empty = tmp_path / "empty.paths"
    empty.write_text("")
    proc = weft(*[a.replace("{empty}", str(empty)) for a in args])
    assert proc.returncode == 2
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("weft: error:") and message in lines[0], proc.stderr


def test_without_clip_weights_the_clip_stages_are_skipped_and_say_so(tmp_path, shared_data):
    out = tmp_path / "run"
    one = WARC_DIR / "resiliparse_CC-MAIN-2020-34_warcfile.warc.gz"
    proc = weft("--input", str(one), "--output", str(out), *FAST, "--stages", "ingest,clip,mmc4",
                "--set", "clip.required=false")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "clip     skipped: CLIP weights unavailable (clip.required=false)" in proc.stdout
    assert "mmc4     skipped: CLIP weights unavailable (clip.required=false)" in proc.stdout
    assert "table clip_scores" not in proc.stdout and "table mmc4" not in proc.stdout  # skipped: no tables
    assert "clip.checkpoint" in json.loads((out / "_stats" / "clip.json").read_text())["skipped"]


def test_missing_clip_weights_stop_the_run_before_spark_with_a_pointer(tmp_path):
    proc = weft("--input", str(WARC_DIR), "--output", str(tmp_path / "run"), "--stages", "ingest,clip", *FAST)
    assert proc.returncode == 2
    last = [ln for ln in proc.stderr.splitlines() if ln.strip()][-1]
    assert last.startswith("weft: error: cannot load CLIP weights ViT-B-32/laion2b_s34b_b79k") and "clip.checkpoint" in last
    assert not (tmp_path / "run" / "pages").exists()  # nothing ran
