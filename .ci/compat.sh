#!/usr/bin/env bash
# A compatibility run on another Spark: a virtualenv from constraints.txt with pyspark VERSION instead
# of the pinned one (py4j follows it), then the Spark job tests, one whole pipeline run on the
# bundled WARCs with the tiny CLIP checkpoint, and the bundle under spark-submit on a standalone
# cluster of this Spark (its tables equal the local run's; -m "": the cluster tests make test leaves out).
#   .ci/compat.sh 3.5.4 [more tests and pytest arguments]
set -euo pipefail
cd "$(dirname "$0")/.."
version=$1
venv=".venv-spark$version"
python=${PYTHON:-$(command -v python3.11 || command -v python3)}
if [[ ! -f "$venv/.done" ]]; then
  rm -rf "$venv"
  "$python" -m venv "$venv"
  grep -v -E '^(pyspark|py4j)==' constraints.txt > "$venv.constraints"
  "$venv/bin/python" -m pip install --quiet --upgrade pip
  "$venv/bin/python" -m pip install --quiet -c "$venv.constraints" "pyspark==$version" -e ".[dev,clip,nlp]"
  rm "$venv.constraints"
  touch "$venv/.done"
fi
"$venv/bin/python" -c "import pyspark; assert pyspark.__version__ == '$version', pyspark.__version__"
PYSPARK_PYTHON="$PWD/$venv/bin/python" PYSPARK_DRIVER_PYTHON="$PWD/$venv/bin/python" \
  "$venv/bin/python" -m pytest -q -ra -p no:cacheprovider -m "" --basetemp="/tmp/weft-compat-$version" tests/spark \
  "tests/e2e/test_pipeline_cli.py::test_pipeline_on_the_bundled_warcs" \
  "tests/e2e/test_standalone_cluster.py::test_executors_take_python_from_the_archive_and_weft_from_the_zip" \
  "tests/e2e/test_standalone_cluster.py::test_the_cluster_run_equals_the_local_run" "${@:2}"
