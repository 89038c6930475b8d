"""Create the nightly EMR cluster with the weft steps (the cluster ends when the steps do).

    python infra/emr/submit.py --bucket my-bucket --manifest s3://my-bucket/manifests/2026-11-29.paths \\
        --output s3://my-bucket/weft --run-date 2026-11-29 [--release emr-7.8.0] [--region us-east-1] [--dry-run]

``--dry-run`` prints the RunJobFlow request as JSON and calls nothing. Upload first:
bootstrap.sh, ../getGpusResources.sh, dist/weft-<version>.zip, dist/weft_main.py, dist/weft-venv-<version>.tar.gz and
configs/gpu.yaml to s3://BUCKET/weft/ (``make bundle``).

Only the CLIP embedding work (clip, and mmc4's embeddings) runs on GPU executors. The release
picks how: emr-spark-8.x (Spark 4.0) runs one step whose clip and mmc4 tasks ask for GPUs through
a stage-level ResourceProfile (``--config gpu.yaml``); emr-7.x (Spark 3.5, no ResourceProfile for
mapInArrow) runs three steps, the middle one (clip, mmc4) an application whose executors ask for
GPUs, the others without.
"""
from __future__ import annotations

import argparse
import copy
import datetime as dt
import json
from pathlib import Path

HERE = Path(__file__).parent
RELEASES = {"emr-7.8.0": "3.5", "emr-spark-8.0.0": "4.0"}  # release label -> the Spark it ships
CPU_BEFORE, GPU_STAGES, CPU_AFTER = "ingest,extract,dedup,images", "clip,mmc4", "curate,export,report"
GPU_EXECUTORS = [  # spark-submit settings of the Spark 3.5 GPU step: one GPU per executor, four tasks on it
    "--conf", "spark.executor.resource.gpu.amount=1",
    "--conf", "spark.task.resource.gpu.amount=0.25",
    "--conf", "spark.executor.resource.gpu.discoveryScript=/opt/weft/getGpusResources.sh",
]


def fill(value, names: dict[str, str]):
    """``value`` (a JSON document) with the placeholders BUCKET, RUN_DATE, MANIFEST, OUTPUT replaced."""
    if isinstance(value, dict):
        return {k: fill(v, names) for k, v in value.items()}
    if isinstance(value, list):
        return [fill(v, names) for v in value]
    if isinstance(value, str):
        for placeholder, replacement in names.items():
            value = value.replace(placeholder, replacement)
    return value


def step(template: dict, stages: str, manifest: str, gpu_config: bool, submit_conf: list[str] = ()) -> dict:
    """One spark-submit step running ``stages``; ingest's step reads the manifest."""
    body = copy.deepcopy(template)
    body["Name"] = body["Name"].replace("STAGES", stages)
    args = body["HadoopJarStep"]["Args"]
    args[args.index("STAGES")] = stages
    args[args.index("--py-files"):args.index("--py-files")] = list(submit_conf)
    if "ingest" in stages.split(","):
        args += ["--input", manifest]
    if gpu_config:
        args += ["--config", "gpu.yaml"]
    else:  # a CPU application ships nothing of the GPU settings
        del args[args.index("--files"):args.index("--files") + 2]
    return body


def steps(template: dict, spark: str, manifest: str) -> list[dict]:
    if spark >= "4":
        return [step(template, ",".join((CPU_BEFORE, GPU_STAGES, CPU_AFTER)), manifest, gpu_config=True)]
    return [step(template, CPU_BEFORE, manifest, gpu_config=False),
            step(template, GPU_STAGES, manifest, gpu_config=True, submit_conf=GPU_EXECUTORS),
            step(template, CPU_AFTER, manifest, gpu_config=False)]


def request(bucket: str, manifest: str, output: str, run_date: str, release: str = "emr-7.8.0") -> dict:
    """The RunJobFlow request: cluster.json with the release's steps."""
    names = {"BUCKET": bucket, "RUN_DATE": run_date, "OUTPUT": output}
    cluster = fill(json.loads((HERE / "cluster.json").read_text()), names)
    cluster["Name"] = f"weft-nightly-{run_date}"
    cluster["ReleaseLabel"] = release
    template = fill(json.loads((HERE / "step.json").read_text()), names)
    cluster["Steps"] = steps(template, RELEASES[release], manifest)
    return cluster


def kept_cluster(bucket: str, run_date: str, release: str = "emr-7.8.0", idle_timeout: int = 3600) -> dict:
    """``request``'s cluster without steps, for a scheduler that adds them and terminates the
    cluster itself (infra/airflow): kept alive between steps, and ended by EMR after
    ``idle_timeout`` seconds with nothing to run should the scheduler not."""
    cluster = request(bucket, "MANIFEST", "OUTPUT", run_date, release)
    del cluster["Steps"]
    cluster["Instances"]["KeepJobFlowAliveWhenNoSteps"] = True
    cluster["AutoTerminationPolicy"] = {"IdleTimeout": idle_timeout}
    return cluster


def night_steps(bucket: str, manifest: str, output: str, run_date: str, release: str = "emr-7.8.0") -> list[dict]:
    """The steps of ``request``: what a scheduler adds to ``kept_cluster``'s cluster."""
    return request(bucket, manifest, output, run_date, release)["Steps"]


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bucket", required=True)
    parser.add_argument("--manifest", required=True, help="warc.paths manifest of the night's new files")
    parser.add_argument("--output", required=True, help="output root shared by every night (s3://...); the night is a run_date partition")
    parser.add_argument("--run-date", default=dt.date.today().isoformat())
    parser.add_argument("--release", choices=sorted(RELEASES), default="emr-7.8.0",
                        help="EMR release: emr-7.x ships Spark 3.5, emr-spark-8.x Spark 4.0")
    parser.add_argument("--region", default="us-east-1")
    parser.add_argument("--dry-run", action="store_true", help="print the request, call nothing")
    args = parser.parse_args(argv)
    dt.date.fromisoformat(args.run_date)
    body = request(args.bucket, args.manifest, args.output.rstrip("/"), args.run_date, args.release)
    if args.dry_run:
        print(json.dumps({"RunJobFlow": body}, indent=2))
        return
    import boto3

    answer = boto3.client("emr", region_name=args.region).run_job_flow(**body)
    print(json.dumps({"JobFlowId": answer["JobFlowId"]}))


if __name__ == "__main__":
    main()
