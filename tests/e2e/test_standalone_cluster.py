"""A real multi-process cluster: a Spark standalone master and two workers (separate JVMs on
127.0.0.1) run the bundle as a user's ``spark-submit`` would — from a folder outside the
checkout, weft's modules from the zip (``--py-files``), the executors' Python from the packed
virtualenv (``--archives ...#environment``), the WARC files from the local S3 server. The tables
equal the local-mode run's; a second run loses a worker (and its executor) during extract and
still ends with the same tables."""
from __future__ import annotations

import json
import os
import re
import subprocess
import time
from pathlib import Path

import boto3
import pytest

from tests.conftest import REPO, WARC_DIR, free_port
from tests.e2e.conftest import RELAXED, clean_environ, local_images, table_digest
from tests.e2e.kills import busy, kill_during
from tests.image_server import ImageServer
from udfs.dedup.dedup_signatures import source_file

pytestmark = [pytest.mark.e2e, pytest.mark.cluster]  # .ci/compat.sh runs them (pytest.ini leaves them out)
SPARK_HOME = Path(__import__("pyspark").__file__).parent
STAGES = ("ingest", "extract", "dedup", "images")  # the CPU stages (the packed virtualenv has no torch)
PROBE = '''import json, os, sys, time
from pyspark.sql import SparkSession

spark = SparkSession.builder.getOrCreate()
deadline = time.time() + 120
while spark.sparkContext._jsc.sc().getExecutorMemoryStatus().size() < 3 and time.time() < deadline:
    time.sleep(0.5)  # both executors registered (the driver counts as one)


def where(_):
    import fastwarc, jobs, pyspark
    time.sleep(1)
    yield json.dumps({"prefix": sys.prefix, "cwd": os.getcwd(), "jobs": os.path.abspath(jobs.__file__), "pyspark": pyspark.__file__,
                      "fastwarc": fastwarc.__file__, "path": sys.path})


print(json.dumps([json.loads(r) for r in spark.sparkContext.parallelize(range(8), 8).mapPartitions(where).collect()]))
'''


def spark_env(**extra: str) -> dict[str, str]:
    """A node's environment: the cluster's Spark, the local S3's dummy credentials, no trace of
    the checkout's venv."""
    return clean_environ(SPARK_HOME=str(SPARK_HOME), SPARK_LOCAL_IP="127.0.0.1", **extra)


def started(proc: subprocess.Popen, log: Path, ready: str, timeout: float = 120) -> None:
    deadline = time.time() + timeout
    while ready not in log.read_text(errors="replace"):
        assert proc.poll() is None and time.time() < deadline, log.read_text(errors="replace")[-3000:]
        time.sleep(0.5)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """A standalone master and two one-core workers; (master URL, worker processes, work dirs)."""
    root = tmp_path_factory.mktemp("standalone")
    port = free_port()
    url = f"spark://127.0.0.1:{port}"
    spark_class = str(SPARK_HOME / "bin" / "spark-class")
    procs = []

    def launch(name: str, *args: str, ready: str) -> subprocess.Popen:
        log = root / f"{name}.log"
        proc = subprocess.Popen([spark_class, *args], cwd=root, env=spark_env(), stdout=log.open("w"),
                                stderr=subprocess.STDOUT)
        procs.append(proc)
        started(proc, log, ready)
        return proc

    try:
        launch("master", "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1", "--port", str(port),
               "--webui-port", str(free_port()), ready="I have been elected leader")
        workers, dirs = [], []
        for n in range(2):
            dirs.append(root / f"worker{n}")
            workers.append(launch(f"worker{n}", "org.apache.spark.deploy.worker.Worker", url, "--host", "127.0.0.1",
                                  "--cores", "1", "--memory", "2g", "--work-dir", str(dirs[-1]),
                                  "--webui-port", str(free_port()), ready="Successfully registered with master"))
        yield url, workers, dirs
    finally:
        for proc in procs:
            proc.kill()
            proc.wait(timeout=60)


@pytest.fixture(scope="module")
def s3_input(s3_endpoint, shared_data):
    """The bundled WARC files (those the local-mode run read) under an s3:// prefix, and what tells
    a row from the S3 run from the same row of the local run."""
    s3 = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1")
    s3.create_bucket(Bucket="crawl")
    replace = {}
    for path in sorted(p for p in WARC_DIR.iterdir() if p.is_file()):
        s3.upload_file(str(path), "crawl", f"night/{path.name}")
        # dedup_index partitions: the file's name and a hash of where it was read from
        replace[re.escape(source_file(f"s3://crawl/night/{path.name}"))] = source_file(str(path))
    replace[re.escape("s3://crawl/night/")] = f"{WARC_DIR}/"
    replace[r"http://127\.0\.0\.1:\d+/mirror/"] = "IMAGE-SERVER/"  # each run has its own image server
    return "s3://crawl/night/", replace


