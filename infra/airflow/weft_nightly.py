"""Airflow DAG for weft's nightly run, built from the Amazon and Google providers' operators.

A night: ``plan_night`` lists the newest crawl's WARC paths not processed yet and writes at most
WEFT_FILES_PER_NIGHT of them as the night's manifest. With nothing new it short-circuits: every
task after it is skipped, the cluster's too, and the run ends successful without a cluster (an
empty manifest fails weft by design). Then the platform runs weft on the manifest,
``check_stats`` reads the output root's ``_stats/summary.json`` (``problems``), and
``record_night`` adds the night's paths to the state file, only after a good run. One night at a
time (max_active_runs=1), no catch-up.

EMR (WEFT_PLATFORM=emr): create the cluster (infra/emr/submit.py's request without steps, kept
alive), add submit.py's steps for WEFT_EMR_RELEASE, one EmrStepSensor per step (a failed or
cancelled step fails the run), and terminate the cluster as the teardown of its creation: it runs
whenever the cluster was created, whatever happened after (a failed step, a sensor past its time
limit), is skipped with the rest on a night with nothing new, and a failed termination fails the
run. A run past dagrun_timeout is ended by the scheduler without its teardown, so the sensors'
limits (WEFT_STEP_HOURS each) add up to less than dagrun_timeout; and the cluster's
AutoTerminationPolicy ends it after an idle hour should Airflow itself be gone.

Dataproc (WEFT_PLATFORM=dataproc): one DataprocInstantiateInlineWorkflowTemplateOperator running
infra/dataproc/workflow.yaml, BUCKET and REGION replaced as submit.sh does and the MANIFEST, OUTPUT
and RUN_DATE parameters written into their fields (an inline template takes no parameter values).
Chosen over create/submit/delete operators because the managed cluster is Dataproc's to delete
when the workflow ends, fails or passes the template's dagTimeout, even with Airflow gone: nothing
here has to remember a cluster. The Google provider is imported only for this platform.

Settings are Airflow Variables, else environment variables of the same name. Read when the DAG is
parsed: WEFT_PLATFORM (emr | dataproc; emr), WEFT_BUCKET (required), WEFT_OUTPUT (the output
root every night writes its run_date partitions to; s3:// or gs://BUCKET/weft), WEFT_STATE (the
WARC paths processed so far; OUTPUT/state/done.paths), WEFT_EMR_RELEASE (emr-7.8.0 |
emr-spark-8.0.0), WEFT_REGION (EMR: the connection's by default; Dataproc: required),
WEFT_PROJECT (Dataproc; the connection's by default), WEFT_AWS_CONN / WEFT_GCP_CONN (aws_default /
google_cloud_default), WEFT_STEP_HOURS (how long one step or job may take; 8), WEFT_POKE_SECONDS
(between looks at a step; 300), WEFT_ALERT_EMAIL (mailed when a run fails; nobody by default).
Read by plan_night each night: WEFT_FILES_PER_NIGHT (required: a positive whole number),
WEFT_CC_INDEX (CommonCrawl's collinfo.json), WEFT_CC_DATA (where crawl-data/<crawl>/warc.paths.gz
lies).

The plain functions need no Airflow (tests/unit/test_infra.py); the DAG runs under Airflow against
moto's EMR in tests/airflow_dag (.ci/airflow.sh). Without Airflow installed, ``dag`` is None.
"""
from __future__ import annotations

import datetime as dt
import gzip
import importlib.util
import json
import os
import re
import urllib.request
from pathlib import Path
from typing import Protocol

INFRA = Path(__file__).resolve().parents[1]
DAG_ID = "weft_nightly"
CC_INDEX = "https://index.commoncrawl.org/collinfo.json"
CC_DATA = "https://data.commoncrawl.org"


def newest_crawl(collinfo: list[dict]) -> str:
    """The id of the newest crawl in CommonCrawl's collinfo.json (listed newest first)."""
    crawls = [c["id"] for c in collinfo if c.get("id", "").startswith("CC-MAIN-")]
    if not crawls:
        raise ValueError("collinfo lists no CC-MAIN crawl")
    return crawls[0]


def new_paths(listed: list[str], done: set[str], limit: int | None = None) -> list[str]:
    """The crawl's WARC paths not processed yet, in listing order (at most ``limit``)."""
    fresh = [p.strip() for p in listed if p.strip() and p.strip() not in done]
    return fresh[:limit] if limit else fresh


