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
# A CPU version is exported only if it passes the quality guard (within 15% of the
# johnson reference's objective on held-out photos, else of the full net's; README,
# "Quality guard against johnson"). GUARD=0 skips the guard (a few minutes per style).
rejected=()
for ckpt in "$CPU_CKPTS"/*.safetensors; do
  [ -f "$ckpt" ] || continue
  name=$(basename "$ckpt" .safetensors)
  reference="$CKPTS/johnson/$name.safetensors"
  [ -f "$reference" ] || reference="$CKPTS/$name.safetensors"
  if [ "${GUARD:-1}" != 0 ] && ! python scripts/guard_cpu_version.py "$ckpt" "$reference" \
      --style-checkpoint "$CKPTS/$name.safetensors"; then
    rejected+=("$name")
    continue
  fi
  stylecam export "$ckpt" -o "models/styles/$name.cpu.onnx" --int8 --calibration runs/photos_train \
    --images runs/photos_heldout --preview-image tests/data/astronaut.jpg
done
if [ ${#rejected[@]} -gt 0 ]; then
  echo "not exported (outside the quality guard): ${rejected[*]}" >&2
  exit 1
fi
