"""Nightly operation: completed input files are recorded and skipped by the next run, and a run
killed halfway, rerun, ends with the same tables as a run never interrupted."""
import hashlib
import json
import os
import signal
import subprocess
import sys
import time

import pyarrow.parquet as pq
import pytest

from tests.conftest import REPO, WARC_DIR

pytestmark = pytest.mark.e2e
FAST = ["--set", "spark.ui=false", "--set", "spark.master=local[2]"]
FILES = sorted(p for p in WARC_DIR.iterdir() if p.is_file())[:3]


def weft(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "jobs.pipeline", *args, *FAST], cwd=REPO, capture_output=True,
                          text=True, timeout=600, env={**os.environ, "PYSPARK_PYTHON": sys.executable})


def manifest(tmp_path, name, files) -> str:
    path = tmp_path / name
    path.write_text("".join(f"{f}\n" for f in files))
    return str(path)


def test_the_next_night_skips_completed_files(tmp_path, shared_data):
    state = tmp_path / "state"
    first = weft("--input", manifest(tmp_path, "n1.paths", FILES[:2]), "--output", str(tmp_path / "n1"),
                 "--stages", "ingest,extract", "--set", f"run.state={state}", "--set", "run.date=2026-11-28")
    assert first.returncode == 0, first.stderr[-2000:]
    done = [json.loads(line) for line in (state / "completed_files.jsonl").read_text().splitlines()]
    assert sorted(d["file"] for d in done) == sorted(str(f) for f in FILES[:2])
    assert {d["run_date"] for d in done} == {"2026-11-28"}
    second = weft("--input", manifest(tmp_path, "n2.paths", FILES), "--output", str(tmp_path / "n2"),
                  "--stages", "ingest,extract", "--set", f"run.state={state}")
    assert second.returncode == 0, second.stderr[-2000:]
    assert "skipping 2 input files completed by earlier runs" in second.stderr
    assert json.loads((tmp_path / "n2" / "_stats" / "ingest.json").read_text())["input_files"] == 1
    again = weft("--input", manifest(tmp_path, "n3.paths", FILES), "--output", str(tmp_path / "n3"),
                 "--stages", "ingest,extract", "--set", f"run.state={state}")
    assert again.returncode == 0 and "all 3 input files were completed by earlier runs" in again.stdout
    assert not (tmp_path / "n3" / "pages").exists()
    redo = weft("--input", manifest(tmp_path, "n4.paths", FILES), "--output", str(tmp_path / "n4"),
                "--stages", "ingest", "--set", f"run.state={state}", "--set", "run.mode=overwrite")
    assert redo.returncode == 0 and json.loads((tmp_path / "n4/_stats/ingest.json").read_text())["input_files"] == 3


def table_digest(folder) -> list[str]:
    """Sorted row digests of a Parquet table (file layout may differ; content may not), without
    the columns that time the work (``*_seconds``)."""
    rows = [{k: v for k, v in r.items() if not k.endswith("_seconds")} for r in pq.read_table(folder).to_pylist()]
    return sorted(hashlib.sha256(json.dumps(r, sort_keys=True, default=str).encode()).hexdigest() for r in rows)


def test_a_run_killed_halfway_and_rerun_equals_an_uninterrupted_run(tmp_path, shared_data):
    stages = ["--stages", "ingest,extract,dedup"]
    clean = weft("--input", str(WARC_DIR), "--output", str(tmp_path / "clean"), *stages)
    assert clean.returncode == 0, clean.stderr[-2000:]
    out = tmp_path / "crashed"
    proc = subprocess.Popen([sys.executable, "-m", "jobs.pipeline", "--input", str(WARC_DIR), "--output", str(out),
                             *stages, *FAST], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYSPARK_PYTHON": sys.executable}, start_new_session=True)
    deadline = time.time() + 300
    for line in proc.stderr:  # kill it once the dedup stage is under way
        if "weft: dedup started" in line or time.time() > deadline:
            break
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=60)
    assert proc.returncode != 0 and not (out / "_state" / "completed_files.jsonl").exists()
    rerun = weft("--input", str(WARC_DIR), "--output", str(out), *stages)
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    assert "skipping" not in rerun.stderr  # nothing was recorded by the killed run
    for table in ("pages", "docs", "docs_dedup", "duplicates"):
        assert table_digest(out / table) == table_digest(tmp_path / "clean" / table), table