def files_per_night(value) -> int:
    """WEFT_FILES_PER_NIGHT as a positive whole number. Missing or not one is an error, never
    "every file": a crawl lists ~90,000 WARC files, far more than a night's cluster can take."""
    try:
        count = int(str(value).strip()) if value is not None else 0
    except ValueError:
        count = 0
    if count <= 0:
        raise ValueError(f"WEFT_FILES_PER_NIGHT must be set to a positive whole number (the WARC files one night "
                         f"processes), not {value!r}")
    return count


def problems(summary: dict, run_date: str | None = None) -> list[str]:
    """What is wrong with a finished run of the night ``run_date``, from the output root's
    ``_stats/summary.json`` (the latest run's); [] when all is well."""
    found = []
    if run_date and summary.get("run_date") != run_date:
        found.append(f"the latest run is of {summary.get('run_date')}, not of {run_date}")
    if not summary.get("balanced", False):
        found.append("counts do not reconcile: " + ", ".join(
            s for s, v in summary.get("stages", {}).items() if v.get("balanced") is False))
    stages = summary.get("stages", {})
    for stage in ("ingest", "extract"):
        if stage not in stages:
            found.append(f"stage {stage} did not run")
        elif not stages[stage].get("output_rows"):
            found.append(f"stage {stage} wrote no rows")
    return found


class Store(Protocol):
    """Where the manifests, the state file and the run's stats lie (S3 or GCS)."""

    def read(self, uri: str) -> bytes | None:
        """The object's bytes; None when there is no such object."""

    def write(self, uri: str, data: bytes) -> None: ...


def plan_night(store: Store, listing: bytes, state_uri: str, manifest_uri: str, limit: int) -> int:
    """Write the night's manifest (new paths of the crawl's warc.paths[.gz] listing, at most
    ``limit``); how many. Nothing new: no manifest, 0."""
    text = gzip.decompress(listing) if listing[:2] == b"\x1f\x8b" else listing
    done = store.read(state_uri)  # None on the first night
    fresh = new_paths(text.decode().splitlines(), set(done.decode().splitlines()) if done else set(), limit)
    if fresh:
        store.write(manifest_uri, ("\n".join(fresh) + "\n").encode())
    return len(fresh)


def record_night(store: Store, state_uri: str, manifest_uri: str) -> None:
    """After a good run: the night's paths join the processed list."""
    done = (store.read(state_uri) or b"").decode().splitlines()
    night = store.read(manifest_uri)
    if night is None:
        raise FileNotFoundError(f"the night's manifest {manifest_uri} is gone")
    paths = set(done) | set(night.decode().splitlines())
    store.write(state_uri, ("\n".join(sorted(p for p in paths if p)) + "\n").encode())


def set_field(template: dict, field: str, value: str) -> None:
    """Set one of a Dataproc template parameter's fields, e.g. ``jobs['weft-cpu'].pysparkJob.args[1]``
    (``jobs['ID']``: the job whose stepId is ID)."""
    node, parts = template, re.findall(r"\['([^']+)'\]|\[(\d+)\]|\.?(\w+)", field)
    *path, (_, last_index, last_name) = parts
    for step, index, name in path:
        node = next(j for j in node if j["stepId"] == step) if step else node[int(index)] if index else node[name]
    node[int(last_index) if last_index else last_name] = value


def workflow_template(text: str, bucket: str, region: str, values: dict[str, str], job_s: int) -> dict:
    """infra/dataproc/workflow.yaml as an inline template: BUCKET and REGION replaced as submit.sh
    does, each parameter's value written into its fields (an inline template takes no parameter
    values), and Dataproc's limit on the whole workflow: ``job_s`` per job (within Dataproc's
    10 minutes to 24 hours)."""
    import yaml

    template = yaml.safe_load(text.replace("BUCKET", bucket).replace("REGION", region))
    for parameter in template.pop("parameters", []):
        for field in parameter["fields"]:
            set_field(template, field, values[parameter["name"]])
    template["dagTimeout"] = f"{min(max(len(template['jobs']) * job_s, 600), 24 * 3600)}s"
    return template


def setting(name: str, default: str | None = None) -> str | None:
    """The Airflow Variable ``name``, else the environment variable ``name``, else ``default``."""
    value = None
    if importlib.util.find_spec("airflow") is not None:
        from airflow.sdk import Variable

        value = Variable.get(name, default=None)
    return value if value is not None else os.environ.get(name, default)


