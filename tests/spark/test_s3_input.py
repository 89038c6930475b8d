"""s3:// input through boto3 inside the tasks, against moto's S3 server on 127.0.0.1."""
import boto3
import pytest

from jobs import ingest
from jobs.config import load_config
from jobs.runtime import RunContext
from tests.conftest import QUIRKY_DIR, WARC_DIR
from udfs.ingest.inputs import resolve_input

pytestmark = pytest.mark.spark

FILES = [WARC_DIR / "resiliparse_CC-MAIN-2020-34_warcfile.warc.gz", WARC_DIR / "dolma_sample-0001.warc.gz",
         QUIRKY_DIR / "resiliparse_clipped.warc.gz"]


def test_manifest_of_s3_and_cc_relative_paths(spark, s3_endpoint, tmp_path, shared_data):
    s3 = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1")
    s3.create_bucket(Bucket="crawl")
    keys = ["crawl-data/CC-MAIN-2020-34/segments/1/warc/" + FILES[0].name, "other/" + FILES[1].name,
            "other/" + FILES[2].name]
    for path, key in zip(FILES, keys):
        s3.upload_file(str(path), "crawl", key)
    manifest = f"{keys[0]}\ns3://crawl/{keys[1]}\ns3://crawl/{keys[2]}\ns3://crawl/other/missing.warc.gz\n"
    s3.put_object(Bucket="crawl", Key="warc.paths", Body=manifest.encode())

    config = load_config(overrides=["spark.ui=false", f"storage.s3_endpoint_url={s3_endpoint}",
                                    "input.cc_prefix=s3://crawl/"])
    files = resolve_input("s3://crawl/warc.paths", config.storage, config.input.cc_prefix)
    assert files[0] == f"s3://crawl/{keys[0]}" and len(files) == 4

    remote = ingest.run(spark, RunContext(str(tmp_path / "s3run"), config, files=files))
    local = ingest.run(spark, RunContext(str(tmp_path / "localrun"), config, files=[str(p) for p in FILES]))
    assert remote["output_rows"] == local["output_rows"] == 16 + 15
    remote_rejected = dict(remote["rejected"])
    assert remote_rejected.pop("unreadable_file") == 1  # the missing object: one reject, run goes on
    assert remote_rejected == local["rejected"]
    assert remote["unbalanced_files"] == []
    by_name = {k.rsplit("/", 1)[1]: v for k, v in remote["files"].items()}
    assert by_name[FILES[0].name]["crawl"] == "CC-MAIN-2020-34"
    assert by_name[FILES[0].name]["reader"] == "fastwarc"


def test_s3_directory_prefix_lists_objects(s3_endpoint, shared_data):
    s3 = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1")
    s3.create_bucket(Bucket="listing")
    for path in FILES[:2]:
        s3.upload_file(str(path), "listing", "night/" + path.name)
    config = load_config(overrides=[f"storage.s3_endpoint_url={s3_endpoint}"])
    assert resolve_input("s3://listing/night/", config.storage, "") == sorted(
        f"s3://listing/night/{p.name}" for p in FILES[:2])
    assert resolve_input("s3://listing/night", config.storage, "") == sorted(
        f"s3://listing/night/{p.name}" for p in FILES[:2])
