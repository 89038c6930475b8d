"""Shared fixtures: the real data in ../shared/data, one local Spark session, a local S3."""
from __future__ import annotations

import os
import socket
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data"
WARC_DIR = SHARED / "warc"
QUIRKY_DIR = WARC_DIR / "quirky"

os.environ["PYSPARK_PYTHON"] = sys.executable
os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
# Dummy credentials for the local S3 server, set before any Spark JVM (and its Python workers) starts.
for _key, _value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                     "AWS_DEFAULT_REGION": "us-east-1",
                     "HF_HUB_OFFLINE": "1"}.items():  # no test reaches the internet, model hubs included
    os.environ.setdefault(_key, _value)


def warc_files(quirky: bool = True) -> list[Path]:
    files = sorted(p for p in WARC_DIR.iterdir() if p.is_file())
    return files + (sorted(QUIRKY_DIR.iterdir()) if quirky else [])


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not WARC_DIR.is_dir():
        pytest.fail(f"real test data missing: {WARC_DIR} (see ../shared/data/README.md)")
    return SHARED


@pytest.fixture(scope="session")
def test_settings():
    """Settings for tests: Spark UI off, two local cores."""
    from jobs.config import load_config

    return load_config(overrides=["spark.ui=false", "spark.master=local[2]", "spark.shuffle_partitions=4"])


@pytest.fixture(scope="session")
def spark(test_settings):
    """One local session for all Spark tests; failures surface at once (no task retries)."""
    from jobs.runtime import build_session

    config = test_settings
    session = build_session(config, "weft-tests")
    session.conf.set("spark.sql.shuffle.partitions", "4")
    yield session
    session.stop()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def s3_endpoint():
    """moto's S3 server on 127.0.0.1 (credentials: the dummy ones set above)."""
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()
