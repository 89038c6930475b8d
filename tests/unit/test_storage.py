"""udfs.common.storage on its three kinds of place: local folders, S3 (moto's server on 127.0.0.1) and
an fsspec filesystem (fsspec's in-process ``memory://``, the code path ``gs://`` takes)."""
import gzip
import uuid

import boto3
import pytest

from jobs.config import load_config
from udfs.common import storage
from udfs.ingest.inputs import InputError, resolve_input


def exercise(root: str, settings) -> None:
    """Every operation the run folder needs, on ``root``."""
    storage.write_bytes(f"{root}/table/run_date=2026-11-28/crawl=CC-MAIN-2024-22/part-0.parquet", b"x" * 10, settings)
    storage.write_bytes(f"{root}/table/run_date=2026-11-29/crawl=mixed/part-0.parquet", b"y", settings)
    storage.write_bytes(f"{root}/_stats/ingest.json", b'{"a": 1}', settings)
    assert storage.exists(f"{root}/_stats/ingest.json", settings) and storage.exists(f"{root}/table", settings)
    assert not storage.exists(f"{root}/nothing", settings)
    assert storage.read_bytes(f"{root}/_stats/ingest.json", settings) == b'{"a": 1}'
    assert storage.size(f"{root}/table/run_date=2026-11-28/crawl=CC-MAIN-2024-22/part-0.parquet", settings) == 10
    with storage.open_at(f"{root}/_stats/ingest.json", 2, settings) as stream:
        assert stream.read() == b'a": 1}'
    assert storage.list_folders(f"{root}/table", settings) == ["run_date=2026-11-28", "run_date=2026-11-29"]
    assert storage.list_folders(f"{root}/table/run_date=2026-11-28", settings) == ["crawl=CC-MAIN-2024-22"]
    assert storage.list_folders(f"{root}/absent", settings) == []
    listing = f"{root}/table/" if storage.is_remote(root) else f"{root}/table/*/*/*"  # a prefix; a local glob
    assert [u.rsplit("/", 1)[-1] for u in storage.list_files(listing, settings)] == ["part-0.parquet"] * 2
    storage.delete_tree(f"{root}/table/run_date=2026-11-28", settings)
    assert storage.list_folders(f"{root}/table", settings) == ["run_date=2026-11-29"]
    assert storage.exists(f"{root}/table/run_date=2026-11-29/crawl=mixed/part-0.parquet", settings)


def test_local_folders(tmp_path):
    exercise(str(tmp_path / "out"), load_config().storage)


def test_s3_objects(s3_endpoint):
    boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1").create_bucket(Bucket="weft-out")
    settings = load_config(overrides=[f"storage.s3_endpoint_url={s3_endpoint}"]).storage
    exercise("s3://weft-out/nightly", settings)
    exercise("s3a://weft-out/other", settings)  # Spark's s3a:// names the same objects


def test_fsspec_filesystems_as_gs_is_reached(tmp_path):
    settings = load_config().storage
    root = f"memory://weft-{uuid.uuid4().hex}"
    exercise(root, settings)
    storage.write_bytes(f"{root}/in/a.warc.gz", b"WARC/1.0\r\n", settings)
    storage.write_bytes(f"{root}/warc.paths.gz", gzip.compress(b"in/a.warc.gz\n"), settings)
    assert resolve_input(f"{root}/warc.paths.gz", settings, "s3://commoncrawl") == [f"{root}/in/a.warc.gz"]
    assert resolve_input(f"{root}/in/", settings, "s3://commoncrawl") == [f"{root}/in/a.warc.gz"]


def test_unsupported_schemes_are_named():
    assert storage.supported("gs://bucket/x") and storage.supported("s3a://b/x") and storage.supported("out/run")
    assert not storage.supported("ftp://host/x")
    with pytest.raises(InputError, match="unsupported input scheme"):
        resolve_input("ftp://host/x.warc.gz", load_config().storage, "s3://commoncrawl")
