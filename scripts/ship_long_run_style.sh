#!/usr/bin/env bash
# Ship a style from the long run (issue 13, docs/fig5.md "Shipped from the long run"):
#  1. its johnson net (runs/styles_long/NAME/NAME.safetensors, trained by
#     scripts/train_styles_long.sh on the style's recipe in training/recipe.py STYLES), weights
#     and recipe only (the long run keeps its Adam state to resume), is the new full net;
#  2. the real-time CPU version, a `nano` net, is distilled from it (mean |student - teacher|
#     on 256 px crops, no VGG; runs/ship/nano/NAME.safetensors), then fine-tuned on the style's
#     own objective for FINETUNE CPU minutes (scripts/finetune_cpu_version.py: the recipe's
#     weights, relu4_3 x1000 and periodic penalty, which `stylecam train` cannot set;
#     runs/ship/nano_ft/NAME.safetensors); both stages resume, and refuse to resume work
#     made from an older net;
#  3. the quality guard (scripts/guard_cpu_version.py) checks the CPU version against the new
#     full net on the style's own objective; nothing under models/ changes before it passes;
#  4. both checkpoints go to models/styles/checkpoints/ and both nets are exported with their
#     int8 OpenVINO IR, verified against torch on held-out photos.
#
#   scripts/ship_long_run_style.sh NAME [DISTILL_ITERATIONS] [FINETUNE_CPU_MINUTES]
#                                  # defaults 400 (~25 min on one core) and 15
#
# CPU_INIT=CKPT makes the CPU version without step 2's distillation: the fine-tune starts from
# that `nano` net (another style's CPU version) instead. That is how houses_at_auvers shipped on
# 2026-12-02, from starry_night's CPU version, 45 CPU-min (docs/fig5.md, "A fifth style").
#
# CPU_VERSION=0 ships the full net alone and keeps the style's current CPU version (steps 1 and
# 4 only). That is how starry_night and great_wave shipped on 2026-12-01: the nano nets made by
# step 2 from the new johnson nets did not pass the guard (starry_night: 1.28x the full net's
# objective after 15 CPU-min of fine-tuning) and painted axis-aligned blocks (docs/fig5.md).
#
# When a new CPU version ships, the style's old johnson reference (checkpoints/johnson/NAME,
# trained on the old objective) is superseded by the new full net: remove it, or
# scripts/export_bundled_styles.sh would guard the new CPU version against it.
set -euo pipefail
cd "$(dirname "$0")/.."
NAME=${1:?usage: scripts/ship_long_run_style.sh NAME [DISTILL_ITERATIONS] [FINETUNE_CPU_MINUTES]}
DISTILL=${2:-400}
FINETUNE=${3:-15}
PAINTINGS=${PAINTINGS:-../shared/data/paintings}
PHOTOS=${PHOTOS:-runs/photos_train}
HELDOUT=${HELDOUT:-runs/photos_heldout}
LONG=${LONG:-runs/styles_long/$NAME/$NAME.safetensors}
PY=${PY:-.venv/bin/python}
STYLECAM=${STYLECAM:-.venv/bin/stylecam}
WORK=runs/ship
FULL=$WORK/$NAME.full.safetensors            # the new full net, weights only
DISTILLED=$WORK/nano/$NAME.safetensors
TUNED=$WORK/nano_ft/$NAME.safetensors
CPU=$WORK/nano_ft/$NAME.weights.safetensors  # the CPU version, weights only
[ -f "$LONG" ] || { echo "$LONG: no long-run checkpoint (run scripts/train_styles_long.sh first)" >&2; exit 1; }
[ -d "$PHOTOS" ] || "$PY" scripts/split_photos.py ../shared/data/photos runs
mkdir -p "$WORK"
{ read -r title; read -r painting; } < <("$PY" - "$LONG" <<'EOF'
import sys
from stylecam.models.nets.checkpoint import read_metadata
m = read_metadata(sys.argv[1])
print(m["style"]["title"])
print(m["recipe"]["style_image"])
EOF
)

weights_only() {  # SRC DST: the net and its recipe, without the Adam state (a third of the size)
  "$PY" scripts/weights_only.py "$1" "$2"
}

ship() {  # CKPT FILE_STEM [SUBFOLDER]: into models/styles/checkpoints/, then exported with its int8 IR
  local dest=models/styles/checkpoints/${3:+$3/}${2%.cpu}.safetensors
  mkdir -p "$(dirname "$dest")"
  cp "$1" "$dest"
  "$STYLECAM" export "$dest" -o "models/styles/$2.onnx" --int8 --calibration "$PHOTOS" --images "$HELDOUT" \
    --preview-image tests/data/astronaut.jpg
}

# 1. the full net, weights and recipe only
weights_only "$LONG" "$FULL"

if [ "${CPU_VERSION:-1}" = 0 ]; then
  ship "$FULL" "$NAME"
  exit 0
fi

# 2. the CPU version: distilled (resumes only from a distillation of this very teacher), then fine-tuned;
#    or, with CPU_INIT, fine-tuned from that net
if [ -n "${CPU_INIT:-}" ]; then
  [ -f "$CPU_INIT" ] || { echo "$CPU_INIT: CPU_INIT names no checkpoint" >&2; exit 1; }
  DISTILLED=$CPU_INIT
else
  resume=()
  if [ -f "$DISTILLED" ]; then
    "$PY" - "$DISTILLED" "$FULL" <<'EOF'
import sys
from stylecam.models.nets.checkpoint import read_metadata
had, now = read_metadata(sys.argv[1]).get("teacher") or {}, read_metadata(sys.argv[2])
if had.get("iteration") != now.get("iteration"):
    sys.exit(f"{sys.argv[1]}: distilled from a teacher at iteration {had.get('iteration')}, but the long run's net "
             f"is at {now.get('iteration')}; delete runs/ship/nano/{now['style']['name']}.* and "
             "runs/ship/nano_ft/ to start the CPU version again")
EOF
    resume=(--resume "$DISTILLED")
  fi
  "$STYLECAM" train "$PAINTINGS/$painting" --data "$PHOTOS" --name "$NAME" --title "$title" --out "$WORK/nano" \
    --arch nano --teacher "$FULL" --content-weight 0 --style-weight 0 --tv-weight 0 \
    --image-size 256 --batch-size 8 --iterations "$DISTILL" --preview-every 100 --checkpoint-every 25 \
    --log-every 25 ${resume[@]+"${resume[@]}"}
fi
"$PY" scripts/finetune_cpu_version.py "$NAME" --init "$DISTILLED" --minutes "$FINETUNE" --out "$WORK/nano_ft" \
  --data "$PHOTOS" --paintings "$PAINTINGS"
weights_only "$TUNED" "$CPU"

# 3. the guard, against the new full net (exit 1: nothing under models/ has changed)
"$PY" scripts/guard_cpu_version.py "$CPU" "$FULL" --style-checkpoint "$FULL" --paintings "$PAINTINGS" \
  --photos "$HELDOUT"

# 4. ship: both checkpoints, both nets exported
ship "$FULL" "$NAME"
ship "$CPU" "$NAME.cpu" nano
