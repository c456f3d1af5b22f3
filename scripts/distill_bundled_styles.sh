#!/usr/bin/env bash
# Make the CPU real-time version of each bundled style, a `nano` net, in two stages:
#  1. distillation: reproduce the style's `lite` net (mean |student - teacher|, no VGG:
#     ~0.7 s per batch of 8 at 256 px on one core here) for DISTILL iterations;
#  2. fine-tuning on the style's own perceptual loss (the lite recipe's final weights:
#     content 1, style 1e-5, TV 1e-5, 160 px crops, batch 2) for FINETUNE more, which
#     brings back the brush texture that a pixel loss learns slowly;
#  3. POLISH more of the same at a third of the learning rate (3e-4): at 1e-3 the loss
#     had stopped falling, and the lower rate took the_scream's held-out loss at 640x480
#     down 1.4% in 300 iterations;
#  4. SCALE more at 320 px crops (same weights, lr 3e-4), about 8 s an iteration on one
#     core: the CPU version works on 640x480 frames, where content is 2-3 times larger in
#     pixels than in 160 px crops. 50 such iterations took the_scream's held-out loss at
#     640x480 down a further 2.1%.
#
#   scripts/distill_bundled_styles.sh [DISTILL] [FINETUNE] [POLISH] [SCALE] [GROW]
#
# Resumable: a style continues from its last checkpoint (weights, Adam state, iteration).
# ONLY="a b" distils a subset, so two processes can share the styles (one per core):
#   OMP_NUM_THREADS=1 ONLY="starry_night the_scream" scripts/distill_bundled_styles.sh &
#   OMP_NUM_THREADS=1 ONLY="great_wave composition_viii" scripts/distill_bundled_styles.sh &
set -euo pipefail
cd "$(dirname "$0")/.."
DISTILL=${1:-500}
FINETUNE=${2:-400}
POLISH=${3:-300}
SCALE=${4:-50}
GROW=${5:-600}
GROW_TO=${GROW_TO:-6}
GROW_ONLY=${GROW_ONLY:-composition_viii}
PAINTINGS=${PAINTINGS:-../shared/data/paintings}
PHOTOS=${PHOTOS:-runs/photos_train}
TEACHERS=${TEACHERS:-models/styles/checkpoints}
OUT=${OUT:-models/styles/checkpoints/nano}
STYLECAM=${STYLECAM:-stylecam}

STYLES=(
  "starry_night|The Starry Night (van Gogh)|starry_night_van_gogh.png"
  "the_scream|The Scream (Munch)|the_scream_munch.png"
  "great_wave|The Great Wave off Kanagawa (Hokusai)|great_wave_hokusai.png"
  "composition_viii|Composition VIII (Kandinsky)|composition_viii_kandinsky.png"
)

[ -d "$PHOTOS" ] || python scripts/split_photos.py ../shared/data/photos runs

for entry in "${STYLES[@]}"; do
  IFS='|' read -r name title file <<<"$entry"
  if [ -n "${ONLY:-}" ] && [[ " $ONLY " != *" $name "* ]]; then continue; fi
  ckpt="$OUT/$name.safetensors"
  done_its=0
  [ -f "$ckpt" ] && done_its=$(python -c "import sys; from stylecam.models.nets.checkpoint import read_metadata as r; print(r(sys.argv[1])['iteration'])" "$ckpt")
  resume=()
  [ -f "$ckpt" ] && resume=(--resume "$ckpt")
  if [ "$done_its" -lt "$DISTILL" ]; then
    "$STYLECAM" train "$PAINTINGS/$file" --data "$PHOTOS" --name "$name" --title "$title" --out "$OUT" \
      --arch nano --teacher "$TEACHERS/$name.safetensors" --content-weight 0 --style-weight 0 --tv-weight 0 \
      --image-size 256 --batch-size 8 --iterations "$DISTILL" --preview-every 250 --checkpoint-every 50 \
      --log-every 50 "${resume[@]}"
    done_its=$DISTILL
    resume=(--resume "$ckpt")
  fi
  final=$((DISTILL + FINETUNE))
  if [ "$done_its" -lt "$final" ]; then
    "$STYLECAM" train "$PAINTINGS/$file" --data "$PHOTOS" --name "$name" --title "$title" --out "$OUT" \
      --arch nano --image-size 160 --batch-size 2 --style-size 256 --content-weight 1 --style-weight 1e-5 \
      --tv-weight 1e-5 --iterations "$final" --preview-every 100 --checkpoint-every 50 --log-every 50 "${resume[@]}"
    done_its=$final
    resume=(--resume "$ckpt")
  fi
  if [ "$done_its" -lt "$((final + POLISH))" ]; then
    "$STYLECAM" train "$PAINTINGS/$file" --data "$PHOTOS" --name "$name" --title "$title" --out "$OUT" \
      --arch nano --image-size 160 --batch-size 2 --style-size 256 --content-weight 1 --style-weight 1e-5 \
      --tv-weight 1e-5 --lr 3e-4 --iterations "$((final + POLISH))" --preview-every 100 --checkpoint-every 50 \
      --log-every 50 "${resume[@]}"
    done_its=$((final + POLISH))
    resume=(--resume "$ckpt")
  fi
  if [ "$done_its" -lt "$((final + POLISH + SCALE))" ]; then
    "$STYLECAM" train "$PAINTINGS/$file" --data "$PHOTOS" --name "$name" --title "$title" --out "$OUT" \
      --arch nano --image-size 320 --batch-size 2 --style-size 256 --content-weight 1 --style-weight 1e-5 \
      --tv-weight 1e-5 --lr 3e-4 --iterations "$((final + POLISH + SCALE))" --preview-every 100 \
      --checkpoint-every 25 --log-every 25 "${resume[@]}"
    done_its=$((final + POLISH + SCALE))
    resume=(--resume "$ckpt")
  fi
  if [[ " $GROW_ONLY " == *" $name "* ]] && [ "$done_its" -lt "$((final + POLISH + SCALE + GROW))" ]; then
    "$STYLECAM" train "$PAINTINGS/$file" --data "$PHOTOS" --name "$name" --title "$title" --out "$OUT" \
      --arch nano --image-size 320 --batch-size 2 --style-size 256 --content-weight 1 --style-weight 1e-5 \
      --tv-weight 1e-5 --lr 3e-4 --grow-blocks "$GROW_TO" --iterations "$((final + POLISH + SCALE + GROW))" \
      --preview-every 100 --checkpoint-every 25 --log-every 25 "${resume[@]}"
  fi
done