def submit(bundle, url: str, args: list[str], cwd: Path, app: Path) -> subprocess.Popen:
    """``spark-submit`` of ``app`` to the standalone cluster in client mode, from ``cwd``."""
    command = [str(SPARK_HOME / "bin" / "spark-submit"), "--master", url, "--deploy-mode", "client",
               "--conf", "spark.ui.enabled=false", "--conf", "spark.executor.memory=1g",
               # sized for two cores, as a user sizes a small cluster (weft leaves these to the cluster)
               "--conf", "spark.sql.shuffle.partitions=8",
               "--conf", "spark.driver.host=127.0.0.1", "--conf", "spark.driver.bindAddress=127.0.0.1",
               "--conf", "spark.pyspark.python=./environment/bin/python",
               "--conf", f"spark.pyspark.driver.python={bundle.environment / 'bin' / 'python'}",
               "--py-files", str(bundle.zip), "--archives", f"{bundle.archive}#environment", str(app), *args]
    return subprocess.Popen(command, cwd=cwd, env=spark_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def finished(proc: subprocess.Popen) -> subprocess.CompletedProcess:
    stdout, stderr = proc.communicate(timeout=900)
    return subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr)


def weft_args(source: str, out: Path, endpoint: str, server, stages) -> list[str]:
    return ["--input", source, "--output", str(out), "--stages", ",".join(stages),
            "--set", f"storage.s3_endpoint_url={endpoint}", *local_images(server), *RELAXED]


def tables_of(run: Path) -> list[str]:
    return sorted(p.name for p in run.iterdir() if p.is_dir() and not p.name.startswith("_"))


def assert_same_tables(run: Path, reference: Path, replace: dict[str, str], stages) -> None:
    """Every table of ``run`` equals the reference run's (rejects: those of the stages that ran;
    images: but when a download happened)."""
    for table in tables_of(run):
        where = (lambda row: row["stage"] in stages) if table == "rejects" else None
        drop = ("fetch_time",) if table == "images" else ()
        assert table_digest(run / table, replace, where, drop) == table_digest(reference / table, replace, where, drop), table


def test_executors_take_python_from_the_archive_and_weft_from_the_zip(cluster, packed_bundle, tmp_path):
    url, _, dirs = cluster
    probe = tmp_path / "probe.py"
    probe.write_text(PROBE)
    done = finished(submit(packed_bundle, url, [], tmp_path, probe))
    assert done.returncode == 0, done.stderr[-3000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    work = [str(d) for d in dirs]
    assert {next(w for w in work if s["cwd"].startswith(w)) for s in seen} == set(work)  # both workers ran tasks
    for s in seen:
        assert s["prefix"] == os.path.join(s["cwd"], "environment"), s  # the unpacked archive's Python
        assert s["fastwarc"].startswith(s["prefix"]), s  # dependencies from the archive
        assert s["jobs"] == os.path.join(s["cwd"], packed_bundle.zip.name, "jobs", "__init__.py"), s  # the zip
        assert s["pyspark"].startswith(str(SPARK_HOME / "python" / "lib")), s  # the cluster's pyspark comes first
        # nothing of the checkout or its venv, but the cluster's Spark installation (which lives there)
        assert not [p for p in s["path"] if p.startswith(str(REPO)) and not p.startswith(str(SPARK_HOME))], s


def test_the_cluster_run_equals_the_local_run(cluster, packed_bundle, bundled_run, s3_input, s3_endpoint, tmp_path):
    url, _, _ = cluster
    reference, local, _ = bundled_run
    assert local.returncode == 0, local.stderr[-3000:]
    source, replace = s3_input
    with ImageServer() as server:
        done = finished(submit(packed_bundle, url, weft_args(source, tmp_path / "run", s3_endpoint, server, STAGES),
                               tmp_path, packed_bundle.main))
    assert done.returncode == 0, done.stderr[-3000:]
    assert "ingest   11 files, 1,200 in → 421 out (344 pages, 77 archived images)" in done.stdout
    assert {"pages", "docs", "docs_dedup", "images", "rejects", "warc_files"} <= set(tables_of(tmp_path / "run"))
    assert_same_tables(tmp_path / "run", reference, replace, STAGES)


def test_a_worker_lost_during_extract_changes_nothing(cluster, packed_bundle, bundled_run, s3_input, s3_endpoint,
                                                      tmp_path):
    url, workers, _ = cluster
    reference, _, _ = bundled_run
    source, replace = s3_input
    stages = ("ingest", "extract")

    def busy_worker_jvm() -> int | None:
        """A worker whose executor is running a task (its Python worker or the JVM itself busy)."""
        return next((w.pid for w in workers if w.poll() is None and busy(w.pid, lambda cmd, parent: True)), None)

    with ImageServer() as server:
        proc = submit(packed_bundle, url, weft_args(source, tmp_path / "run", s3_endpoint, server, stages), tmp_path,
                      packed_bundle.main)
        done, killed = kill_during(proc, ("extract",), busy_worker_jvm, watch="stdout")
    assert done.returncode == 0, done.stderr[-3000:]
    assert killed == ["extract"] and sum(w.poll() is not None for w in workers) == 1
    assert re.search(r"Lost (an )?executor|Executor lost|lost worker", done.stderr, re.I), done.stderr[-3000:]
    assert_same_tables(tmp_path / "run", reference, replace, stages)
