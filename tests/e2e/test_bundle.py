"""The spark-submit bundle: built by infra/build_bundle.py, run with --py-files from another
folder, the modules coming from the zip."""
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.conftest import REPO, WARC_DIR

pytestmark = pytest.mark.e2e


def test_bundle_runs_the_pipeline_under_spark_submit(tmp_path, shared_data):
    dist = tmp_path / "dist"
    built = subprocess.run([sys.executable, str(REPO / "infra" / "build_bundle.py"), "--dist", str(dist)],
                           capture_output=True, text=True, timeout=120)
    assert built.returncode == 0, built.stderr
    bundle = Path(built.stdout.split()[0])
    names = set(zipfile.ZipFile(bundle).namelist())
    assert {"jobs/pipeline.py", "configs/default.yaml", "udfs/wordlists/metaclip_entries.txt",
            "udfs/wordlists/stopwords_en.txt"} <= names and not any("__pycache__" in n for n in names)
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    probe = elsewhere / "probe.py"
    probe.write_text("import jobs, configs\nprint(jobs.__file__)\nprint(len(configs.default_yaml()))\n")
    submit = [str(Path(sys.executable).parent / "spark-submit"), "--master", "local[2]",
              "--conf", "spark.ui.enabled=false", "--py-files", str(bundle)]
    env = {**os.environ, "PYSPARK_PYTHON": sys.executable, "PYSPARK_DRIVER_PYTHON": sys.executable}
    seen = subprocess.run([*submit, str(probe)], cwd=elsewhere, capture_output=True, text=True, timeout=300, env=env)
    assert seen.returncode == 0, seen.stderr[-2000:]
    assert seen.stdout.splitlines()[0].startswith(str(bundle))  # imported from the zip, not the checkout
    out = tmp_path / "run"
    run = subprocess.run([*submit, str(dist / "weft_main.py"), "--input", str(WARC_DIR), "--output", str(out),
                          "--stages", "ingest,extract,dedup"], cwd=elsewhere, capture_output=True, text=True,
                         timeout=600, env=env)
    assert run.returncode == 0, run.stderr[-3000:]
    assert "ingest   11 files, 1,200 in → 344 out" in run.stdout
    assert (out / "docs_dedup").is_dir() and (out / "_stats" / "dedup.json").is_file()
