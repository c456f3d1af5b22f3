#!/usr/bin/env bash
# Export the bundled style checkpoints into the app's style files (models/styles/*.onnx)
# with their int8 OpenVINO IR for CPUs, verified against torch on held-out photos; and
# each style's real-time CPU version (checkpoints/nano/NAME -> models/styles/NAME.cpu.onnx).
set -euo pipefail
cd "$(dirname "$0")/.."
CKPTS=${CKPTS:-models/styles/checkpoints}
CPU_CKPTS=${CPU_CKPTS:-$CKPTS/nano}
[ -d runs/photos_train ] || python scripts/split_photos.py ../shared/data/photos runs
for ckpt in "$CKPTS"/*.safetensors; do
  name=$(basename "$ckpt" .safetensors)
  stylecam export "$ckpt" -o "models/styles/$name.onnx" --int8 --calibration runs/photos_train \
    --images runs/photos_heldout --preview-image tests/data/astronaut.jpg
done
for ckpt in "$CPU_CKPTS"/*.safetensors; do
  [ -f "$ckpt" ] || continue
  name=$(basename "$ckpt" .safetensors)
  stylecam export "$ckpt" -o "models/styles/$name.cpu.onnx" --int8 --calibration runs/photos_train \
    --images runs/photos_heldout --preview-image tests/data/astronaut.jpg
done
