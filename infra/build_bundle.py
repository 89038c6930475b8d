"""Build what spark-submit ships to a cluster: ``make bundle``.

    dist/weft-<version>.zip   the weft packages (jobs, udfs, schemas, configs) with their data
                              files, for --py-files
    dist/weft_main.py         the entry point spark-submit runs (jobs.pipeline.main)
    dist/weft-venv-<version>.tar.gz   (--venv) a packed virtualenv with the pinned dependencies
                              (venv-pack), for --archives ...#environment

    spark-submit --master yarn --deploy-mode cluster \\
      --archives dist/weft-venv-0.1.0.tar.gz#environment \\
      --conf spark.yarn.appMasterEnv.PYSPARK_PYTHON=./environment/bin/python \\
      --conf spark.executorEnv.PYSPARK_PYTHON=./environment/bin/python \\
      --py-files dist/weft-0.1.0.zip dist/weft_main.py --input ... --output s3://...
"""
from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("jobs", "udfs", "schemas", "configs")
SKIP = re.compile(r"(__pycache__|\.pyc$|build_wordlists\.py$)")
MAIN = '''"""spark-submit entry point of the weft bundle: the pipeline's command line."""
from jobs.pipeline import main

if __name__ == "__main__":
    main()
'''


def version() -> str:
    return re.search(r'version="([^"]+)"', (REPO / "setup.py").read_text()).group(1)


def build_zip(dist: Path) -> Path:
    """The packages and their data files, with deterministic entries (same sources, same zip)."""
    target = dist / f"weft-{version()}.zip"
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as bundle:
        for package in PACKAGES:
            for path in sorted((REPO / package).rglob("*")):
                relative = path.relative_to(REPO).as_posix()
                if path.is_file() and not SKIP.search(relative):
                    info = zipfile.ZipInfo(relative, date_time=(2020, 1, 1, 0, 0, 0))
                    info.compress_type = zipfile.ZIP_DEFLATED
                    bundle.writestr(info, path.read_bytes())
    (dist / "weft_main.py").write_text(MAIN)
    return target


def source_copy(work: Path) -> Path:
    """What pip builds weft from, copied into ``work``: pip builds in the source folder, so two
    bundles built at once from one checkout would otherwise write the same build files."""
    source = work / "source"
    shutil.rmtree(source, ignore_errors=True)
    source.mkdir(parents=True)
    for name in ("setup.py", "pyproject.toml", "constraints.txt"):
        shutil.copy2(REPO / name, source / name)
    for package in PACKAGES:
        shutil.copytree(REPO / package, source / package, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return source


def build_venv(dist: Path, extras: str, work: Path) -> Path:
    """A fresh virtualenv with weft (not editable) and ``extras``, packed by venv-pack; built
    under ``work``."""
    source, build = source_copy(work), work / "bundle-venv"
    python = build / "bin" / "python"
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(build)], check=True)
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", "-c", str(source / "constraints.txt"),
                    f"{source}[{extras}]" if extras else str(source), "venv-pack==0.2.0"], check=True)
    target = dist / f"weft-venv-{version()}.tar.gz"
    subprocess.run([str(build / "bin" / "venv-pack"), "-p", str(build), "-o", str(target), "--force"], check=True)
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dist", default=str(REPO / "dist"))
    parser.add_argument("--venv", action="store_true", help="also pack a virtualenv (minutes; GBs with clip)")
    parser.add_argument("--extras", default="clip,nlp", help="weft extras in the packed virtualenv")
    parser.add_argument("--work", default=str(REPO / "build"), help="where the virtualenv is built")
    args = parser.parse_args()
    dist = Path(args.dist)
    dist.mkdir(parents=True, exist_ok=True)
    print(build_zip(dist))
    if args.venv:
        print(build_venv(dist, args.extras, Path(args.work)))


if __name__ == "__main__":
    main()
