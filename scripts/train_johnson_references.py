"""Train the `johnson` reference net of each bundled style by replaying, step for step, the
commands that trained its `lite` net (read from the lite checkpoint's metadata): the same
painting, photos, crops, batch, seed, iterations and the same style-weight changes at the
same iterations, with only the architecture changed. The quality guard
(``stylecam.training.quality_guard``: run by scripts/export_bundled_styles.sh before a CPU
version is exported, reported by bench/bench_realtime.py section 5) compares the CPU
versions against these.

    python scripts/train_johnson_references.py [NAME ...] [--threads N] [--dry-run]

Resumable: each run continues from models/styles/checkpoints/johnson/NAME.safetensors,
skipping the segments it has done. Costs about 2.7 s an iteration with 2 threads on the
project machine (1,500 iterations: about 70 minutes a style).
"""

from __future__ import annotations

import argparse
import os
import shlex
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from stylecam.models.nets.checkpoint import read_metadata  # noqa: E402

LITE = ROOT / "models" / "styles" / "checkpoints"
OUT = LITE / "johnson"
STYLES = ("starry_night", "the_scream", "great_wave", "composition_viii")


def segments(lite_ckpt: Path) -> list[tuple[list[str], int]]:
    """(stylecam arguments, iteration it stopped at) for every run of the lite net, in order."""
    meta = read_metadata(lite_ckpt)
    runs = [*meta.get("earlier_commands", []), {"command": meta["command"], "until_iteration": meta["iteration"]}]
    return [(shlex.split(r["command"])[1:], int(r["until_iteration"])) for r in runs]


def johnson_args(args: list[str], until: int, out: Path, resume: Path | None) -> list[str]:
    """The same command for the johnson net: --arch, --out, --resume and --iterations replaced."""
    drop = {"--arch", "--out", "--resume", "--iterations"}
    kept, skip = [], False
    for a in args:
        if skip:
            skip = False
            continue
        if a in drop:
            skip = True
            continue
        kept.append(a)
    kept += ["--arch", "johnson", "--out", str(out), "--iterations", str(until)]
    return kept + (["--resume", str(resume)] if resume else [])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("names", nargs="*", default=list(STYLES))
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1, help="torch threads for each run")
    ap.add_argument("--dry-run", action="store_true", help="print the commands, run nothing")
    args = ap.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    stylecam = [sys.executable, "-m", "stylecam"]
    for name in args.names:
        target = OUT / f"{name}.safetensors"
        for run_args, until in segments(LITE / f"{name}.safetensors"):
            done = int(read_metadata(target)["iteration"]) if target.is_file() else 0
            if done >= until:
                continue
            rel = target.relative_to(ROOT)  # relative paths: the recorded commands work in any checkout
            cmd = johnson_args(run_args, until, rel.parent, rel if target.is_file() else None)
            print("+ stylecam " + shlex.join(cmd), flush=True)
            if args.dry_run:
                continue
            env = {**os.environ, "OMP_NUM_THREADS": str(args.threads)}
            code = subprocess.call([*stylecam, *cmd], cwd=ROOT, env=env)
            if code != 0:
                return code
    return 0


if __name__ == "__main__":
    sys.exit(main())
