#!/usr/bin/env bash
# Improve a style's shipped real-time CPU version in place (issue 13, docs/fig5.md "The CPU
# versions, fine-tuned on the new objectives"): the shipped `nano` net
# (models/styles/checkpoints/nano/NAME.safetensors) is fine-tuned on its style's own objective
# (training/recipe.py STYLES, as the full net was trained: the recipe's weights, relu4_3 x1000,
# the periodic penalty) for MINUTES CPU minutes, and replaces the shipped one only if it
# scores no worse on held-out photos. Same architecture, so the same speed.
#
#   scripts/ship_cpu_finetune.sh NAME [MINUTES]      # default 20; resumable (run it again,
#                                                    # with more MINUTES to go on)
#   PERIODIC=1e10 TOLERANCE=0.02 scripts/ship_cpu_finetune.sh NAME 10
#                                                    # against the grid: the penalty on the
#                                                    # grid-locked tile raised from the recipe's
#                                                    # 1e9 (docs/fig5.md, "Round two: more CPU
#                                                    # time, and the grid")
# Once shipped, the fine-tune under runs/ship/cpu_ft/ no longer matches its --init (the shipped
# file is now its result): finetune_cpu_version.py says so; delete runs/ship/cpu_ft/NAME* to
# fine-tune the new one again.
#
# Why not distil from the new full net first (scripts/ship_long_run_style.sh)? That was tried
# for starry_night: 15 CPU-min of fine-tuning after distillation left it at 1.28x the full
# net's objective and painting axis-aligned blocks. The old CPU versions already paint; they
# were trained on the old, content-heavy objective, so they lose to the unmodified photo on
# some photos of the new one. Starting from them costs no distillation.
#
# Two guards, on the style's own objective over the held-out photos at 640x480:
#  - against the CPU version it replaces, tolerance TOLERANCE (default 0; must pass: nothing
#    under models/ changes otherwise). The objective does not count the grid, so a run that
#    raises PERIODIC trades a little of it for a weaker pattern: TOLERANCE says how much, and
#    a third guard (`guard_cpu_version.py --pattern`, must pass) checks that the pattern is
#    weaker where the Fig. 5 bench measures it;
#  - against the full net, the usual 15% (reported; the old CPU versions did not pass it
#    either against the new full nets).
# The new net is exported (and checked against torch) in a scratch folder first; only then do
# the checkpoint and the style files move into models/. The style's old johnson reference
# (checkpoints/johnson/NAME, trained on the old objective) is then superseded by the full net,
# which is johnson too, and is removed, as scripts/ship_long_run_style.sh prescribes.
set -euo pipefail
cd "$(dirname "$0")/.."
NAME=${1:?usage: scripts/ship_cpu_finetune.sh NAME [MINUTES]}
MINUTES=${2:-20}
PERIODIC=${PERIODIC:-}    # empty: the recipe's periodic weight
TOLERANCE=${TOLERANCE:-0}
echo "ship_cpu_finetune: $NAME, $MINUTES CPU-min, periodic weight ${PERIODIC:-of the recipe}, tolerance $TOLERANCE against the shipped net"
PAINTINGS=${PAINTINGS:-../shared/data/paintings}
PHOTOS=${PHOTOS:-runs/photos_train}
HELDOUT=${HELDOUT:-runs/photos_heldout}
PY=${PY:-.venv/bin/python}
STYLECAM=${STYLECAM:-.venv/bin/stylecam}
SHIPPED=models/styles/checkpoints/nano/$NAME.safetensors
FULL=models/styles/checkpoints/$NAME.safetensors
WORK=runs/ship/cpu_ft
TUNED=$WORK/$NAME.safetensors
CPU=$WORK/$NAME.weights.safetensors
OUT=$WORK/export_$NAME
[ -f "$SHIPPED" ] || { echo "$SHIPPED: no shipped CPU version to fine-tune" >&2; exit 1; }
[ -f "$FULL" ] || { echo "$FULL: no full net (its recipe defines the objective)" >&2; exit 1; }
{ [ -d "$PHOTOS" ] && [ -d "$HELDOUT" ]; } || "$PY" scripts/split_photos.py ../shared/data/photos runs
mkdir -p "$WORK"

"$PY" scripts/finetune_cpu_version.py "$NAME" --init "$SHIPPED" --minutes "$MINUTES" --out "$WORK" \
  --data "$PHOTOS" --paintings "$PAINTINGS" ${PERIODIC:+--periodic-weight "$PERIODIC"}
"$PY" scripts/weights_only.py "$TUNED" "$CPU"

guard() {  # REFERENCE TOLERANCE
  "$PY" scripts/guard_cpu_version.py "$CPU" "$1" --style-checkpoint "$FULL" --paintings "$PAINTINGS" \
    --photos "$HELDOUT" --tolerance "$2"
}
guard "$FULL" 0.15 || echo "ship_cpu_finetune: $NAME is still more than 15% above its full net (reported, not required)"
guard "$SHIPPED" "$TOLERANCE" || { echo "ship_cpu_finetune: $NAME: the fine-tuned net scores more than $TOLERANCE worse than the shipped one; nothing shipped" >&2; exit 1; }
if [ -n "$PERIODIC" ]; then
  "$PY" scripts/guard_cpu_version.py "$CPU" "$SHIPPED" --photos "$HELDOUT" --pattern ||
    { echo "ship_cpu_finetune: $NAME: the pattern is not weaker than the shipped net's; nothing shipped" >&2; exit 1; }
fi

rm -rf "$OUT"; mkdir -p "$OUT"
"$STYLECAM" export "$CPU" -o "$OUT/$NAME.cpu.onnx" --int8 --calibration "$PHOTOS" --images "$HELDOUT" \
  --preview-image tests/data/astronaut.jpg
for f in "$OUT/$NAME".cpu.*; do mv -f "$f" "models/styles/$(basename "$f")"; done
cp "$CPU" "$SHIPPED.tmp" && mv -f "$SHIPPED.tmp" "$SHIPPED"
rm -f "models/styles/checkpoints/johnson/$NAME.safetensors"
echo "ship_cpu_finetune: shipped models/styles/$NAME.cpu.onnx and $SHIPPED"
