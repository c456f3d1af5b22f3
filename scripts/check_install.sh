#!/usr/bin/env bash
# A non-editable install in a fresh venv, as a user gets it from `pip install .`:
# the command works outside the repository, finds its bundled styles, stylizes a clip,
# and pulls in no torch. CI runs this beside the test suite.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
PY=${PYTHON:-python3}
"$PY" -m venv "$work/venv"
"$work/venv/bin/python" -m pip install --disable-pip-version-check -q "$repo" >"$work/pip.log" 2>&1 \
  || { grep -v -i "warning: location" "$work/pip.log" >&2; echo "check_install: pip install . failed" >&2; exit 1; }
cd "$work"  # away from the checkout, so nothing is imported from its folders
bin="$work/venv/bin"
"$bin/stylecam" --help >/dev/null
styles=$("$bin/stylecam" styles)  # captured: grep -q would close the pipe early (SIGPIPE under pipefail)
grep -q starry_night <<<"$styles"
"$bin/python" "$repo/scripts/make_demo_clip.py" demo.mp4 --seconds 1 >/dev/null
"$bin/stylecam" stylize demo.mp4 --style starry_night -o out.mp4
test -s out.mp4
if "$bin/python" -c "import torch" 2>/dev/null; then
  echo "check_install: torch was installed by 'pip install .'" >&2; exit 1
fi
for name in app models training export; do
  if "$bin/python" -c "import $name" 2>/dev/null; then
    echo "check_install: the install exposes a top-level '$name' package" >&2; exit 1
  fi
done
echo "check_install: pip install . works (stylecam --help, styles, stylize; no torch; one import name)"
