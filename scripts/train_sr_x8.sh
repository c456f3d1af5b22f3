#!/bin/bash
# x8, short (not shipped; docs/upscale.md): the sr net on the pixel loss, then the feature loss. Resumable: rerun.
set -e
cd "$(dirname "$0")/.."
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
common="--arch sr --factor 8 --data /work/shared/data/photos --exclude skimage_* --exclude misc_* --image-size 96 --batch-size 4 --lr 1e-4 --precision fp32 --out runs/sr/h16 --checkpoint-every 50 --preview-every 1000 --log-every 25"
P=runs/sr/h16/sr_x8_pixel.safetensors
R=""; [ -f $P ] && R="--resume $P"
nice -n 10 .venv/bin/stylecam train-sr $common --loss pixel --iterations ${PIT:-400} --name sr_x8_pixel $R 
F=runs/sr/h16/sr_x8.safetensors
R="--init $P"; [ -f $F ] && R="--resume $F"
exec nice -n 10 .venv/bin/stylecam train-sr $common --loss feature --iterations ${FIT:-300} --name sr_x8 $R
