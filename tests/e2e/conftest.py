"""Shared by the end-to-end tests: the pipeline as a subprocess, and one whole run on the bundled
WARCs that several tests read."""
import json
import os
import subprocess
import sys

import pytest

from tests.conftest import REPO, WARC_DIR
from tests.image_server import ImageServer
from tests.tiny_clip import save_tiny_model

FAST = ["--set", "spark.ui=false", "--set", "spark.master=local[2]"]


def weft(*args: str, module: str = "jobs.pipeline") -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", module, *args], cwd=REPO, capture_output=True, text=True,
                          timeout=600, env={**os.environ, "PYSPARK_PYTHON": sys.executable})


def local_images(server) -> list[str]:
    """Settings that send every image download to the local server's copy of the archived images."""
    mirror = json.dumps({"http://": f"{server.base}/mirror/http/", "https://": f"{server.base}/mirror/https/"})
    return ["--set", "images.allowlist=[127.0.0.1]", "--set", f"images.rewrite_prefixes={mirror}"]


@pytest.fixture(scope="session")
def bundled_run(tmp_path_factory, shared_data):
    """The whole pipeline on the bundled WARCs, once per session (the report test reads it too):
    the run folder, the finished process and the tiny CLIP checkpoint."""
    tmp_path = tmp_path_factory.mktemp("bundled")
    out = tmp_path / "run"
    config, checkpoint, _, _ = save_tiny_model(tmp_path, "weft-tiny-e2e", seed=3)
    tiny = ["--set", "clip.model=weft-tiny-e2e", "--set", f"clip.checkpoint={checkpoint}",
            "--set", f"clip.model_config={config}",
            # random weights give similarities near 0, and the images the bundled WARCs archive are
            # icons (14x12) but one: relax MMC4's threshold and size rules so documents get placements
            "--set", "mmc4.min_similarity=-1", "--set", "mmc4.images.min_side=1", "--set", "mmc4.images.min_aspect=0",
            "--set", "mmc4.images.max_aspect=100",
            # the same for curate: icons pass the size rules, any CLIP score passes
            "--set", "images.obelics.min_side=1", "--set", "images.obelics.min_aspect=0",
            "--set", "images.obelics.max_aspect=100", "--set", "images.datacomp.min_side=1",
            "--set", "images.datacomp.max_aspect=100", "--set", "curate.clip_threshold=-1"]
    with ImageServer() as server:  # no test reaches the internet: images come from the local mirror
        proc = weft("--input", str(WARC_DIR), "--output", str(out), *FAST, *local_images(server), *tiny)
    return out, proc, checkpoint
