#!/bin/bash
# Dataproc initialization action: runs on every node at cluster creation.
# Metadata: weft-bundle=gs://bucket/weft/weft-venv-0.1.0.tar.gz (packed virtualenv), else
# weft's pinned dependencies are pip-installed into /opt/weft/venv. GPU nodes
# (--worker-accelerator) also get Spark's GPU discovery script.
set -euo pipefail
BUNDLE=$(/usr/share/google/get_metadata_value attributes/weft-bundle 2>/dev/null || true)
mkdir -p /opt/weft
if [[ -n "$BUNDLE" ]]; then
  gsutil cp "$BUNDLE" /tmp/weft-venv.tar.gz
  mkdir -p /opt/weft/venv && tar -xzf /tmp/weft-venv.tar.gz -C /opt/weft/venv
else
  python3 -m venv /opt/weft/venv
  /opt/weft/venv/bin/pip install --quiet "weft[nlp,clip,gcs]"  # gcs: gs:// state and stats
fi
if command -v nvidia-smi >/dev/null 2>&1; then  # infra/getGpusResources.sh, uploaded by submit.sh
  gsutil cp "$(/usr/share/google/get_metadata_value attributes/weft-folder)/getGpusResources.sh" \
    /opt/weft/getGpusResources.sh
  chmod +x /opt/weft/getGpusResources.sh
fi
