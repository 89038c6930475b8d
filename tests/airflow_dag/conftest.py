"""The nightly DAG's world under test: Airflow's home and metadata database in a temporary folder
(set before Airflow is imported), moto's server on 127.0.0.1 as S3 and EMR (``s3_endpoint`` of
tests/conftest.py), CommonCrawl's listings served from 127.0.0.1, and a stand-in for EMR running
the steps (moto's EMR keeps each step as it was added). Only .venv-airflow has Airflow
(.ci/airflow.sh); elsewhere the tests here are skipped."""
from __future__ import annotations

import atexit
import functools
import gzip
import http.server
import importlib.util
import json
import os
import shutil
import tempfile
import threading
import urllib.request

import pytest

from tests.airflow_dag.nightly_world import CRAWL, LISTED, OLDER
from tests.conftest import REPO

HAS_AIRFLOW = importlib.util.find_spec("airflow") is not None
if HAS_AIRFLOW:
    _home = tempfile.mkdtemp(prefix="weft-airflow-")
    atexit.register(shutil.rmtree, _home, ignore_errors=True)
    os.environ.update({
        "AIRFLOW_HOME": _home,
        "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "infra" / "airflow"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{_home}/airflow.db",
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
    })


@pytest.fixture(scope="session")
def airflow_db():
    """A fresh metadata database (SQLite in Airflow's temporary home)."""
    from airflow.utils import db

    db.initdb()


@pytest.fixture(scope="session")
def crawl_server(tmp_path_factory):
    """collinfo.json and each crawl's warc.paths.gz, from 127.0.0.1 (the newest crawl lists LISTED)."""
    root = tmp_path_factory.mktemp("commoncrawl")
    (root / "collinfo.json").write_text(json.dumps([{"id": CRAWL}, {"id": OLDER}]))
    for crawl, paths in ((CRAWL, LISTED), (OLDER, [f"crawl-data/{OLDER}/old.warc.gz"])):
        (root / "crawl-data" / crawl).mkdir(parents=True)
        (root / "crawl-data" / crawl / "warc.paths.gz").write_bytes(gzip.compress(("\n".join(paths) + "\n").encode()))
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture
def aws(s3_endpoint, monkeypatch):
    """moto emptied, and Airflow's aws_default connection pointing at it; boto3 clients for the test.
    moto 5.2 rejects an instance group's Configurations (EMR has taken them since 5.21): the groups
    here keep them as ``configurations``."""
    import boto3
    from moto.emr import models

    plain = models.InstanceGroup.__init__

    def with_configurations(self, *args, configurations=None, **kwargs):
        plain(self, *args, **kwargs)
        self.configurations = configurations

    monkeypatch.setattr(models.InstanceGroup, "__init__", with_configurations)

    urllib.request.urlopen(urllib.request.Request(f"{s3_endpoint}/moto-api/reset", method="POST"), timeout=30)
    monkeypatch.setenv("AIRFLOW_CONN_AWS_DEFAULT", json.dumps(
        {"conn_type": "aws", "extra": {"endpoint_url": s3_endpoint, "region_name": "us-east-1"}}))
    return {name: boto3.client(name, endpoint_url=s3_endpoint, region_name="us-east-1") for name in ("s3", "emr")}


@pytest.fixture
def emr_requests(monkeypatch):
    """The EMR API calls made in this process, as sent: {operation: [parameters, ...]}."""
    from botocore.client import BaseClient

    sent, plain = {}, BaseClient._make_api_call

    def spy(client, operation, params):
        if client.meta.service_model.service_name == "emr":
            sent.setdefault(operation, []).append(params)
        return plain(client, operation, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", spy)
    return sent
