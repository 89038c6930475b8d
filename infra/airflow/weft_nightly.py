"""Airflow DAG for weft's nightly run: list the newest crawl's WARC files not processed yet,
write them as the night's manifest, run weft on EMR (or Dataproc), wait, check the run's
``_stats/summary.json``, alert on failure.

The steps are plain functions with the cloud calls behind a small ``Platform`` interface, so
they are tested without Airflow or a cloud; Airflow itself is imported only by ``build_dag``
(``dag`` is defined when Airflow is installed). Variables (Airflow Variables or environment):
WEFT_PLATFORM (emr | dataproc), WEFT_BUCKET, WEFT_OUTPUT (the output root every night writes its
run_date partitions to), WEFT_STATE
(s3:// or gs:// file listing the WARC paths already processed), WEFT_CC_INDEX (collinfo.json
URL of CommonCrawl), WEFT_ALERT_EMAIL.
"""
from __future__ import annotations

import datetime as dt
import gzip
import importlib.util
import json
import os
import sys
from pathlib import Path
from typing import Protocol

INFRA = Path(__file__).resolve().parents[1]


def newest_crawl(collinfo: list[dict]) -> str:
    """The id of the newest crawl in CommonCrawl's collinfo.json (listed newest first)."""
    crawls = [c["id"] for c in collinfo if c.get("id", "").startswith("CC-MAIN-")]
    if not crawls:
        raise ValueError("collinfo lists no CC-MAIN crawl")
    return crawls[0]


def new_paths(listed: list[str], done: set[str], limit: int | None = None) -> list[str]:
    """The crawl's WARC paths not processed yet, in listing order (at most ``limit``)."""
    fresh = [p for p in listed if p.strip() and p.strip() not in done]
    return fresh[:limit] if limit else fresh


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


class Platform(Protocol):
    """Where the job runs; one implementation per cloud."""

    def submit(self, manifest: str, output: str, run_date: str) -> str: ...

    def finished(self, job: str) -> bool: ...

    def read(self, uri: str) -> bytes: ...

    def write(self, uri: str, data: bytes) -> None: ...


class Emr:
    def __init__(self, bucket: str, region: str = "us-east-1"):
        import boto3

        self.bucket, self.emr, self.s3 = bucket, boto3.client("emr", region_name=region), boto3.client("s3")

    def submit(self, manifest: str, output: str, run_date: str) -> str:
        sys.path.insert(0, str(INFRA / "emr"))
        from submit import request

        return self.emr.run_job_flow(**request(self.bucket, manifest, output, run_date))["JobFlowId"]

    def finished(self, job: str) -> bool:
        state = self.emr.describe_cluster(ClusterId=job)["Cluster"]["Status"]["State"]
        if state == "TERMINATED_WITH_ERRORS":
            raise RuntimeError(f"EMR cluster {job} failed")
        return state == "TERMINATED"

    def read(self, uri: str) -> bytes:
        bucket, _, key = uri.removeprefix("s3://").partition("/")
        return self.s3.get_object(Bucket=bucket, Key=key)["Body"].read()

    def write(self, uri: str, data: bytes) -> None:
        bucket, _, key = uri.removeprefix("s3://").partition("/")
        self.s3.put_object(Bucket=bucket, Key=key, Body=data)


def plan_night(platform: Platform, listing: bytes, state_uri: str, manifest_uri: str, limit: int | None) -> int:
    """Write the night's manifest (new paths of the crawl's warc.paths.gz listing); how many."""
    listed = gzip.decompress(listing).decode().splitlines() if listing[:2] == b"\x1f\x8b" else listing.decode().splitlines()
    try:
        done = set(platform.read(state_uri).decode().splitlines())
    except Exception:  # noqa: BLE001 -- first night: no state yet
        done = set()
    fresh = new_paths(listed, done, limit)
    platform.write(manifest_uri, ("\n".join(fresh) + "\n").encode())
    return len(fresh)


def record_night(platform: Platform, state_uri: str, manifest_uri: str) -> None:
    """After a good run: the night's paths join the processed list."""
    try:
        done = platform.read(state_uri).decode().splitlines()
    except Exception:  # noqa: BLE001 -- first night
        done = []
    night = platform.read(manifest_uri).decode().splitlines()
    platform.write(state_uri, ("\n".join(sorted(set(done) | set(p for p in night if p))) + "\n").encode())


def build_dag(platform_factory=None):
    """The Airflow DAG (Airflow imported here only)."""
    from airflow import DAG
    from airflow.operators.python import PythonOperator
    from airflow.sensors.python import PythonSensor

    env = os.environ.get
    output, state = env("WEFT_OUTPUT", "s3://BUCKET/weft"), env("WEFT_STATE", "s3://BUCKET/weft/state/done.paths")
    factory = platform_factory or (lambda: Emr(env("WEFT_BUCKET", "BUCKET")))

    def manifest(ds: str) -> str:
        return f"{output.rstrip('/')}/manifests/{ds}.paths"

    def plan(ds: str, **_):
        import urllib.request

        collinfo = json.load(urllib.request.urlopen(env("WEFT_CC_INDEX", "https://index.commoncrawl.org/collinfo.json")))
        crawl = newest_crawl(collinfo)
        listing = urllib.request.urlopen(f"https://data.commoncrawl.org/crawl-data/{crawl}/warc.paths.gz").read()
        return plan_night(factory(), listing, state, manifest(ds), int(env("WEFT_FILES_PER_NIGHT", "0")) or None)

    def submit(ds: str, **_):
        return factory().submit(manifest(ds), f"{output.rstrip('/')}", ds)

    def check(ds: str, **_):
        summary = json.loads(factory().read(f"{output.rstrip('/')}/_stats/summary.json"))
        wrong = problems(summary, ds)
        if wrong:
            raise RuntimeError("; ".join(wrong))
        record_night(factory(), state, manifest(ds))

    defaults = {"retries": 1, "retry_delay": dt.timedelta(minutes=10), "email_on_failure": True,
                "email": [env("WEFT_ALERT_EMAIL", "data-eng@example.com")]}
    with DAG("weft_nightly", schedule="0 2 * * *", start_date=dt.datetime(2026, 1, 1), catchup=False,
             default_args=defaults, tags=["weft"]) as dag:
        plan_task = PythonOperator(task_id="plan_night", python_callable=plan)
        submit_task = PythonOperator(task_id="submit", python_callable=submit)
        wait_task = PythonSensor(task_id="wait", poke_interval=300, timeout=12 * 3600, mode="reschedule",
                                 python_callable=lambda ti, **_: factory().finished(ti.xcom_pull("submit")))
        check_task = PythonOperator(task_id="check_stats", python_callable=check)
        plan_task >> submit_task >> wait_task >> check_task
    return dag


# Airflow's DAG discovery imports this file and looks for ``dag``
dag = build_dag() if importlib.util.find_spec("airflow") is not None else None
