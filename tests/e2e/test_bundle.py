"""The spark-submit bundle: built by infra/build_bundle.py, run with --py-files from another
folder, the modules coming from the zip; its packed virtualenv."""
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.e2e.conftest import clean_environ

pytestmark = pytest.mark.e2e


def test_spark_submit_imports_weft_from_the_bundle(tmp_path):
    """The zip holds the packages and their data files; spark-submit imports them from it (the
    pipeline runs from the bundle in tests/e2e/test_standalone_cluster.py)."""
    dist = tmp_path / "dist"
    built = subprocess.run([sys.executable, str(REPO / "infra" / "build_bundle.py"), "--dist", str(dist)],
                           capture_output=True, text=True, timeout=120)
    assert built.returncode == 0, built.stderr
    bundle = Path(built.stdout.split()[0])
    names = set(zipfile.ZipFile(bundle).namelist())
    assert {"jobs/pipeline.py", "configs/default.yaml", "udfs/common/wordlists/metaclip_entries.txt",
            "udfs/common/wordlists/stopwords_en.txt"} <= names and not any("__pycache__" in n for n in names)
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


@pytest.mark.cluster  # with the cluster tests, which run the pipeline on this archive (make compat)
def test_packed_virtualenv_holds_what_weft_imports(packed_bundle):
    """``make bundle``'s virtualenv archive, unpacked as YARN unpacks ``--archives ...#environment``:
    everything weft imports is inside it (the standalone cluster test runs the pipeline with it)."""
    assert packed_bundle.archive.name == "weft-venv-0.1.0.tar.gz"
    python = packed_bundle.environment / "bin" / "python"
    probe = subprocess.run([str(python), "-c", "import sys, pyspark, fastwarc, selectolax, fsspec, yaml, boto3; "
                            "print(sys.prefix)"], cwd=packed_bundle.environment.parent, capture_output=True,
                           text=True, env=clean_environ())
    assert probe.returncode == 0 and probe.stdout.strip() == str(packed_bundle.environment), probe.stderr
