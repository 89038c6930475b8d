"""Create the nightly EMR cluster with the weft step (the cluster ends when the step does).

    python infra/emr/submit.py --bucket my-bucket --manifest s3://my-bucket/manifests/2026-11-29.paths \\
        --output s3://my-bucket/weft --run-date 2026-11-29 [--region us-east-1] [--dry-run]

``--dry-run`` prints the RunJobFlow request as JSON and calls nothing. Upload first:
bootstrap.sh, ../getGpusResources.sh, dist/weft-<version>.zip, dist/weft_main.py, dist/weft-venv-<version>.tar.gz and
configs/gpu.yaml to s3://BUCKET/weft/ (``make bundle``).
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
from pathlib import Path

HERE = Path(__file__).parent


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


def request(bucket: str, manifest: str, output: str, run_date: str) -> dict:
    """The RunJobFlow request: cluster.json with step.json as its only step."""
    names = {"BUCKET": bucket, "RUN_DATE": run_date, "MANIFEST": manifest, "OUTPUT": output}
    cluster = fill(json.loads((HERE / "cluster.json").read_text()), names)
    cluster["Name"] = f"weft-nightly-{run_date}"
    cluster["Steps"] = [fill(json.loads((HERE / "step.json").read_text()), names)]
    return cluster


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bucket", required=True)
    parser.add_argument("--manifest", required=True, help="warc.paths manifest of the night's new files")
    parser.add_argument("--output", required=True, help="output root shared by every night (s3://...); the night is a run_date partition")
    parser.add_argument("--run-date", default=dt.date.today().isoformat())
    parser.add_argument("--region", default="us-east-1")
    parser.add_argument("--dry-run", action="store_true", help="print the request, call nothing")
    args = parser.parse_args(argv)
    dt.date.fromisoformat(args.run_date)
    body = request(args.bucket, args.manifest, args.output.rstrip("/"), args.run_date)
    if args.dry_run:
        print(json.dumps({"RunJobFlow": body}, indent=2))
        return
    import boto3

    answer = boto3.client("emr", region_name=args.region).run_job_flow(**body)
    print(json.dumps({"JobFlowId": answer["JobFlowId"]}))


if __name__ == "__main__":
    main()