def required(name: str) -> str:
    value = setting(name)
    if not value:
        raise ValueError(f"the setting {name} is required (an Airflow Variable or an environment variable)")
    return value


def fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=120) as answer:
        return answer.read()


def split(uri: str) -> tuple[str, str]:
    """s3://bucket/key or gs://bucket/name: (bucket, key)."""
    bucket, _, key = uri.split("://", 1)[1].partition("/")
    return bucket, key


class S3Store:
    def __init__(self, conn_id: str, region: str | None):
        from airflow.providers.amazon.aws.hooks.s3 import S3Hook

        self.hook = S3Hook(aws_conn_id=conn_id, region_name=region)

    def read(self, uri: str) -> bytes | None:
        bucket, key = split(uri)
        return self.hook.get_key(key, bucket).get()["Body"].read() if self.hook.check_for_key(key, bucket) else None

    def write(self, uri: str, data: bytes) -> None:
        bucket, key = split(uri)
        self.hook.load_bytes(data, key, bucket, replace=True)


class GcsStore:
    def __init__(self, conn_id: str):
        from airflow.providers.google.cloud.hooks.gcs import GCSHook

        self.hook = GCSHook(gcp_conn_id=conn_id)

    def read(self, uri: str) -> bytes | None:
        bucket, name = split(uri)
        return self.hook.download(bucket, name) if self.hook.exists(bucket, name) else None

    def write(self, uri: str, data: bytes) -> None:
        bucket, name = split(uri)
        self.hook.upload(bucket, name, data=data)


def build_dag():
    """The DAG for the platform the settings name (Airflow imported here only)."""
    from airflow.providers.standard.operators.python import PythonOperator, ShortCircuitOperator
    from airflow.sdk import DAG
    from airflow.sdk.exceptions import AirflowFailException

    platform = setting("WEFT_PLATFORM", "emr")
    if platform not in ("emr", "dataproc"):
        raise ValueError(f"WEFT_PLATFORM is emr or dataproc, not {platform!r}")
    bucket, region = required("WEFT_BUCKET"), setting("WEFT_REGION")
    output = setting("WEFT_OUTPUT", f"{'s3' if platform == 'emr' else 'gs'}://{bucket}/weft").rstrip("/")
    state = setting("WEFT_STATE", f"{output}/state/done.paths")
    step_s = int(float(setting("WEFT_STEP_HOURS", "8")) * 3600)
    aws_conn, gcp_conn = setting("WEFT_AWS_CONN", "aws_default"), setting("WEFT_GCP_CONN", "google_cloud_default")

    def manifest(ds: str) -> str:
        return f"{output}/manifests/{ds}.paths"

    def store() -> Store:
        return S3Store(aws_conn, region) if platform == "emr" else GcsStore(gcp_conn)

    def plan(ds: str, **_) -> int:
        try:
            limit = files_per_night(setting("WEFT_FILES_PER_NIGHT"))
        except ValueError as error:  # a setting to fix: failed at once, not retried
            raise AirflowFailException(str(error)) from error
        crawl = newest_crawl(json.loads(fetch(setting("WEFT_CC_INDEX", CC_INDEX))))
        listing = fetch(f"{setting('WEFT_CC_DATA', CC_DATA).rstrip('/')}/crawl-data/{crawl}/warc.paths.gz")
        return plan_night(store(), listing, state, manifest(ds), limit)

    def check(ds: str, **_) -> None:
        summary = store().read(f"{output}/_stats/summary.json")
        wrong = problems(json.loads(summary), ds) if summary else [f"{output}/_stats/summary.json is missing"]
        if wrong:
            raise RuntimeError("; ".join(wrong))

    def record(ds: str, **_) -> None:
        record_night(store(), state, manifest(ds))

    if platform == "emr":
        submit = load_submit()
        release = setting("WEFT_EMR_RELEASE", "emr-7.8.0")
        if release not in submit.RELEASES:
            raise ValueError(f"WEFT_EMR_RELEASE is one of {sorted(submit.RELEASES)}, not {release!r}")
        cluster = submit.kept_cluster(bucket, "{{ ds }}", release)
        work = submit.night_steps(bucket, manifest("{{ ds }}"), output, "{{ ds }}", release)
    else:
        if not region:
            raise ValueError("the setting WEFT_REGION is required on Dataproc")
        work = workflow_template((INFRA / "dataproc" / "workflow.yaml").read_text(), bucket, region,
                                 {"MANIFEST": manifest("{{ ds }}"), "OUTPUT": output, "RUN_DATE": "{{ ds }}"}, step_s)
    run_timeout = dt.timedelta(seconds=len(work["jobs"] if platform == "dataproc" else work) * step_s + 3600)
    alerts = None
    if setting("WEFT_ALERT_EMAIL"):
        from airflow.providers.smtp.notifications.smtp import SmtpNotifier

        alerts = [SmtpNotifier(to=setting("WEFT_ALERT_EMAIL"), subject="weft nightly failed: {{ dag_run.run_id }}")]
    # past every step's limit: a run that the scheduler times out ends without its teardown
    with DAG(DAG_ID, schedule="0 2 * * *", start_date=dt.datetime(2026, 1, 1), catchup=False, max_active_runs=1,
             dagrun_timeout=run_timeout + dt.timedelta(hours=1), on_failure_callback=alerts,
             default_args={"retries": 0}, tags=["weft"]) as dag:
        plan_task = ShortCircuitOperator(task_id="plan_night", python_callable=plan, retries=2,
                                         retry_delay=dt.timedelta(minutes=5))
        if platform == "emr":
            poke_s = float(setting("WEFT_POKE_SECONDS", "300"))
            ran = emr_tasks(plan_task, cluster, work, aws_conn, region, step_s, poke_s)
        else:
            ran = plan_task >> dataproc_task(work, region, setting("WEFT_PROJECT"), gcp_conn, run_timeout)
        ran >> PythonOperator(task_id="check_stats", python_callable=check) >> PythonOperator(
            task_id="record_night", python_callable=record, retries=2)
    return dag


