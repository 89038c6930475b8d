"""infra/: the EMR and Dataproc scripts' --dry-run output, the node scripts' syntax, and the
Airflow DAG's steps (Airflow is not installed here: the DAG module is checked as plain Python,
its steps through a fake platform)."""
import gzip
import importlib.util
import json
import subprocess
import sys

import pytest
import yaml

from tests.conftest import REPO

INFRA = REPO / "infra"


def load(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_emr_dry_run_prints_a_complete_request():
    proc = subprocess.run([sys.executable, str(INFRA / "emr" / "submit.py"), "--bucket", "my-bucket",
                           "--manifest", "s3://my-bucket/m/2026-11-29.paths", "--output", "s3://my-bucket/runs/",
                           "--run-date", "2026-11-29", "--dry-run"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    body = json.loads(proc.stdout)["RunJobFlow"]
    assert "BUCKET" not in proc.stdout and "RUN_DATE" not in proc.stdout and "MANIFEST" not in proc.stdout
    assert {"Name", "ReleaseLabel", "Instances", "Applications", "BootstrapActions", "Configurations", "Steps",
            "JobFlowRole", "ServiceRole"} <= set(body)
    args = body["Steps"][0]["HadoopJarStep"]["Args"]
    assert args[:3] == ["spark-submit", "--deploy-mode", "cluster"]
    assert args[args.index("--py-files") + 1] == "s3://my-bucket/weft/weft-0.1.0.zip"
    assert args[args.index("--output") + 1] == "s3://my-bucket/runs" and args[args.index("--date") + 1] == "2026-11-29"
    spark = next(c for c in body["Configurations"] if c["Classification"] == "spark-defaults")["Properties"]
    assert spark["spark.python.worker.reuse"] == "true" and "gpu" in spark["spark.executor.resource.gpu.discoveryScript"].lower()
    yarn = next(c for c in body["Configurations"] if c["Classification"] == "yarn-site")["Properties"]
    assert yarn["yarn.resource-types"] == "yarn.io/gpu"
    assert any(g["InstanceRole"] == "TASK" for g in body["Instances"]["InstanceGroups"])


def test_emr_rejects_a_bad_date():
    proc = subprocess.run([sys.executable, str(INFRA / "emr" / "submit.py"), "--bucket", "b", "--manifest", "m",
                           "--output", "o", "--run-date", "29/11/2026", "--dry-run"], capture_output=True, text=True)
    assert proc.returncode != 0 and "Invalid isoformat" in proc.stderr


@pytest.mark.parametrize("script", ["emr/bootstrap.sh", "dataproc/init.sh", "dataproc/submit.sh"])
def test_node_scripts_parse(script):
    assert subprocess.run(["bash", "-n", str(INFRA / script)], capture_output=True).returncode == 0


def test_dataproc_dry_run_prints_the_commands_and_a_valid_template():
    proc = subprocess.run(["bash", str(INFRA / "dataproc" / "submit.sh"), "--bucket", "bkt", "--region", "europe-west4",
                           "--manifest", "gs://bkt/m.paths", "--output", "gs://bkt/runs", "--run-date", "2026-11-29",
                           "--dry-run"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("gsutil cp ") and lines[1].startswith("gcloud dataproc workflow-templates "
                                                                       "instantiate-from-file")
    assert "RUN_DATE=2026-11-29" in lines[1] and "OUTPUT=gs://bkt/runs\\," in lines[1]  # one root for every night
    template = yaml.safe_load("\n".join(lines[3:]))
    cluster = template["placement"]["managedCluster"]["config"]
    assert cluster["secondaryWorkerConfig"]["accelerators"][0]["acceleratorCount"] == 1
    assert cluster["softwareConfig"]["properties"]["spark:spark.python.worker.reuse"] == "true"
    job = template["jobs"][0]["pysparkJob"]
    assert job["pythonFileUris"] == ["gs://bkt/weft/weft-0.1.0.zip"] and "BUCKET" not in "\n".join(lines[3:])
    assert {p["name"] for p in template["parameters"]} == {"MANIFEST", "OUTPUT", "RUN_DATE"}
    assert [job["args"][i] for i in (0, 2, 6)] == ["--input", "--output", "--date"]  # the parameters' fields
    missing = subprocess.run(["bash", str(INFRA / "dataproc" / "submit.sh"), "--dry-run"], capture_output=True,
                             text=True)
    assert missing.returncode == 2 and "--bucket is required" in missing.stderr


class FakePlatform:
    def __init__(self):
        self.files: dict[str, bytes] = {}

    def read(self, uri):
        return self.files[uri]

    def write(self, uri, data):
        self.files[uri] = data

    def submit(self, manifest, output, run_date):
        return "j-1"

    def finished(self, job):
        return True


def test_airflow_dag_steps_without_airflow():
    dag = load(INFRA / "airflow" / "weft_nightly.py", "weft_nightly")
    assert dag.dag is None  # Airflow is not installed here; the module still imports
    assert dag.newest_crawl([{"id": "CC-MAIN-2026-47"}, {"id": "CC-MAIN-2026-43"}]) == "CC-MAIN-2026-47"
    platform = FakePlatform()
    listing = gzip.compress(b"crawl-data/a.warc.gz\ncrawl-data/b.warc.gz\ncrawl-data/c.warc.gz\n")
    assert dag.plan_night(platform, listing, "s3://s/done", "s3://s/night1", limit=2) == 2
    assert platform.files["s3://s/night1"] == b"crawl-data/a.warc.gz\ncrawl-data/b.warc.gz\n"
    dag.record_night(platform, "s3://s/done", "s3://s/night1")
    assert dag.plan_night(platform, listing, "s3://s/done", "s3://s/night2", limit=None) == 1  # only c is new
    assert platform.files["s3://s/night2"] == b"crawl-data/c.warc.gz\n"
    good = {"balanced": True, "stages": {"ingest": {"output_rows": 5, "balanced": True},
                                         "extract": {"output_rows": 3, "balanced": True}}}
    assert dag.problems(good) == [] and dag.problems({**good, "run_date": "2026-11-29"}, "2026-11-29") == []
    assert dag.problems({**good, "run_date": "2026-11-28"}, "2026-11-29") == [
        "the latest run is of 2026-11-28, not of 2026-11-29"]
    bad = {"balanced": False, "stages": {"ingest": {"output_rows": 0, "balanced": False}}}
    assert dag.problems(bad) == ["counts do not reconcile: ingest", "stage ingest wrote no rows",
                                 "stage extract did not run"]
