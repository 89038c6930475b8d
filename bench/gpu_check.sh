#!/usr/bin/env bash
# GPU check for the clip stage: on a machine with a CUDA GPU, install what weft needs and print
# ViT-B-32 images/s end to end (decode + preprocess + encode) through the Spark UDF and through a
# bare open_clip loop in the same run. Figures go to bench/RESULTS.md.
#   bash bench/gpu_check.sh [IMAGES]
set -euo pipefail
cd "$(dirname "$0")/.."
IMAGES="${1:-20000}"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv
PY="${PYTHON:-python3}"
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install --quiet -e ".[dev,clip]"
.venv/bin/python -c "import torch; assert torch.cuda.is_available(), 'no CUDA device visible'; print(torch.cuda.get_device_name(0))"
export PYSPARK_PYTHON="$PWD/.venv/bin/python" HF_HUB_OFFLINE=1
.venv/bin/python bench/clip.py --device cuda --images "$IMAGES" --model ViT-B-32
