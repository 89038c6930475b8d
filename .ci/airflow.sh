#!/usr/bin/env bash
# The nightly DAG under Airflow: a venv of its own (.venv-airflow: Airflow and its providers are too
# heavy for .venv) pinned by infra/airflow/constraints.txt, then tests/airflow_dag, which runs the DAG
# with dag.test() against moto's EMR and S3 on 127.0.0.1. The venv is reused while the constraints
# and the packages below are unchanged.   .ci/airflow.sh [pytest arguments]
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.venv-airflow
python=${PYTHON:-$(command -v python3.11 || command -v python3)}
packages=(apache-airflow apache-airflow-providers-amazon apache-airflow-providers-google "moto[server]" boto3 pytest
          pyyaml)
stamp=$( { cat infra/airflow/constraints.txt; echo "${packages[*]}"; } | sha256sum | cut -d' ' -f1)
if [[ "$(cat "$venv/.stamp" 2>/dev/null)" != "$stamp" ]]; then
  rm -rf "$venv"
  "$python" -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --upgrade pip
  "$venv/bin/python" -m pip install --quiet -c infra/airflow/constraints.txt "${packages[@]}"
  echo "$stamp" > "$venv/.stamp"
fi
"$venv/bin/python" -m pytest -q -ra tests/airflow_dag "$@"
