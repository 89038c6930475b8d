#!/bin/bash
# EMR bootstrap action: runs on every node before YARN starts.
#   --bundle s3://bucket/weft/weft-venv-0.1.0.tar.gz   the packed virtualenv `make bundle` built (required:
#            weft is installed only from it; a different, unrelated package is named weft on PyPI)
#   --folder s3://bucket/weft   where getGpusResources.sh was uploaded (default: the bundle's folder)
# The environment is unpacked on /mnt (the instance store: the root volume is small) and linked
# at /opt/weft, the path the cluster's settings name. The fastText and spaCy models ship inside
# the environment's packages: nothing is downloaded at run time. GPU nodes also get Spark's GPU
# discovery script. The action ends with a smoke test; any failure fails the node's bootstrap.
set -euo pipefail
BUNDLE=""
FOLDER=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --bundle) BUNDLE="$2"; shift 2 ;;
    --folder) FOLDER="$2"; shift 2 ;;
    *) echo "bootstrap: unknown argument $1" >&2; exit 2 ;;
  esac
done
[[ -n "$BUNDLE" ]] || { echo "bootstrap: --bundle s3://.../weft-venv-<version>.tar.gz is required" >&2; exit 2; }
FOLDER=${FOLDER:-${BUNDLE%/*}}
ROOT=/mnt/weft
sudo mkdir -p "$ROOT/venv" && sudo chown -R "$(id -u)" "$ROOT"
sudo ln -sfn "$ROOT" /opt/weft
aws s3 cp --only-show-errors "$BUNDLE" "$ROOT/weft-venv.tar.gz"
tar -xzf "$ROOT/weft-venv.tar.gz" -C "$ROOT/venv"
rm "$ROOT/weft-venv.tar.gz"
GPU=""
if lspci 2>/dev/null | grep -qi nvidia; then GPU=1; fi
if [[ -n "$GPU" ]]; then  # infra/getGpusResources.sh
  aws s3 cp --only-show-errors "$FOLDER/getGpusResources.sh" /opt/weft/getGpusResources.sh
  chmod +x /opt/weft/getGpusResources.sh
  command -v nvidia-smi >/dev/null || { echo "bootstrap: NVIDIA GPU without nvidia-smi (driver missing)" >&2; exit 1; }
fi
# smoke test: weft and its native dependencies import from the unpacked environment
/opt/weft/venv/bin/python -c "import jobs.pipeline, udfs.extract.documents, fastwarc, selectolax, pyarrow; print('weft environment ok')"
if [[ -n "$GPU" ]]; then
  /opt/weft/venv/bin/python -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 'bootstrap: torch sees no CUDA device')"
fi
