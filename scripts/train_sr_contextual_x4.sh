#!/bin/bash
# x4 contextual: the shipped feature net's recipe (init: the pixel net at 258 its, 64 px, batch 4,
# lr 1e-4, TV 1e-6), --loss contextual, 273 iterations like the feature net. Resumable: rerun.
cd "$(dirname "$0")/.."
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
C=runs/sr/sr_x4_contextual.safetensors
R="--init runs/sr/sr_x4_pixel.safetensors"; [ -f $C ] && R="--resume $C"
exec nice -n 10 .venv/bin/stylecam train-sr --arch sr --factor 4 --data /work/shared/data/photos --exclude 'skimage_*' --exclude 'misc_*' \
  --loss contextual --image-size 64 --batch-size 4 --lr 1e-4 --tv-weight 1e-6 --iterations 273 --name sr_x4_contextual --out runs/sr \
  --checkpoint-every 25 --preview-every 1000 --log-every 10 $R
