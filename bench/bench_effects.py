"""Milliseconds per frame of each post-processing effect (app/effects.py) at 720p and 480p.

The effects run on every frame after the net, in the live app and in batch; a Python loop
over pixels would take seconds where these take milliseconds. This was an assert in
tests/test_effects.py; speed is measured here instead (tests never time the machine).

    python bench/bench_effects.py [--runs 50]

Not a test: it prints a table; other load on the machine raises every figure.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from stylecam.app import effects  # noqa: E402


def median_ms(fn: Callable[[], object], runs: int) -> float:
    fn()  # warm-up (first-call allocations)
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1000


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=50, help="timed runs per effect and size")
    args = ap.parse_args(argv)
    rng = np.random.default_rng(0)
    print("| effect | 1280x720 ms | 640x480 ms |\n|---|---|---|")
    frames = {}
    for w, h in ((1280, 720), (640, 480)):
        frames[w] = (rng.integers(0, 256, (h, w, 3), dtype=np.uint8), rng.integers(0, 256, (h, w, 3), dtype=np.uint8))
    cases: dict[str, Callable[[np.ndarray, np.ndarray], object]] = {
        "blend (strength 0.7)": lambda a, b: effects.blend(a, b, 0.7),
        "preserve_colors": effects.preserve_colors,
        "resize to half and back": lambda a, b: effects.resize(effects.resize(a, a.shape[1] // 2, a.shape[0] // 2),
                                                               a.shape[1], a.shape[0]),
    }
    for name, fn in cases.items():
        cells = [f"{median_ms(lambda a=a, b=b, fn=fn: fn(a, b), args.runs):.2f}" for a, b in frames.values()]
        print(f"| {name} | {' | '.join(cells)} |")
    print(f"\nMedian of {args.runs} runs after one warm-up, random uint8 BGR frames, one process "
          f"(numpy/OpenCV threads as configured).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
