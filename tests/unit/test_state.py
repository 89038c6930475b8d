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
    assert state.completed(ctx) == {} and state.plan(ctx, stages) == []
    state.record(ctx, ctx.files[:2], stages)
    assert state.location(ctx) == f"{tmp_path}/n1/_state/completed_files.jsonl"
    assert state.completed(ctx)["s3://cc/a.warc.gz"]["run_date"] == "2026-11-28"
    more = context(tmp_path / "n1")
    assert state.plan(more, [*stages, "dedup"]) == []  # not completed through dedup yet
    nextnight = context(tmp_path / "n1", run__date="2026-11-29")
    assert state.plan(nextnight, ["ingest"]) == ["s3://cc/a.warc.gz", "s3://cc/b.warc.gz"]
    assert nextnight.files == ["s3://cc/c.warc.gz"]
    again = context(tmp_path / "n1", run__mode="overwrite", run__date="2026-11-28")
    assert state.plan(again, stages) == [] and len(again.files) == 3
    state.record(again, again.files, stages)  # recording twice keeps one entry per file
    assert sorted(state.completed(again)) == sorted(again.files)


def test_a_night_is_rebuilt_whole_and_append_adds_only_new_files(tmp_path):
    stages = ["ingest"]
    night = context(tmp_path / "out", run__date="2026-11-28")
    night.files = night.files[:1]
    state.record(night, night.files, stages)
    done = context(tmp_path / "out", run__date="2026-11-28")
    done.files = done.files[:1]
    assert state.plan(done, stages) == ["s3://cc/a.warc.gz"] and done.files == []  # nothing to do
    grown = context(tmp_path / "out", run__date="2026-11-28")  # the night's list grew: a is redone with b, c
    assert state.plan(grown, stages) == [] and sorted(grown.files) == sorted(context(tmp_path).files)
    other = context(tmp_path / "out", run__date="2026-11-28")
    other.files = ["s3://cc/d.warc.gz"]  # a file the list no longer names is still part of its night
    state.plan(other, stages)
    assert other.files == ["s3://cc/d.warc.gz", "s3://cc/a.warc.gz"]
    appended = context(tmp_path / "out", run__date="2026-11-28", run__mode="append")
    assert state.plan(appended, stages) == ["s3://cc/a.warc.gz"] and appended.files == ctx_files()[1:]
    state.record(appended, appended.files, stages)
    assert sorted(state.completed(appended)) == ctx_files()  # append keeps the night's a
    redo = context(tmp_path / "out", run__date="2026-11-28", run__mode="overwrite")
    redo.files = ["s3://cc/b.warc.gz"]
    state.plan(redo, stages)
    state.record(redo, redo.files, stages)
    assert sorted(state.completed(redo)) == ["s3://cc/b.warc.gz"]  # overwrite: the night is exactly b


def ctx_files() -> list[str]:
    return ["s3://cc/a.warc.gz", "s3://cc/b.warc.gz", "s3://cc/c.warc.gz"]


def test_a_shared_state_on_s3(s3_endpoint, tmp_path):
    boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1").create_bucket(Bucket="weft-state")
    first = context(tmp_path / "n1", run__state="s3://weft-state/nightly", storage__s3_endpoint_url=s3_endpoint)
    state.record(first, first.files[:1], ["ingest"])
    second = context(tmp_path / "n2", run__state="s3://weft-state/nightly", storage__s3_endpoint_url=s3_endpoint)
    assert state.plan(second, ["ingest"]) == [] and len(second.files) == 3  # same night: rebuilt whole
    third = context(tmp_path / "n3", run__state="s3://weft-state/nightly", storage__s3_endpoint_url=s3_endpoint,
                    run__date="2000-01-01")
    assert state.plan(third, ["ingest"]) == ["s3://cc/a.warc.gz"] and len(third.files) == 2
    assert state.location(second) == "s3://weft-state/nightly/completed_files.jsonl"