def load_submit():
    """infra/emr/submit.py (the cluster request and the steps), imported by its path."""
    spec = importlib.util.spec_from_file_location("weft_emr_submit", INFRA / "emr" / "submit.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def emr_tasks(plan, cluster: dict, steps: list[dict], conn: str, region: str | None, step_s: int, poke_s: float):
    """plan >> create the cluster >> add the steps >> one sensor per step; the cluster's
    termination is the teardown of its creation. Returns the last sensor."""
    from airflow.providers.amazon.aws.operators.emr import (
        EmrAddStepsOperator,
        EmrCreateJobFlowOperator,
        EmrTerminateJobFlowOperator,
    )
    from airflow.providers.amazon.aws.sensors.emr import EmrStepSensor

    aws = {"aws_conn_id": conn, "region_name": region}
    create = EmrCreateJobFlowOperator(task_id="create_cluster", job_flow_overrides=cluster, emr_conn_id=None, **aws)
    last = plan >> create >> EmrAddStepsOperator(task_id="add_steps", job_flow_id=create.output, steps=steps, **aws)
    for i, step in enumerate(steps):
        args = step["HadoopJarStep"]["Args"]
        stages = args[args.index("--stages") + 1].split(",")
        last = last >> EmrStepSensor(
            task_id=f"wait_{stages[0]}_to_{stages[-1]}", job_flow_id=create.output,
            step_id=f"{{{{ ti.xcom_pull(task_ids='add_steps')[{i}] }}}}", mode="reschedule", poke_interval=poke_s,
            timeout=step_s, **aws)
    terminate = EmrTerminateJobFlowOperator(task_id="terminate_cluster", job_flow_id=create.output, retries=3,
                                            retry_delay=dt.timedelta(minutes=1), **aws)
    last >> terminate.as_teardown(setups=create, on_failure_fail_dagrun=True)
    return last


def dataproc_task(template: dict, region: str, project: str | None, conn: str, timeout: dt.timedelta):
    """The workflow, its managed cluster deleted by Dataproc when it ends."""
    from airflow.providers.google.cloud.operators.dataproc import DataprocInstantiateInlineWorkflowTemplateOperator
    from google.cloud.dataproc_v1 import WorkflowTemplate

    # the API's field names (the YAML has the REST API's camelCase ones), checked against its schema
    template = WorkflowTemplate.to_dict(WorkflowTemplate.from_json(json.dumps(template)),
                                        always_print_fields_with_no_presence=False)
    return DataprocInstantiateInlineWorkflowTemplateOperator(
        task_id="run_workflow", template=template, region=region, project_id=project, gcp_conn_id=conn,
        execution_timeout=timeout)


# Airflow's DAG discovery imports this file and looks for ``dag``
dag = build_dag() if importlib.util.find_spec("airflow") is not None else None
