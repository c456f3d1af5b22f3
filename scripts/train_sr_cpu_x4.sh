#!/bin/bash
# The shipped real-time CPU upscaler (models/upscalers/sr_x4.cpu.onnx), as trained on 2026-12-01:
# stage A, srfast x4 on the pixel loss over its bicubic skip (6,000 iterations); stage B, the
# feature loss + pixel + grid terms from stage A (the shipped file stopped at iteration 796:
# ITERS_B, default 796). Each stage resumes when rerun. Then: stylecam export runs/sr/h16/sr_x4_cpu.safetensors
set -e
cd "$(dirname "$0")/.."
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
CK=runs/sr/h16/sr_x4_cpu_pixel.safetensors
R=""; [ -f $CK ] && R="--resume $CK"
nice -n 10 .venv/bin/stylecam train-sr --arch srfast --factor 4 --data /work/shared/data/photos \
  --exclude 'skimage_*' --exclude 'misc_*' --loss pixel --image-size 128 --batch-size 8 --lr 1e-3 \
  --precision fp32 --iterations ${ITERS:-6000} --name sr_x4_cpu_pixel --out runs/sr/h16 \
  --checkpoint-every 200 --preview-every 1000 --log-every 100 $R
NAME=${NAME:-sr_x4_cpu}
CK=runs/sr/h16/$NAME.safetensors
R="--init runs/sr/h16/sr_x4_cpu_pixel.safetensors"; [ -f $CK ] && R="--resume $CK"
exec nice -n 10 .venv/bin/stylecam train-sr --arch srfast --factor 4 --data /work/shared/data/photos \
  --exclude 'skimage_*' --exclude 'misc_*' --loss feature --pixel-weight ${PW:-1e7} --grid-weight ${GW:-1e4} \
  --image-size 96 --batch-size 4 --lr ${LR:-1e-4} --precision fp32 --iterations ${ITERS_B:-796} --name $NAME \
  --out runs/sr/h16 --checkpoint-every 100 --preview-every 500 --log-every 50 $R
