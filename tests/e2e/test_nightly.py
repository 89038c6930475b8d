"""Nightly operation: each night is a partition; completed input files are recorded and skipped by
the next run; a run killed halfway (at each stage boundary), rerun, ends with the same tables as a
run never interrupted."""
import json
import os
import signal
import subprocess
import sys

import pyarrow.parquet as pq
import pytest

from tests.conftest import REPO, WARC_DIR
from tests.e2e import conftest as e2e
from tests.e2e.conftest import FAST, table_digest

pytestmark = pytest.mark.e2e


def weft(*args: str) -> subprocess.CompletedProcess:
    """The pipeline with the local test settings."""
    return e2e.weft(*args, *FAST)


def manifest(tmp_path, name, files) -> str:
    path = tmp_path / name
    path.write_text("".join(f"{f}\n" for f in files))
    return str(path)


NIGHTLY = [WARC_DIR / n for n in ("cc_whirlwind_CC-MAIN-2024-22.warc.gz", "dolma_sample-0000.warc.gz",
                                  "jwarc_commoncrawl.org.warc.gz", "resiliparse_CC-MAIN-2020-34_warcfile.warc.gz",
                                  "dolma_sample-0001.warc.gz")]
TABLES = ("pages", "docs", "docs_dedup", "rejects", "warc_files")


def night(root, table, date):
    return root / table / f"run_date={date}"


def files_of(folder) -> dict[str, float]:
    """Every data file of a folder with its modification time: equal means untouched."""
    return {str(p.relative_to(folder)): p.stat().st_mtime_ns for p in folder.rglob("*.parquet")}


def test_nights_are_partitions_and_a_rerun_replaces_only_its_night(tmp_path, shared_data):
    root, state, (a, b, c) = tmp_path / "weft", tmp_path / "state", ("2026-11-27", "2026-11-28", "2026-11-29")
    stages = ["--stages", "ingest,extract,dedup", "--output", str(root), "--set", f"run.state={state}"]
    first = weft("--input", manifest(tmp_path, "a.paths", NIGHTLY[:2]), "--date", a, *stages)
    assert first.returncode == 0, first.stderr[-2000:]
    crawls = {p.name for p in night(root, "pages", a).iterdir()}
    assert crawls == {"crawl=CC-MAIN-2024-22", "crawl=unknown"}  # pages: each row's own crawl
    assert {p.name for p in (night(root, "rejects", a) / "stage=ingest").iterdir()} == {"crawl=mixed"}  # no own
    tables_a = {t: table_digest(night(root, t, a)) for t in TABLES}
    assert len(set(tables_a["pages"])) == len(tables_a["pages"]) > 0

    again = weft("--input", manifest(tmp_path, "a.paths", NIGHTLY[:2]), "--date", a, "--mode", "overwrite", *stages)
    assert again.returncode == 0, again.stderr[-2000:]
    assert {t: table_digest(night(root, t, a)) for t in TABLES} == tables_a  # replaced, not added to

    untouched = {t: files_of(night(root, t, a)) for t in TABLES}
    second = weft("--input", manifest(tmp_path, "b.paths", NIGHTLY[:3]), "--date", b, *stages)
    assert second.returncode == 0 and "skipping 2 input files" in second.stderr, second.stderr[-2000:]
    assert {t: files_of(night(root, t, a)) for t in TABLES} == untouched
    pages_b = pq.read_table(night(root, "pages", b)).to_pylist()
    assert {r["warc_filename"] for r in pages_b} == {str(NIGHTLY[2])}

    added = weft("--input", manifest(tmp_path, "b2.paths", NIGHTLY[:4]), "--date", b, "--mode", "append", *stages)
    assert added.returncode == 0 and "appended to the night" in added.stderr, added.stderr[-2000:]
    pages_b = pq.read_table(night(root, "pages", b)).to_pylist()
    assert sorted({r["warc_filename"] for r in pages_b}) == sorted(map(str, NIGHTLY[2:4]))
    assert len({r["page_id"] for r in pages_b}) == len(pages_b)  # night b's earlier rows kept, none twice
    assert not (root / "_staging").exists() and {t: files_of(night(root, t, a)) for t in TABLES} == untouched

    rebuilt = weft("--input", manifest(tmp_path, "b3.paths", NIGHTLY), "--date", b, *stages)
    assert rebuilt.returncode == 0, rebuilt.stderr[-2000:]
    pages_b = pq.read_table(night(root, "pages", b)).to_pylist()
    assert sorted({r["warc_filename"] for r in pages_b}) == sorted(map(str, NIGHTLY[2:]))
    assert len({r["page_id"] for r in pages_b}) == len(pages_b)
    docs = pq.read_table(root / "docs_dedup").to_pylist()  # the whole root: both nights, as users query it
    assert {r["run_date"] for r in docs} == {a, b} and len({r["doc_id"] for r in docs}) == len(docs)
    done = [json.loads(line) for line in (state / "completed_files.jsonl").read_text().splitlines()]
    assert {d["file"]: d["run_date"] for d in done} == {**{str(f): a for f in NIGHTLY[:2]},
                                                         **{str(f): b for f in NIGHTLY[2:]}}

    nothing_new = weft("--input", manifest(tmp_path, "c.paths", NIGHTLY), "--date", c, *stages)
    assert nothing_new.returncode == 0, nothing_new.stderr[-2000:]
    assert "all 5 input files were completed by earlier runs" in nothing_new.stdout
    assert not night(root, "pages", c).exists()


