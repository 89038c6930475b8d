"""The completed-files list (jobs.state), locally and on S3 (moto's server on 127.0.0.1)."""
import dataclasses

import boto3

from jobs import state
from jobs.config import load_config
from jobs.runtime import RunContext


def context(run_dir, files=None, **settings) -> RunContext:
    overrides = [f"{k.replace('__', '.')}={v}" for k, v in settings.items()]
    return RunContext(run_dir=str(run_dir), config=load_config(overrides=overrides),
                      files=ctx_files() if files is None else files)


def test_incremental_skips_recorded_files_and_overwrite_does_not(tmp_path):
    ctx = context(tmp_path / "n1", run__date="2026-11-28")
    stages = ["ingest", "extract"]
    assert state.completed(ctx) == {} and state.plan(ctx, stages) == (ctx, [])
    state.record(ctx, ctx.files[:2], stages)
    assert state.location(ctx) == f"{tmp_path}/n1/_state/completed_files.jsonl"
    assert state.completed(ctx)["s3://cc/a.warc.gz"]["run_date"] == "2026-11-28"
    more = context(tmp_path / "n1")
    assert state.plan(more, [*stages, "dedup"])[1] == []  # not completed through dedup yet
    nextnight = context(tmp_path / "n1", run__date="2026-11-29")
    planned, skipped = state.plan(nextnight, ["ingest"])
    assert skipped == ["s3://cc/a.warc.gz", "s3://cc/b.warc.gz"] and planned.files == ("s3://cc/c.warc.gz",)
    assert len(nextnight.files) == 3  # the context given is not changed
    again, skipped = state.plan(context(tmp_path / "n1", run__mode="overwrite", run__date="2026-11-28"), stages)
    assert skipped == [] and len(again.files) == 3
    state.record(again, again.files, stages)  # recording twice keeps one entry per file
    assert sorted(state.completed(again)) == sorted(again.files)


def test_a_night_is_rebuilt_whole_and_append_adds_only_new_files(tmp_path):
    stages = ["ingest"]
    night = context(tmp_path / "out", ctx_files()[:1], run__date="2026-11-28")
    state.record(night, night.files, stages)
    done, skipped = state.plan(context(tmp_path / "out", ctx_files()[:1], run__date="2026-11-28"), stages)
    assert skipped == ["s3://cc/a.warc.gz"] and done.files == ()  # nothing to do
    grown, skipped = state.plan(context(tmp_path / "out", run__date="2026-11-28"), stages)  # a is redone with b, c
    assert skipped == [] and sorted(grown.files) == ctx_files()
    other, _ = state.plan(context(tmp_path / "out", ["s3://cc/d.warc.gz"], run__date="2026-11-28"), stages)
    assert other.files == ("s3://cc/d.warc.gz", "s3://cc/a.warc.gz")  # a file the list no longer names stays
    appended, skipped = state.plan(context(tmp_path / "out", run__date="2026-11-28", run__mode="append"), stages)
    assert skipped == ["s3://cc/a.warc.gz"] and list(appended.files) == ctx_files()[1:]
    state.record(appended, appended.files, stages)
    assert sorted(state.completed(appended)) == ctx_files()  # append keeps the night's a
    redo, _ = state.plan(context(tmp_path / "out", ["s3://cc/b.warc.gz"], run__date="2026-11-28",
                                 run__mode="overwrite"), stages)
    state.record(redo, redo.files, stages)
    assert sorted(state.completed(redo)) == ["s3://cc/b.warc.gz"]  # overwrite: the night is exactly b


def test_a_context_is_not_changed_once_built(tmp_path):
    ctx = context(tmp_path)
    try:
        ctx.files = ()
    except dataclasses.FrozenInstanceError:
        pass
    else:
        raise AssertionError("RunContext accepted a new value")
    assert dataclasses.replace(ctx, files=["x"]).files == ("x",) and len(ctx.files) == 3


def ctx_files() -> list[str]:
    return ["s3://cc/a.warc.gz", "s3://cc/b.warc.gz", "s3://cc/c.warc.gz"]


def test_a_shared_state_on_s3(s3_endpoint, tmp_path):
    boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1").create_bucket(Bucket="weft-state")
    first = context(tmp_path / "n1", run__state="s3://weft-state/nightly", storage__s3_endpoint_url=s3_endpoint)
    state.record(first, first.files[:1], ["ingest"])
    second = context(tmp_path / "n2", run__state="s3://weft-state/nightly", storage__s3_endpoint_url=s3_endpoint)
    planned, skipped = state.plan(second, ["ingest"])
    assert skipped == [] and len(planned.files) == 3  # same night: rebuilt whole
    third = context(tmp_path / "n3", run__state="s3://weft-state/nightly", storage__s3_endpoint_url=s3_endpoint,
                    run__date="2000-01-01")
    planned, skipped = state.plan(third, ["ingest"])
    assert skipped == ["s3://cc/a.warc.gz"] and len(planned.files) == 2
    assert state.location(second) == "s3://weft-state/nightly/completed_files.jsonl"
