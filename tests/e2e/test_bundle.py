"""The spark-submit bundle: built by infra/build_bundle.py, run with --py-files from another
folder, the modules coming from the zip."""
import json
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
    assert "ingest   11 files, 1,200 in → 421 out (344 pages, 77 archived images)" in run.stdout
    assert (out / "docs_dedup").is_dir() and (out / "_stats" / "dedup.json").is_file()


def test_packed_virtualenv_runs_the_bundle(tmp_path, shared_data):
    """``make bundle``'s virtualenv archive, unpacked as YARN unpacks ``--archives ...#environment``,
    is the Python of the driver and the executors: everything weft imports is inside it."""
    import tarfile

    dist = tmp_path / "dist"
    built = subprocess.run([sys.executable, str(REPO / "infra" / "build_bundle.py"), "--dist", str(dist), "--venv",
                            "--extras", ""], capture_output=True, text=True, timeout=900)
    assert built.returncode == 0, built.stderr[-3000:]
    bundle, archive = (Path(next(w for w in built.stdout.split() if w.endswith(end))) for end in (".zip", ".tar.gz"))
    assert archive.name == "weft-venv-0.1.0.tar.gz"
    environment = tmp_path / "environment"
    with tarfile.open(archive) as packed:
        packed.extractall(environment, filter="tar")
    python = environment / "bin" / "python"
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    clean = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    probe = subprocess.run([str(python), "-c", "import sys, pyspark, fastwarc, selectolax, fsspec, yaml; "
                            "print(sys.prefix)"], cwd=elsewhere, capture_output=True, text=True, env=clean)
    assert probe.returncode == 0 and probe.stdout.strip() == str(environment), probe.stderr
    env = {**clean, "PYSPARK_PYTHON": str(python), "PYSPARK_DRIVER_PYTHON": str(python)}
    out = tmp_path / "run"
    run = subprocess.run([str(Path(sys.executable).parent / "spark-submit"), "--master", "local[2]",
                          "--conf", "spark.ui.enabled=false", "--py-files", str(bundle), str(dist / "weft_main.py"),
                          "--input", str(WARC_DIR / "cc_whirlwind_CC-MAIN-2024-22.warc.gz"), "--output", str(out),
                          "--stages", "ingest,extract"], cwd=elsewhere, capture_output=True, text=True, timeout=600,
                         env=env)
    assert run.returncode == 0, run.stderr[-3000:]
    assert json.loads((out / "_stats" / "extract.json").read_text())["output_rows"] > 0
