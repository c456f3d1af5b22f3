#!/usr/bin/env bash
# Train the bundled styles on two CPU cores, round-robin, so that every style always
# has a usable checkpoint and the whole set can be resumed in a later session.
#
#   scripts/train_bundled_styles.sh [FINAL_ITERATIONS] [ROUND]
#
# Each round continues every style by ROUND iterations from its last checkpoint
# (weights, Adam state and iteration are in the checkpoint), up to FINAL_ITERATIONS.
# The exact command of each run is recorded inside its checkpoint.
set -euo pipefail
cd "$(dirname "$0")/.."
FINAL=${1:-3000}
ROUND=${2:-300}
PAINTINGS=${PAINTINGS:-../shared/data/paintings}
PHOTOS=${PHOTOS:-runs/photos_train}
OUT=${OUT:-models/styles/checkpoints}
ARCH=${ARCH:-lite}
STYLE_WEIGHT=${STYLE_WEIGHT:-5e-5}
TV_WEIGHT=${TV_WEIGHT:-1e-5}

STYLES=(
  "starry_night|The Starry Night (van Gogh)|starry_night_van_gogh.png"
  "the_scream|The Scream (Munch)|the_scream_munch.png"
  "great_wave|The Great Wave off Kanagawa (Hokusai)|great_wave_hokusai.png"
  "composition_viii|Composition VIII (Kandinsky)|composition_viii_kandinsky.png"
)

meta_of() {  # CKPT FIELD DEFAULT: one field of a checkpoint's metadata, DEFAULT if unreadable
  python - "$1" "$2" "$3" <<'PY'
import sys
from stylecam.models.nets.checkpoint import read_metadata
try:
    print(read_metadata(sys.argv[1])[sys.argv[2]])
except Exception:
    print(sys.argv[3])
PY
}

[ -d runs/photos_train ] || python scripts/split_photos.py ../shared/data/photos runs

target=$ROUND
while [ "$target" -le "$FINAL" ]; do
  for entry in "${STYLES[@]}"; do
    IFS='|' read -r name title file <<<"$entry"
    # ONLY="a b" trains a subset, so two processes can share the styles (one per core).
    if [ -n "${ONLY:-}" ] && [[ " $ONLY " != *" $name "* ]]; then continue; fi
    ckpt="$OUT/$name.safetensors"
    done_its=0
    if [ -f "$ckpt" ] && [ "$(meta_of "$ckpt" arch "")" != "$ARCH" ]; then
      # starry_night and great_wave ship a johnson net from the long run (scripts/train_styles_long.sh,
      # scripts/ship_long_run_style.sh); this script would otherwise resume it as a $ARCH net
      echo "train_bundled_styles: $name's checkpoint is not a $ARCH net ($(meta_of "$ckpt" arch "")); skipped" >&2
      continue
    fi
    [ -f "$ckpt" ] && done_its=$(meta_of "$ckpt" iteration 0)
    [ "$done_its" -ge "$target" ] && continue
    resume=()
    [ -f "$ckpt" ] && resume=(--resume "$ckpt")
    stylecam train "$PAINTINGS/$file" --data "$PHOTOS" --name "$name" --title "$title" --out "$OUT" \
      --arch "$ARCH" --image-size 160 --batch-size 2 --style-size 256 --style-weight "$STYLE_WEIGHT" --tv-weight "$TV_WEIGHT" \
      --iterations "$target" --preview-every 100 --checkpoint-every 50 "${resume[@]}"
  done
  target=$((target + ROUND))
done