@pytest.mark.long  # five pipeline runs through curate (~5 min): CI runs it with the 3.5.4 compatibility set
def test_a_run_killed_at_each_stage_boundary_and_rerun_equals_an_uninterrupted_run(tmp_path, shared_data):
    """One run after another into the same folder, each killed just after a later stage has
    finished (the first one halfway: as dedup starts), then one allowed to finish: its tables
    equal a clean run's, whatever the killed runs left behind. The kills land after each kind of write: the night's tables (extract, run
    with ingest in one job), the cross-night dedup index (dedup), embeddings appended to
    clip_embeddings (mmc4); the stages between write like one of these."""
    from tests.tiny_clip import save_tiny_model

    config, checkpoint, _, _ = save_tiny_model(tmp_path, "weft-tiny-boundaries", seed=7)
    stages = ("ingest", "extract", "dedup", "images", "clip", "mmc4", "curate")
    common = ["--input", str(WARC_DIR / "ukwa_wikipedia-mona-lisa.warc.gz"), "--stages", ",".join(stages),
              "--set", "clip.model=weft-tiny-boundaries", "--set", f"clip.checkpoint={checkpoint}",
              "--set", f"clip.model_config={config}", "--set", "images.source=archive_only",
              "--set", "mmc4.min_similarity=-1", "--set", "curate.clip_threshold=-1"]
    clean = weft(*common, "--output", str(tmp_path / "clean"))
    assert clean.returncode == 0, clean.stderr[-2000:]
    out = tmp_path / "interrupted"
    for stage in ("extract", "dedup", "mmc4"):
        proc = subprocess.Popen([sys.executable, "-m", "jobs.pipeline", *common, "--output", str(out), *FAST],
                                cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env={**os.environ, "PYSPARK_PYTHON": sys.executable}, start_new_session=True)
        for line in proc.stderr:
            if line.startswith(f"weft: {stage} done"):
                break
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=60)
        assert proc.returncode != 0 and not (out / "_state" / "completed_files.jsonl").exists(), stage
    rerun = weft(*common, "--output", str(out))
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    assert "skipping" not in rerun.stderr  # nothing was recorded by the killed runs
    for table in ("pages", "docs", "docs_dedup", "duplicates", "clip_embeddings", "clip_scores", "mmc4", "pairs",
                  "obelics"):
        assert table_digest(out / table) == table_digest(tmp_path / "clean" / table), table
