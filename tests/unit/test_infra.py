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

from jobs.registry import NAMES
from tests.conftest import REPO

INFRA = REPO / "infra"


def load(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def emr_request(*extra: str) -> dict:
    proc = subprocess.run([sys.executable, str(INFRA / "emr" / "submit.py"), "--bucket", "my-bucket",
                           "--manifest", "s3://my-bucket/m/2026-11-29.paths", "--output", "s3://my-bucket/runs/",
                           "--run-date", "2026-11-29", "--dry-run", *extra], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "BUCKET" not in proc.stdout and "RUN_DATE" not in proc.stdout and "MANIFEST" not in proc.stdout
    return json.loads(proc.stdout)["RunJobFlow"]


def gpu_mentions(value, where="") -> list[str]:
    """Paths of every string in a JSON document that names a GPU setting."""
    if isinstance(value, dict):
        return [m for k, v in value.items() for m in gpu_mentions(v, f"{where}/{k}") + gpu_mentions(k, f"{where}/{k}")]
    if isinstance(value, list):
        return [m for i, v in enumerate(value) for m in gpu_mentions(v, f"{where}[{i}]")]
    return [where] if isinstance(value, str) and "gpu" in value.lower() else []


@pytest.mark.parametrize("release", ["emr-7.8.0", "emr-spark-8.0.0"])
def test_emr_dry_run_prints_a_complete_request(release):
    body = emr_request("--release", release)
    assert {"Name", "LogUri", "ReleaseLabel", "Instances", "Applications", "BootstrapActions", "Configurations",
            "Steps", "JobFlowRole", "ServiceRole"} <= set(body)
    assert body["ReleaseLabel"] == release and body["LogUri"] == "s3://my-bucket/weft/logs/"
    for step in body["Steps"]:
        args = step["HadoopJarStep"]["Args"]
        assert args[:3] == ["spark-submit", "--deploy-mode", "cluster"]
        assert args[args.index("--py-files") + 1] == "s3://my-bucket/weft/weft-0.1.0.zip"
        assert args[args.index("--output") + 1] == "s3://my-bucket/runs" and args[args.index("--date") + 1] == "2026-11-29"
    stages = [s["HadoopJarStep"]["Args"][s["HadoopJarStep"]["Args"].index("--stages") + 1] for s in body["Steps"]]
    assert tuple(",".join(stages).split(",")) == NAMES  # every stage, in order
    first = body["Steps"][0]["HadoopJarStep"]["Args"]
    assert first[first.index("--input") + 1] == "s3://my-bucket/m/2026-11-29.paths"
    spark = next(c for c in body["Configurations"] if c["Classification"] == "spark-defaults")["Properties"]
    assert spark["spark.python.worker.reuse"] == "true" and spark["spark.executor.memoryOverhead"] == "10g"
    groups = {g["Name"]: g for g in body["Instances"]["InstanceGroups"]}
    plugins = {c["Classification"]: c["Properties"] for c in groups["gpu"]["Configurations"]}
    assert plugins["yarn-site"]["yarn.nodemanager.resource-plugins"] == "yarn.io/gpu"


@pytest.mark.parametrize("release", ["emr-7.8.0", "emr-spark-8.0.0"])
def test_emr_gpu_settings_only_where_gpus_are(release):
    """GPU NodeManager settings on the GPU group alone (a core node without nvidia-smi would fail
    its NodeManager); the ResourceManager on the primary node knows the resource type; only the
    steps that embed with CLIP ask for GPUs."""
    body = emr_request("--release", release)
    groups = body["Instances"]["InstanceGroups"]
    mentions = gpu_mentions({k: v for k, v in body.items() if k not in ("Instances", "Steps")})
    assert mentions == [], mentions  # nothing cluster-wide
    assert not gpu_mentions(next(g for g in groups if g["Name"] == "core"))
    primary = next(g for g in groups if g["Name"] == "primary")
    assert {p.rsplit("/", 1)[-1] for p in gpu_mentions(primary)} == {"yarn.resource-types"}
    for step in body["Steps"]:
        args = step["HadoopJarStep"]["Args"]
        stages = args[args.index("--stages") + 1].split(",")
        if "clip" not in stages:
            assert not gpu_mentions(args), args
        elif release.startswith("emr-7"):  # Spark 3.5: the GPU stages are an application on GPU executors
            assert stages == ["clip", "mmc4"] and "spark.executor.resource.gpu.amount=1" in args
        else:  # Spark 4: one application; clip's stage-level profile asks for the GPUs
            assert "--config" in args and not any("resource.gpu.amount" in a for a in args)
    assert len(body["Steps"]) == (3 if release.startswith("emr-7") else 1)


@pytest.mark.parametrize("script, needs", [("emr/bootstrap.sh", "--bundle"), ("dataproc/init.sh", "weft-bundle")])
def test_node_scripts_install_only_the_bundle_and_fail_loudly(script, needs):
    """Never `pip install weft` (another project's package has that name), no `|| true` hiding a
    failed step, a smoke test at the end; without a bundle the script stops saying so."""
    text = (INFRA / script).read_text()
    assert "pip install" not in text and "|| true" not in text
    assert "torch.cuda.is_available()" in text and "import jobs.pipeline" in text and "nvidia-smi" in text
    missing = subprocess.run(["bash", str(INFRA / script)], capture_output=True, text=True)
    assert missing.returncode == 2 and needs in missing.stderr, missing.stderr
    assert "/mnt/weft" in text if script.startswith("emr") else "gcsfs" in text  # room on EMR; gs:// on Dataproc


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
    properties = cluster["softwareConfig"]["properties"]
    assert properties["spark:spark.python.worker.reuse"] == "true"
    # GPU settings only where GPUs are: no NodeManager GPU plugin and no executor GPUs cluster-wide
    assert [k for k in properties if "gpu" in f"{k}={properties[k]}".lower()] == ["yarn:yarn.resource-types"]
    actions = [a["executableFile"] for a in cluster["initializationActions"]]
    assert actions == ["gs://goog-dataproc-initialization-actions-europe-west4/gpu/install_gpu_driver.sh",
                       "gs://bkt/weft/init.sh"]  # drivers (and YARN's GPU plugin on GPU nodes) first
    assert "BUCKET" not in "\n".join(lines[3:]) and "REGION" not in "\n".join(lines[4:])
    jobs = {job["stepId"]: job for job in template["jobs"]}
    assert list(jobs) == ["weft-cpu", "weft-gpu", "weft-after"]
    assert jobs["weft-gpu"]["prerequisiteStepIds"] == ["weft-cpu"] and jobs["weft-after"]["prerequisiteStepIds"] == [
        "weft-gpu"]
    for name, job in jobs.items():
        spark = job["pysparkJob"]
        assert spark["pythonFileUris"] == ["gs://bkt/weft/weft-0.1.0.zip"]
        gpus = spark.get("properties", {}).get("spark.executor.resource.gpu.amount")
        assert (gpus == "1") == (name == "weft-gpu")  # only the CLIP job's executors ask for GPUs
    stages = [j["pysparkJob"]["args"][j["pysparkJob"]["args"].index("--stages") + 1] for j in jobs.values()]
    assert tuple(",".join(stages).split(",")) == NAMES
    assert {p["name"] for p in template["parameters"]} == {"MANIFEST", "OUTPUT", "RUN_DATE"}
    for parameter in template["parameters"]:  # each field points at the flag's value
        for field in parameter["fields"]:
            step, index = field.split("'")[1], int(field.rsplit("[", 1)[1].rstrip("]"))
            flag = jobs[step]["pysparkJob"]["args"][index - 1]
            assert flag == {"MANIFEST": "--input", "OUTPUT": "--output", "RUN_DATE": "--date"}[parameter["name"]]
    missing = subprocess.run(["bash", str(INFRA / "dataproc" / "submit.sh"), "--dry-run"], capture_output=True,
                             text=True)
    assert missing.returncode == 2 and "--bucket is required" in missing.stderr


class FakeStore:
    def __init__(self):
        self.files: dict[str, bytes] = {}

    def read(self, uri):
        return self.files.get(uri)

    def write(self, uri, data):
        self.files[uri] = data


def test_airflow_dag_steps_without_airflow():
    """The DAG module's plain functions (tests/airflow_dag runs the DAG itself under Airflow)."""
    dag = load(INFRA / "airflow" / "weft_nightly.py", "weft_nightly")
    assert dag.dag is None  # Airflow is not installed here; the module still imports
    assert dag.newest_crawl([{"id": "CC-MAIN-2026-47"}, {"id": "CC-MAIN-2026-43"}]) == "CC-MAIN-2026-47"
    store = FakeStore()
    listing = gzip.compress(b"crawl-data/a.warc.gz\ncrawl-data/b.warc.gz\ncrawl-data/c.warc.gz\n")
    assert dag.plan_night(store, listing, "s3://s/done", "s3://s/night1", limit=2) == 2
    assert store.files["s3://s/night1"] == b"crawl-data/a.warc.gz\ncrawl-data/b.warc.gz\n"
    dag.record_night(store, "s3://s/done", "s3://s/night1")
    assert dag.plan_night(store, listing, "s3://s/done", "s3://s/night2", limit=5) == 1  # only c is new
    assert store.files["s3://s/night2"] == b"crawl-data/c.warc.gz\n"
    dag.record_night(store, "s3://s/done", "s3://s/night2")
    assert dag.plan_night(store, listing, "s3://s/done", "s3://s/night3", limit=5) == 0  # nothing new:
    assert "s3://s/night3" not in store.files  # no (empty) manifest
    for value in (None, "", "0", "-3", "all", "2.5"):  # the cap is required: never "every file"
        with pytest.raises(ValueError, match="WEFT_FILES_PER_NIGHT must be set to a positive whole number"):
            dag.files_per_night(value)
    assert dag.files_per_night(" 40 ") == 40
    good = {"balanced": True, "stages": {"ingest": {"output_rows": 5, "balanced": True},
                                         "extract": {"output_rows": 3, "balanced": True}}}
    assert dag.problems(good) == [] and dag.problems({**good, "run_date": "2026-11-29"}, "2026-11-29") == []
    assert dag.problems({**good, "run_date": "2026-11-28"}, "2026-11-29") == [
        "the latest run is of 2026-11-28, not of 2026-11-29"]
    bad = {"balanced": False, "stages": {"ingest": {"output_rows": 0, "balanced": False}}}
    assert dag.problems(bad) == ["counts do not reconcile: ingest", "stage ingest wrote no rows",
                                 "stage extract did not run"]


def test_airflow_dataproc_template_and_emr_cluster_without_airflow():
    """The inline workflow template carries each parameter's value where gcloud would put it; the
    EMR cluster the DAG creates is submit.py's, kept alive and without steps."""
    dag = load(INFRA / "airflow" / "weft_nightly.py", "weft_nightly")
    text = (INFRA / "dataproc" / "workflow.yaml").read_text()
    values = {"MANIFEST": "gs://bkt/m/2026-11-29.paths", "OUTPUT": "gs://bkt/weft", "RUN_DATE": "2026-11-29"}
    template = dag.workflow_template(text, "bkt", "europe-west4", values, job_s=3600)
    original = yaml.safe_load(text)
    assert "parameters" not in template and template["dagTimeout"] == "10800s"  # 3 jobs x 1 hour
    assert "BUCKET" not in json.dumps(template) and "REGION" not in json.dumps(template)
    jobs = {job["stepId"]: job["pysparkJob"]["args"] for job in template["jobs"]}
    for parameter in original["parameters"]:
        for field in parameter["fields"]:
            step, index = field.split("'")[1], int(field.rsplit("[", 1)[1].rstrip("]"))
            assert jobs[step][index] == values[parameter["name"]]
    assert sum(a == b for j in original["jobs"] for a, b in zip(j["pysparkJob"]["args"], jobs[j["stepId"]])) == \
        sum(len(j["pysparkJob"]["args"]) for j in original["jobs"]) - 7  # the 7 fields, nothing else
    assert dag.workflow_template(text, "b", "r", values, job_s=60)["dagTimeout"] == "600s"  # Dataproc's least

    submit = load(INFRA / "emr" / "submit.py", "weft_emr_submit")
    kept = submit.kept_cluster("bkt", "2026-11-29", "emr-spark-8.0.0")
    whole = submit.request("bkt", "s3://bkt/m.paths", "s3://bkt/weft", "2026-11-29", "emr-spark-8.0.0")
    assert kept["Instances"].pop("KeepJobFlowAliveWhenNoSteps") and kept.pop("AutoTerminationPolicy") == {
        "IdleTimeout": 3600}
    assert whole.pop("Steps") == submit.night_steps("bkt", "s3://bkt/m.paths", "s3://bkt/weft", "2026-11-29",
                                                   "emr-spark-8.0.0")
    whole["Instances"].pop("KeepJobFlowAliveWhenNoSteps")
    assert kept == whole
