"""Faults: a Python worker killed (SIGKILL) in the middle of the extract stage (one pass with
ingest, by default) and again in the middle of the CLIP stage; Spark retries the lost tasks and
the run ends with tables identical, row for row, to a run nothing disturbed. (A killed worker
and executor JVM: tests/e2e/test_standalone_cluster.py.)"""
import os
import subprocess
import sys

import pytest

from tests.conftest import REPO, WARC_DIR
from tests.e2e.conftest import local_images, table_digest
from tests.e2e.kills import busy_worker, kill_during
from tests.image_server import ImageServer
from tests.tiny_clip import save_tiny_model

pytestmark = pytest.mark.e2e
STAGES = "ingest,extract,dedup,images,clip"
RETRYING = ["--set", "spark.ui=false", "--set", "spark.master=local[2,4]"]  # local[N,F]: F attempts per task


def run_with_kills(args: list[str], stages: tuple[str, ...]):
    """Run the pipeline; once each of ``stages`` has started, SIGKILL one busy Python worker."""
    proc = subprocess.Popen([sys.executable, "-m", "jobs.pipeline", *args], cwd=REPO, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env={**os.environ, "PYSPARK_PYTHON": sys.executable})
    return kill_during(proc, stages, lambda: busy_worker(proc.pid))


@pytest.fixture(scope="module")
def clean(tmp_path_factory, shared_data):
    """An undisturbed run of STAGES, and the arguments it ran with (less --output)."""
    folder = tmp_path_factory.mktemp("faults")
    config, checkpoint, _, _ = save_tiny_model(folder, "weft-tiny-faults", seed=5)
    tiny = ["--set", "clip.model=weft-tiny-faults", "--set", f"clip.checkpoint={checkpoint}",
            "--set", f"clip.model_config={config}", "--set", "clip.batch_size_cpu=4"]
    with ImageServer() as server:
        common = ["--input", str(WARC_DIR), "--stages", STAGES, *RETRYING, *local_images(server), *tiny]
        done, _ = run_with_kills([*common, "--output", str(folder / "clean")], ())
        assert done.returncode == 0, done.stderr[-3000:]
        yield folder / "clean", common


def test_killed_python_workers_are_retried_and_change_nothing(clean, tmp_path):
    reference, common = clean
    faulty, killed = run_with_kills([*common, "--output", str(tmp_path / "faulty")], ("extract", "clip"))
    assert faulty.returncode == 0, faulty.stderr[-3000:]
    assert killed == ["extract", "clip"]
    assert faulty.stderr.count("Lost task") >= 2  # each kill failed a running task, which Spark ran again
    for table in ("pages", "docs", "alt_pairs", "docs_dedup", "clip_embeddings", "clip_scores"):
        assert table_digest(tmp_path / "faulty" / table) == table_digest(reference / table), table
