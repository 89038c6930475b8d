#!/bin/bash
# Upload the bundle and run the nightly Dataproc workflow.
#   infra/dataproc/submit.sh --bucket BUCKET --region REGION --manifest gs://.../x.paths \
#     --output gs://.../runs --run-date 2026-11-29 [--dry-run]
# --dry-run prints the gcloud/gsutil commands instead of running them.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
DRY=""; BUCKET=""; REGION=""; MANIFEST=""; OUTPUT=""; RUN_DATE=$(date -u +%F)
while [[ $# -gt 0 ]]; do
  case "$1" in
    --bucket) BUCKET="$2"; shift 2 ;;
    --region) REGION="$2"; shift 2 ;;
    --manifest) MANIFEST="$2"; shift 2 ;;
    --output) OUTPUT="$2"; shift 2 ;;
    --run-date) RUN_DATE="$2"; shift 2 ;;
    --dry-run) DRY=1; shift ;;
    *) echo "submit.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
for name in BUCKET REGION MANIFEST OUTPUT; do
  [[ -n "${!name}" ]] || { echo "submit.sh: --${name,,} is required" >&2; exit 2; }
done
run() { if [[ -n "$DRY" ]]; then printf '%q ' "$@"; echo; else "$@"; fi; }
TEMPLATE=$(mktemp)
sed -e "s|BUCKET|$BUCKET|g" -e "s|REGION|$REGION|g" "$HERE/workflow.yaml" > "$TEMPLATE"
run gsutil cp "$HERE/init.sh" "$HERE/../getGpusResources.sh" "$HERE/../../dist/weft_main.py" "$HERE/../../dist/weft-0.1.0.zip" \
  "$HERE/../../dist/weft-venv-0.1.0.tar.gz" "$HERE/../../configs/gpu.yaml" "gs://$BUCKET/weft/"
run gcloud dataproc workflow-templates instantiate-from-file --file="$TEMPLATE" --region="$REGION" \
  --parameters="MANIFEST=$MANIFEST,OUTPUT=${OUTPUT%/},RUN_DATE=$RUN_DATE"
if [[ -n "$DRY" ]]; then echo "# template: $TEMPLATE"; cat "$TEMPLATE"; fi
