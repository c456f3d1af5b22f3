"""Training throughput, fp32 against bf16 autocast, and whether the loss curves agree.

    python bench/bench_training.py [--iterations 30] [--size 160] [--batch 2] [--arch lite johnson]

Prints images/s per architecture and precision, and the loss (averaged over windows)
of both precisions from the same seed, so bf16 is used only where it is faster *and*
follows the fp32 curve.
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

from stylecam.training.loop import Trainer, TrainOptions, cpu_has_bf16  # noqa: E402
from stylecam.training.recipe import Recipe  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"


def run(arch: str, precision: str, args: argparse.Namespace, out: Path) -> tuple[float, list[float]]:
    recipe = Recipe(arch=arch, image_size=args.size, batch_size=args.batch, iterations=args.iterations, seed=0)
    opts = TrainOptions(style_image=args.style, data=args.data, name=f"{arch}_{precision}", out=out, recipe=recipe,
                        device="cpu", precision=precision, preview_every=10**9, checkpoint_every=10**9,
                        log_every=max(1, args.iterations // 3), progress=False)
    trainer = Trainer(opts)
    trainer.recipe.iterations = 2  # warm-up (allocator, oneDNN kernels) not timed
    trainer.run()
    trainer.history.clear()
    trainer.recipe.iterations = 2 + args.iterations
    t0 = time.perf_counter()
    trainer.run()
    seconds = time.perf_counter() - t0
    return args.iterations * args.batch / seconds, [h["total"] for h in trainer.history]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--iterations", type=int, default=30)
    p.add_argument("--size", type=int, default=160)
    p.add_argument("--batch", type=int, default=2)
    p.add_argument("--arch", nargs="+", default=["lite", "johnson"])
    p.add_argument("--data", type=Path, default=SHARED / "photos" if (SHARED / "photos").is_dir() else ROOT / "tests" / "data")
    p.add_argument("--style", type=Path, default=SHARED / "paintings" / "starry_night_van_gogh.png")
    args = p.parse_args()
    out = Path("/tmp/stylecam-bench-training")
    print(f"machine: {platform.processor() or platform.machine()}, {torch.get_num_threads()} threads, "
          f"torch {torch.__version__}, CPU bf16 instructions: {cpu_has_bf16()}")
    print(f"{args.size}px crops, batch {args.batch}, {args.iterations} timed iterations after 2 warm-up\n")
    print("| arch | precision | images/s | speed vs fp32 | loss by window (same seed) |")
    print("|---|---|---|---|---|")
    for arch in args.arch:
        base = None
        for precision in ("fp32", "bf16"):
            rate, curve = run(arch, precision, args, out)
            base = base or rate
            print(f"| {arch} | {precision} | {rate:.2f} | {rate / base:.2f}x | "
                  + ", ".join(f"{v:.4g}" for v in curve) + " |", flush=True)


if __name__ == "__main__":
    main()
