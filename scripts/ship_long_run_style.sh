#!/usr/bin/env bash
# Ship a style from the long run (issue 13, docs/fig5.md "Shipped from the long run"):
#  1. its johnson net (runs/styles_long/NAME/NAME.safetensors, trained by
#     scripts/train_styles_long.sh on the style's recipe in training/recipe.py STYLES) becomes
#     the style's full net: models/styles/checkpoints/NAME.safetensors, weights and recipe
#     only (the long run keeps its Adam state to resume);
#  2. the real-time CPU version, a `nano` net, is distilled from it (mean |student - teacher|
#     on 256 px crops, no VGG; runs/ship/nano/NAME.safetensors), then fine-tuned on the style's
#     own objective for FINETUNE CPU minutes (scripts/finetune_cpu_version.py: the recipe's
#     weights, relu4_3 x1000 and periodic penalty, which `stylecam train` cannot set;
#     runs/ship/nano_ft/NAME.safetensors); both stages resume;
#  3. the quality guard (scripts/guard_cpu_version.py) checks the CPU version against the new
#     full net on the style's own objective; only then
#  4. both are exported with their int8 OpenVINO IR, verified against torch on held-out photos.
#
#   scripts/ship_long_run_style.sh NAME [DISTILL_ITERATIONS] [FINETUNE_CPU_MINUTES]
#                                  # defaults 600 (~30 min on one core) and 15
#
# The old johnson reference of the style (checkpoints/johnson/NAME.safetensors, trained on the
# old objective) is superseded by the new full net; remove it so that the guard uses the new one.
set -euo pipefail
cd "$(dirname "$0")/.."
NAME=${1:?usage: scripts/ship_long_run_style.sh NAME [DISTILL_ITERATIONS] [FINETUNE_CPU_MINUTES]}
DISTILL=${2:-600}
FINETUNE=${3:-15}
PAINTINGS=${PAINTINGS:-../shared/data/paintings}
PHOTOS=${PHOTOS:-runs/photos_train}
LONG=${LONG:-runs/styles_long/$NAME/$NAME.safetensors}
PY=${PY:-.venv/bin/python}
STYLECAM=${STYLECAM:-.venv/bin/stylecam}
FULL=models/styles/checkpoints/$NAME.safetensors
NANO_RUN=runs/ship/nano
[ -f "$LONG" ] || { echo "$LONG: no long-run checkpoint (run scripts/train_styles_long.sh first)" >&2; exit 1; }
[ -d "$PHOTOS" ] || "$PY" scripts/split_photos.py ../shared/data/photos runs
{ read -r title; read -r painting; } < <("$PY" - "$LONG" <<'EOF'
import sys
from stylecam.models.nets.checkpoint import read_metadata
m = read_metadata(sys.argv[1])
print(m["style"]["title"])
print(m["recipe"]["style_image"])
EOF
)

weights_only() {  # SRC DST: the net and its recipe, without the Adam state (a third of the size)
  "$PY" - "$1" "$2" <<'EOF'
import sys
from stylecam.models.nets import checkpoint
ck = checkpoint.load(sys.argv[1])
checkpoint.save(sys.argv[2], ck.net, {k: v for k, v in ck.meta.items() if k not in ("format", "format_version")})
print(f"wrote {sys.argv[2]} ({ck.meta['arch']}, iteration {ck.meta['iteration']})")
EOF
}

# 1. the full net, weights and recipe only
weights_only "$LONG" "$FULL"

# 2. the CPU version, distilled (resumes from its last checkpoint)
ckpt=$NANO_RUN/$NAME.safetensors
resume=()
[ -f "$ckpt" ] && resume=(--resume "$ckpt")
"$STYLECAM" train "$PAINTINGS/$painting" --data "$PHOTOS" --name "$NAME" --title "$title" --out "$NANO_RUN" \
  --arch nano --teacher "$FULL" --content-weight 0 --style-weight 0 --tv-weight 0 \
  --image-size 256 --batch-size 8 --iterations "$DISTILL" --preview-every 100 --checkpoint-every 25 \
  --log-every 25 "${resume[@]}"
"$PY" scripts/finetune_cpu_version.py "$NAME" --init "$ckpt" --minutes "$FINETUNE" --out runs/ship/nano_ft
mkdir -p models/styles/checkpoints/nano
weights_only "runs/ship/nano_ft/$NAME.safetensors" "models/styles/checkpoints/nano/$NAME.safetensors"

# 3. the guard, against the new full net
"$PY" scripts/guard_cpu_version.py "models/styles/checkpoints/nano/$NAME.safetensors" "$FULL" --style-checkpoint "$FULL"

# 4. export both
"$STYLECAM" export "$FULL" -o "models/styles/$NAME.onnx" --int8 --calibration runs/photos_train \
  --images runs/photos_heldout --preview-image tests/data/astronaut.jpg
"$STYLECAM" export "models/styles/checkpoints/nano/$NAME.safetensors" -o "models/styles/$NAME.cpu.onnx" --int8 \
  --calibration runs/photos_train --images runs/photos_heldout --preview-image tests/data/astronaut.jpg
