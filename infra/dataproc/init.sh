#!/bin/bash
# Dataproc initialization action: runs on every node at cluster creation, after the GPU driver
# action of the workflow template (which installs NVIDIA's driver and YARN's GPU plugin on the
# nodes that have an accelerator, and nothing elsewhere).
# Metadata: weft-bundle=gs://bucket/weft/weft-venv-0.1.0.tar.gz (the packed virtualenv, built with
# the gcs extra: `make bundle EXTRAS=clip,nlp,gcs`; required: weft is installed only from it, a
# different, unrelated package is named weft on PyPI), weft-folder=gs://bucket/weft (where
# getGpusResources.sh is). Ends with a smoke test; any failure fails the node's creation.
set -euo pipefail
meta() { /usr/share/google/get_metadata_value "attributes/$1"; }
BUNDLE=$(meta weft-bundle) || { echo "init: metadata weft-bundle (gs://.../weft-venv-<version>.tar.gz) is required" >&2; exit 2; }
FOLDER=$(meta weft-folder 2>/dev/null) || FOLDER=${BUNDLE%/*}
mkdir -p /opt/weft/venv
gsutil -q cp "$BUNDLE" /tmp/weft-venv.tar.gz
tar -xzf /tmp/weft-venv.tar.gz -C /opt/weft/venv
rm /tmp/weft-venv.tar.gz
GPU=""
if lspci 2>/dev/null | grep -qi nvidia; then GPU=1; fi
if [[ -n "$GPU" ]]; then  # infra/getGpusResources.sh, uploaded by submit.sh
  command -v nvidia-smi >/dev/null || { echo "init: node has an NVIDIA accelerator but no nvidia-smi: the GPU driver action did not install the driver" >&2; exit 1; }
  gsutil -q cp "$FOLDER/getGpusResources.sh" /opt/weft/getGpusResources.sh
  chmod +x /opt/weft/getGpusResources.sh
fi
# smoke test: weft, its native dependencies and gs:// support import from the unpacked environment
/opt/weft/venv/bin/python -c "import jobs.pipeline, udfs.extract.documents, fastwarc, selectolax, pyarrow, gcsfs; print('weft environment ok')"
if [[ -n "$GPU" ]]; then
  /opt/weft/venv/bin/python -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 'init: torch sees no CUDA device')"
fi
