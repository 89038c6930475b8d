"""Shared by the end-to-end tests: the pipeline as a subprocess, and one whole run on the bundled
WARCs that several tests read."""
import hashlib
import json
import os
import re
import subprocess
import sys
import tarfile
from dataclasses import dataclass
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from tests.conftest import REPO, WARC_DIR
from tests.image_server import ImageServer
from tests.tiny_clip import save_tiny_model

FAST = ["--set", "spark.ui=false", "--set", "spark.master=local[2]"]


def weft(*args: str, module: str = "jobs.pipeline") -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", module, *args], cwd=REPO, capture_output=True, text=True,
                          timeout=600, env={**os.environ, "PYSPARK_PYTHON": sys.executable})


def table_digest(folder, replace: dict[str, str] | None = None, where=None, drop=()) -> list[str]:
    """Sorted row digests of a Parquet table (file layout may differ; content may not), without
    the columns that time the work (``seconds``, ``*_seconds``) and those in ``drop``;
    ``replace`` (regular expression → replacement) rewrites the rows' text first (the same input
    read from another place); ``where(row)`` picks rows."""
    digests = []
    for row in pq.read_table(folder).to_pylist():
        if where is not None and not where(row):
            continue
        kept = {k: v for k, v in row.items() if not k.endswith("seconds") and k not in drop}
        text = json.dumps(kept, sort_keys=True, default=str)
        for pattern, new in (replace or {}).items():
            text = re.sub(pattern, new, text)
        digests.append(hashlib.sha256(text.encode()).hexdigest())
    return sorted(digests)


def local_images(server) -> list[str]:
    """Settings that send every image download to the local server's copy of the archived images."""
    mirror = json.dumps({"http://": f"{server.base}/mirror/http/", "https://": f"{server.base}/mirror/https/"})
    return ["--set", "images.allowlist=[127.0.0.1]", "--set", f"images.rewrite_prefixes={mirror}"]


# random weights give similarities near 0, and the images the bundled WARCs archive are icons
# (14x12) but one: relax MMC4's threshold and size rules so documents get placements, and the same
# for curate: icons pass the size rules, any CLIP score passes
RELAXED = ["--set", "mmc4.min_similarity=-1", "--set", "mmc4.images.min_side=1", "--set", "mmc4.images.min_aspect=0",
           "--set", "mmc4.images.max_aspect=100",
           "--set", "images.obelics.min_side=1", "--set", "images.obelics.min_aspect=0",
           "--set", "images.obelics.max_aspect=100", "--set", "images.datacomp.min_side=1",
           "--set", "images.datacomp.max_aspect=100", "--set", "curate.clip_threshold=-1"]


@pytest.fixture(scope="session")
def bundled_run(tmp_path_factory, shared_data):
    """The whole pipeline on the bundled WARCs, once per session (the report and the standalone
    cluster tests read it too): the run folder, the finished process and the tiny CLIP checkpoint."""
    tmp_path = tmp_path_factory.mktemp("bundled")
    out = tmp_path / "run"
    config, checkpoint, _, _ = save_tiny_model(tmp_path, "weft-tiny-e2e", seed=3)
    tiny = ["--set", "clip.model=weft-tiny-e2e", "--set", f"clip.checkpoint={checkpoint}",
            "--set", f"clip.model_config={config}"]
    with ImageServer() as server:  # no test reaches the internet: images come from the local mirror
        proc = weft("--input", str(WARC_DIR), "--output", str(out), *FAST, *local_images(server), *tiny, *RELAXED)
    return out, proc, checkpoint


@dataclass(frozen=True)
class Bundle:
    zip: Path          # --py-files
    main: Path         # the application file
    archive: Path      # --archives ...#environment
    environment: Path  # the archive unpacked (a driver's Python)


@pytest.fixture(scope="session")
def packed_bundle(tmp_path_factory) -> Bundle:
    """``make bundle``'s files with a packed virtualenv (no extras: torch stays out), and that
    virtualenv unpacked as YARN unpacks ``--archives ...#environment``."""
    dist = tmp_path_factory.mktemp("dist")
    built = subprocess.run([sys.executable, str(REPO / "infra" / "build_bundle.py"), "--dist", str(dist), "--venv",
                            "--extras", "", "--work", str(tmp_path_factory.mktemp("bundle-build"))],
                           capture_output=True, text=True, timeout=900)
    assert built.returncode == 0, built.stderr[-3000:]
    bundle, archive = (Path(next(w for w in built.stdout.split() if w.endswith(end))) for end in (".zip", ".tar.gz"))
    environment = tmp_path_factory.mktemp("unpacked") / "environment"
    with tarfile.open(archive) as packed:
        packed.extractall(environment, filter="tar")
    return Bundle(bundle, dist / "weft_main.py", archive, environment)


def clean_environ(**extra: str) -> dict[str, str]:
    """This process's environment without what points at the checkout's venv."""
    drop = ("PYTHONPATH", "VIRTUAL_ENV", "PYSPARK_PYTHON", "PYSPARK_DRIVER_PYTHON")
    return {**{k: v for k, v in os.environ.items() if k not in drop}, **extra}
