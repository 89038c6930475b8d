"""The completed-files list (jobs.state), locally and on S3 (moto's server on 127.0.0.1)."""
import boto3

from jobs import state
from jobs.config import load_config
from jobs.runtime import RunContext


def context(run_dir, **settings) -> RunContext:
    overrides = [f"{k.replace('__', '.')}={v}" for k, v in settings.items()]
    return RunContext(run_dir=str(run_dir), config=load_config(overrides=overrides),
                      files=["s3://cc/a.warc.gz", "s3://cc/b.warc.gz", "s3://cc/c.warc.gz"])


def test_incremental_skips_recorded_files_and_overwrite_does_not(tmp_path):
    ctx = context(tmp_path / "n1", run__date="2026-11-28")
    stages = ["ingest", "extract"]
    assert state.completed(ctx) == {} and state.skip_completed(ctx, stages) == []
    state.record(ctx, ctx.files[:2], stages)
    assert state.location(ctx) == f"{tmp_path}/n1/_state/completed_files.jsonl"
    assert state.completed(ctx)["s3://cc/a.warc.gz"]["run_date"] == "2026-11-28"
    more = context(tmp_path / "n1")
    assert state.skip_completed(more, [*stages, "dedup"]) == []  # not completed through dedup yet
    assert state.skip_completed(ctx, ["ingest"]) == ["s3://cc/a.warc.gz", "s3://cc/b.warc.gz"]
    assert ctx.files == ["s3://cc/c.warc.gz"]
    again = context(tmp_path / "n1", run__mode="overwrite")
    assert state.skip_completed(again, stages) == [] and len(again.files) == 3
    state.record(again, again.files, stages)  # recording twice keeps one entry per file
    assert sorted(state.completed(again)) == sorted(again.files)


def test_a_shared_state_on_s3(s3_endpoint, tmp_path):
    boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1").create_bucket(Bucket="weft-state")
    first = context(tmp_path / "n1", run__state="s3://weft-state/nightly", storage__s3_endpoint_url=s3_endpoint)
    state.record(first, first.files[:1], ["ingest"])
    second = context(tmp_path / "n2", run__state="s3://weft-state/nightly", storage__s3_endpoint_url=s3_endpoint)
    assert state.skip_completed(second, ["ingest"]) == ["s3://cc/a.warc.gz"] and len(second.files) == 2
    assert state.location(second) == "s3://weft-state/nightly/completed_files.jsonl"
