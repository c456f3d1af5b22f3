#!/usr/bin/env bash
# The long run of issue 13 (docs/fig5.md, "The long run"): every bundled style, johnson net,
# its recipe in training/recipe.py STYLES, round-robin under growing CPU budgets, in the
# background at nice 10 on one thread. Resumable: run this same command again (a running
# copy holds runs/styles_long/.lock, so a second one exits at once).
#
#   scripts/train_styles_long.sh [extra args for scripts/train_styles_long.py]
#   tail -f runs/styles_long/train.log          # progress
#   kill "$(cat runs/styles_long/pid)"          # stop (it saves a checkpoint first)
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p runs/styles_long
exec 9>runs/styles_long/.lock
if ! flock -n 9; then
  echo "train_styles_long: already running (pid $(cat runs/styles_long/pid 2>/dev/null))" >&2
  exit 1
fi
OMP_NUM_THREADS=1 nohup nice -n 10 .venv/bin/python scripts/train_styles_long.py --threads 1 "$@" \
  >>runs/styles_long/train.log 2>&1 &
echo $! > runs/styles_long/pid
echo "train_styles_long: started pid $!, log runs/styles_long/train.log"
