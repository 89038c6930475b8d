"""Faults: a Python worker killed (SIGKILL) in the middle of the extract stage (one pass with
ingest, by default) and again in the middle of the CLIP stage, and an executor JVM killed during extraction (local-cluster mode);
Spark retries the lost tasks and the run ends with tables identical, row for row, to a run
nothing disturbed."""
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.conftest import REPO, WARC_DIR
from tests.e2e.test_nightly import table_digest
from tests.e2e.conftest import local_images
from tests.image_server import ImageServer
from tests.tiny_clip import save_tiny_model

pytestmark = pytest.mark.e2e
STAGES = "ingest,extract,dedup,images,clip"
RETRYING = ["--set", "spark.ui=false", "--set", "spark.master=local[2,4]"]  # local[N,F]: F attempts per task


def processes() -> dict[int, tuple[int, str]]:
    """pid → (parent pid, command line) of every process."""
    found = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                found[int(entry.name)] = (parent, (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode())
            except (OSError, ValueError, IndexError):
                continue
    return found


def cpu_ticks(pid: int) -> int:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])  # utime + stime
    except (OSError, ValueError, IndexError):
        return -1


def busy(root: int, chosen) -> int | None:
    """A process under ``root`` that ``chosen(cmd, parent_cmd)`` picks and that is using the CPU
    (running a task, not idle), if any."""
    table = processes()

    def under(pid: int) -> bool:
        while pid > 1:
            if pid == root:
                return True
            pid = table.get(pid, (0, ""))[0]
        return False

    workers = [pid for pid, (parent, cmd) in table.items()
               if chosen(cmd, table.get(parent, (0, ""))[1]) and under(pid)]
    before = {pid: cpu_ticks(pid) for pid in workers}
    time.sleep(0.2)
    return next((pid for pid in workers if cpu_ticks(pid) > before[pid] >= 0), None)


def busy_worker(root: int) -> int | None:
    """A Python worker forked by a pyspark daemon (it runs a task; the daemon only forks)."""
    return busy(root, lambda cmd, parent: "pyspark.daemon" in cmd and "pyspark.daemon" in parent)


def busy_executor(root: int) -> int | None:
    """An executor JVM of a local-cluster run."""
    return busy(root, lambda cmd, parent: "CoarseGrainedExecutorBackend" in cmd)


def run_with_kills(args: list[str], stages: tuple[str, ...], target=busy_worker):
    """Run the pipeline; once each of ``stages`` has started, SIGKILL one busy ``target`` process;
    the finished process and the stages where a kill landed."""
    proc = subprocess.Popen([sys.executable, "-m", "jobs.pipeline", *args], cwd=REPO, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env={**os.environ, "PYSPARK_PYTHON": sys.executable})
    killed: list[str] = []
    lines: list[str] = []

    def watch() -> None:
        pending = list(stages)
        for line in proc.stderr:
            lines.append(line)
            if pending and f"weft: {pending[0]} started" in line:
                deadline = time.time() + 60
                while time.time() < deadline:
                    pid = target(proc.pid)
                    if pid:
                        os.kill(pid, signal.SIGKILL)
                        killed.append(pending.pop(0))
                        break

    reader = threading.Thread(target=watch, daemon=True)
    reader.start()
    stdout = proc.stdout.read()
    proc.wait(timeout=900)
    reader.join(timeout=60)
    return subprocess.CompletedProcess(proc.args, proc.returncode, stdout, "".join(lines)), killed


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


def test_a_killed_executor_jvm_is_replaced_and_changes_nothing(clean, tmp_path):
    """local-cluster mode: two executor JVMs; one is SIGKILLed while it runs extract tasks."""
    reference, _ = clean
    args = ["--input", str(WARC_DIR), "--stages", "ingest,extract", "--output", str(tmp_path / "faulty"),
            "--set", "spark.ui=false", "--set", "spark.master=local-cluster[2,1,1024]"]
    faulty, killed = run_with_kills(args, ("extract",), target=busy_executor)
    assert faulty.returncode == 0, faulty.stderr[-3000:]
    assert killed == ["extract"] and "Lost executor" in faulty.stderr, faulty.stderr[-3000:]
    for table in ("pages", "docs", "alt_pairs"):
        assert table_digest(tmp_path / "faulty" / table) == table_digest(reference / table), table
