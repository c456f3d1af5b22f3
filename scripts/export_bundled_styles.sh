#!/usr/bin/env bash
# Export the bundled style checkpoints into the app's style files (models/styles/*.onnx)
# with their int8 OpenVINO IR for CPUs, verified against torch on held-out photos.
set -euo pipefail
cd "$(dirname "$0")/.."
CKPTS=${CKPTS:-models/styles/checkpoints}
[ -d runs/photos_train ] || python scripts/split_photos.py ../shared/data/photos runs
for ckpt in "$CKPTS"/*.safetensors; do
  name=$(basename "$ckpt" .safetensors)
  stylecam export "$ckpt" -o "models/styles/$name.onnx" --int8 --calibration runs/photos_train \
    --images runs/photos_heldout --preview-image tests/data/astronaut.jpg
done
