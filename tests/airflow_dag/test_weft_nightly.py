"""infra/airflow/weft_nightly.py run by Airflow itself (dag.test()) against moto's EMR and S3 on
127.0.0.1: a night end to end, a night with nothing new, a failed step, a step past its time
limit, a bad summary, a missing file cap; and the Dataproc DAG's inline workflow template."""
from __future__ import annotations

import contextlib
import datetime as dt
import importlib.util
import json

import pytest

pytest.importorskip("airflow", reason="Airflow runs in .venv-airflow (.ci/airflow.sh)")

from tests.airflow_dag.nightly_world import GOOD_SUMMARY, LISTED, EmrRunner
from tests.conftest import REPO

DAG_FILE = REPO / "infra" / "airflow" / "weft_nightly.py"
BUCKET = "weft-nightly-test"
STATE_KEY, ROOT = "weft/state/done.paths", f"s3://{BUCKET}/weft"


def load(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def night(airflow_db, aws, crawl_server, monkeypatch):
    """Settings for a night on EMR (environment variables; the file cap also as an Airflow
    Variable, which wins), the bucket with a state file that lists LISTED[0] as done, and
    ``run(date, runner)``: the DAG parsed anew and run by Airflow for that night while ``runner``
    plays EMR; returns the DagRun's state and its tasks' states."""
    from airflow.models import Variable

    aws["s3"].create_bucket(Bucket=BUCKET)
    aws["s3"].put_object(Bucket=BUCKET, Key=STATE_KEY, Body=(LISTED[0] + "\n").encode())
    for name, value in {"WEFT_PLATFORM": "emr", "WEFT_BUCKET": BUCKET, "WEFT_FILES_PER_NIGHT": "1",
                        "WEFT_CC_INDEX": f"{crawl_server}/collinfo.json", "WEFT_CC_DATA": crawl_server,
                        "WEFT_POKE_SECONDS": "1"}.items():
        monkeypatch.setenv(name, value)
    Variable.set("WEFT_FILES_PER_NIGHT", "3")

    def run(date: str, runner: EmrRunner | None = None):
        from airflow.models import TaskInstance
        from airflow.utils.session import create_session

        dag = load(DAG_FILE, f"weft_nightly_{date.replace('-', '_')}").dag
        when = dt.datetime.fromisoformat(date).replace(hour=2, tzinfo=dt.timezone.utc)
        with runner or contextlib.nullcontext():
            run = dag.test(logical_date=when)
        with create_session() as session:
            tis = session.query(TaskInstance).filter_by(dag_id=dag.dag_id, run_id=run.run_id).all()
            return str(run.state), {ti.task_id: str(ti.state) for ti in tis}

    yield run
    Variable.delete("WEFT_FILES_PER_NIGHT")


def read(s3, key: str) -> str | None:
    try:
        return s3.get_object(Bucket=BUCKET, Key=key)["Body"].read().decode()
    except s3.exceptions.NoSuchKey:
        return None


def clusters(emr) -> list[dict]:
    return [emr.describe_cluster(ClusterId=c["Id"])["Cluster"] for c in emr.list_clusters()["Clusters"]]


@pytest.mark.parametrize("release, waits", [
    ("emr-7.8.0", ["wait_ingest_to_images", "wait_clip_to_mmc4", "wait_curate_to_report"]),
    ("emr-spark-8.0.0", ["wait_ingest_to_report"]),
])
def test_a_night_on_emr_end_to_end(night, aws, emr_requests, monkeypatch, release, waits):
    """The night's manifest holds the capped new paths; the cluster is submit.py's, with its steps
    for the release reading that manifest; it is terminated; the night joins the state file."""
    submit = load(REPO / "infra" / "emr" / "submit.py", "weft_emr_submit_test")
    monkeypatch.setenv("WEFT_EMR_RELEASE", release)
    state, tasks = night("2026-11-29", EmrRunner(aws["s3"]))
    assert state == "success", tasks
    assert tasks == dict.fromkeys(["plan_night", "create_cluster", "add_steps", *waits, "terminate_cluster",
                                   "check_stats", "record_night"], "success")
    manifest = f"{ROOT}/manifests/2026-11-29.paths"
    assert read(aws["s3"], "weft/manifests/2026-11-29.paths") == "\n".join(LISTED[1:4]) + "\n"  # cap 3, [0] done

    # what Airflow sent is submit.py's cluster (kept alive) and steps for the release and the night
    wanted = submit.kept_cluster(BUCKET, "2026-11-29", release)
    assert emr_requests["RunJobFlow"] == [wanted]
    assert wanted["Instances"]["KeepJobFlowAliveWhenNoSteps"] is True and "Steps" not in wanted
    expected = submit.night_steps(BUCKET, manifest, ROOT, "2026-11-29", release)
    [added] = emr_requests["AddJobFlowSteps"]
    assert added["Steps"] == expected and len(expected) == len(waits)
    first = expected[0]["HadoopJarStep"]["Args"]
    assert first[first.index("--input") + 1] == manifest

    # and what moto's EMR holds
    [cluster] = clusters(aws["emr"])
    assert added["JobFlowId"] == cluster["Id"]
    assert emr_requests["TerminateJobFlows"] == [{"JobFlowIds": [cluster["Id"]]}]
    assert cluster["Name"] == "weft-nightly-2026-11-29" and cluster["ReleaseLabel"] == release
    assert cluster["Status"]["State"] == "TERMINATED" and cluster["AutoTerminate"] is False  # kept alive, then ended
    groups = aws["emr"].list_instance_groups(ClusterId=cluster["Id"])["InstanceGroups"]
    assert sorted((g["Name"], g["InstanceGroupType"], g["InstanceType"], g["RequestedInstanceCount"]) for g in groups) \
        == sorted((g["Name"], g["InstanceRole"], g["InstanceType"], g["InstanceCount"])
                  for g in wanted["Instances"]["InstanceGroups"])
    steps = aws["emr"].list_steps(ClusterId=cluster["Id"])["Steps"]
    assert sorted((s["Name"], s["Config"]["Args"], s["Status"]["State"]) for s in steps) == sorted(
        (s["Name"], s["HadoopJarStep"]["Args"], "COMPLETED") for s in expected)

    assert read(aws["s3"], STATE_KEY).splitlines() == sorted(LISTED[:4])


def test_a_night_with_nothing_new_is_skipped(night, aws):
    aws["s3"].put_object(Bucket=BUCKET, Key=STATE_KEY, Body=("\n".join(LISTED) + "\n").encode())
    state, tasks = night("2026-11-30")
    assert state == "success", tasks
    assert tasks.pop("plan_night") == "success"
    assert tasks == dict.fromkeys(["create_cluster", "add_steps", "wait_ingest_to_images", "wait_clip_to_mmc4",
                                   "wait_curate_to_report", "terminate_cluster", "check_stats", "record_night"],
                                  "skipped")
    assert aws["emr"].list_clusters()["Clusters"] == []
    assert read(aws["s3"], "weft/manifests/2026-11-30.paths") is None
    assert read(aws["s3"], STATE_KEY) == "\n".join(LISTED) + "\n"


def test_a_failed_step_fails_the_night_and_ends_the_cluster(night, aws):
    state, tasks = night("2026-12-01", EmrRunner(aws["s3"], fail_at=1))  # the GPU step
    assert state == "failed", tasks
    assert tasks["wait_ingest_to_images"] == "success" and tasks["wait_clip_to_mmc4"] == "failed"
    assert tasks["wait_curate_to_report"] == tasks["check_stats"] == tasks["record_night"] == "upstream_failed"
    assert tasks["terminate_cluster"] == "success"
    [cluster] = clusters(aws["emr"])
    assert cluster["Status"]["State"] == "TERMINATED"
    assert read(aws["s3"], STATE_KEY) == LISTED[0] + "\n"  # the night is not recorded


def test_a_step_past_its_time_limit_fails_the_night_and_ends_the_cluster(night, aws, monkeypatch):
    monkeypatch.setenv("WEFT_STEP_HOURS", "0.001")  # 3.6 s a step
    state, tasks = night("2026-12-02", EmrRunner(aws["s3"], hang=True))
    assert state == "failed", tasks
    assert tasks["wait_ingest_to_images"] == "failed" and tasks["terminate_cluster"] == "success"
    assert tasks["record_night"] == "upstream_failed"
    [cluster] = clusters(aws["emr"])
    assert cluster["Status"]["State"] == "TERMINATED"
    steps = aws["emr"].list_steps(ClusterId=cluster["Id"])["Steps"]
    assert {s["Status"]["State"] for s in steps} <= {"RUNNING", "PENDING"}  # it did hang


def test_a_run_whose_summary_has_problems_is_not_recorded(night, aws):
    bad = {**GOOD_SUMMARY, "stages": {"ingest": {"output_rows": 0, "balanced": True}}}
    state, tasks = night("2026-12-03", EmrRunner(aws["s3"], summary=bad))
    assert state == "failed", tasks
    assert tasks["wait_curate_to_report"] == "success" and tasks["check_stats"] == "failed"
    assert tasks["record_night"] == "upstream_failed" and tasks["terminate_cluster"] == "success"
    assert read(aws["s3"], STATE_KEY) == LISTED[0] + "\n"


def test_a_missing_file_cap_is_an_error_before_any_cluster(night, aws, monkeypatch, capfd):
    from airflow.models import Variable

    Variable.delete("WEFT_FILES_PER_NIGHT")
    monkeypatch.delenv("WEFT_FILES_PER_NIGHT")
    state, tasks = night("2026-12-04")
    assert state == "failed" and tasks["plan_night"] == "failed", tasks
    assert "WEFT_FILES_PER_NIGHT must be set to a positive whole number" in "".join(capfd.readouterr())
    assert aws["emr"].list_clusters()["Clusters"] == []
    assert read(aws["s3"], "weft/manifests/2026-12-04.paths") is None


def test_the_emr_dag_runs_one_night_at_a_time_and_times_out_after_its_steps(monkeypatch):
    """max_active_runs=1, no catch-up; sensors that reschedule, each with its limit, which add up
    to less than dagrun_timeout (a run the scheduler times out skips its teardown); the cluster's
    termination is a teardown whose failure fails the run."""
    monkeypatch.setenv("WEFT_BUCKET", "b")
    monkeypatch.setenv("WEFT_STEP_HOURS", "2")
    dag = load(DAG_FILE, "weft_nightly_shape").dag
    assert dag.max_active_runs == 1 and dag.catchup is False and dag.schedule == "0 2 * * *"
    sensors = [t for t in dag.tasks if t.task_id.startswith("wait_")]
    assert len(sensors) == 3 and all(s.mode == "reschedule" and s.timeout == 2 * 3600 for s in sensors)
    assert dag.dagrun_timeout.total_seconds() > sum(s.timeout for s in sensors) + 3600
    terminate = dag.get_task("terminate_cluster")
    assert terminate.is_teardown and terminate.on_failure_fail_dagrun
    assert terminate.trigger_rule == "all_done_setup_success"
    assert terminate.upstream_task_ids == {"create_cluster", "wait_curate_to_report"}
    assert dag.get_task("check_stats").upstream_task_ids == {"wait_curate_to_report"}


def test_the_dataproc_dag_runs_the_inline_workflow_template(monkeypatch):
    """WEFT_PLATFORM=dataproc: one inline workflow (its managed cluster is Dataproc's to delete)
    with workflow.yaml's three jobs and the night's manifest, output root and date; no call to
    Google (the template is rendered for a night, and checked against Dataproc's API message)."""
    pytest.importorskip("airflow.providers.google", reason="the Google provider is not installed")
    from google.cloud.dataproc_v1 import WorkflowTemplate

    for name, value in {"WEFT_PLATFORM": "dataproc", "WEFT_BUCKET": "bkt", "WEFT_REGION": "europe-west4",
                        "WEFT_PROJECT": "weft-prod"}.items():
        monkeypatch.setenv(name, value)
    dag = load(DAG_FILE, "weft_nightly_dataproc").dag
    assert set(dag.task_ids) == {"plan_night", "run_workflow", "check_stats", "record_night"}
    assert dag.max_active_runs == 1 and dag.catchup is False
    task = dag.get_task("run_workflow")
    assert task.region == "europe-west4" and task.project_id == "weft-prod"
    assert task.upstream_task_ids == {"plan_night"} and task.downstream_task_ids == {"check_stats"}
    template = task.render_template(task.template, {"ds": "2026-11-29"})
    text = json.dumps(template)
    assert "BUCKET" not in text and "REGION" not in text and "{{" not in text and "parameters" not in template
    jobs = {job["step_id"]: job["pyspark_job"]["args"] for job in template["jobs"]}
    assert list(jobs) == ["weft-cpu", "weft-gpu", "weft-after"]
    assert jobs["weft-cpu"][:2] == ["--input", "gs://bkt/weft/manifests/2026-11-29.paths"]
    for args in jobs.values():
        assert args[args.index("--output") + 1] == "gs://bkt/weft" and args[args.index("--date") + 1] == "2026-11-29"
    assert template["dag_timeout"] == "86400s"  # 3 jobs x 8 hours: Dataproc ends the workflow and its cluster
    actions = template["placement"]["managed_cluster"]["config"]["initialization_actions"]
    assert actions[0]["executable_file"].startswith("gs://goog-dataproc-initialization-actions-europe-west4/")
    assert WorkflowTemplate(template).jobs[0].pyspark_job.args[1] == "gs://bkt/weft/manifests/2026-11-29.paths"


@pytest.mark.parametrize("settings, message", [
    ({"WEFT_PLATFORM": "emr"}, "the setting WEFT_BUCKET is required"),
    ({"WEFT_PLATFORM": "hadoop", "WEFT_BUCKET": "b"}, "WEFT_PLATFORM is emr or dataproc"),
    ({"WEFT_BUCKET": "b", "WEFT_EMR_RELEASE": "emr-6.15.0"}, "WEFT_EMR_RELEASE is one of"),
])
def test_bad_settings_stop_the_dag_from_loading(monkeypatch, settings, message):
    for name in ("WEFT_PLATFORM", "WEFT_BUCKET", "WEFT_EMR_RELEASE"):
        monkeypatch.delenv(name, raising=False)
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ValueError, match=message):
        load(DAG_FILE, "weft_nightly_bad")
