"""Milliseconds per frame of each inference engine on one style, beside its drift.

Engine-only figures (no decode/encode): every engine present on this machine, with the
OpenVINO int8 IR and the plain OpenVINO graph measured separately when both exist, on a
real photo fitted to each size. Drift is PSNR against ONNX Runtime CPU (the reference).

    python bench/bench_engines.py models/styles/starry_night.onnx --image photo.jpg
    python bench/bench_engines.py STYLE.onnx --sizes 480x640,720x1280 --runs 20

Not a test: it prints a table.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def ms_per_frame(engine: object, frame: np.ndarray, runs: int) -> float:
    engine.run(frame)
    engine.run(frame)
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        engine.run(frame)
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def main() -> int:
    from stylecam.export.images import fit, gradient, read_bgr
    from stylecam.export.verify import psnr
    from stylecam.models.runtime.engines import OpenVinoEngine, OrtEngine, available_engines, open_engine
    from stylecam.models.style.bundle import StyleBundle

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("style", type=Path)
    ap.add_argument("--image", type=Path, help="a photo (default: a generated gradient)")
    ap.add_argument("--sizes", default="480x640", help="comma-separated HxW")
    ap.add_argument("--runs", type=int, default=10)
    args = ap.parse_args()
    src = read_bgr(args.image) if args.image else gradient(480, 640)
    style = StyleBundle.open(args.style)
    engines: list[tuple[str, object]] = []
    for name in available_engines():
        if name == "openvino":
            engines.append(("openvino f32", OpenVinoEngine(style.choose("openvino", full_net=True, low_precision=False))))
            int8 = style.choose("openvino", full_net=True)
            if int8.variant.precision == "int8":
                engines.append(("openvino int8", OpenVinoEngine(int8)))
        else:
            engines.append((name, open_engine(style, name, full_net=True)))  # every engine on the same net
    reference = OrtEngine(args.style, "cpu")
    print(f"style {args.style.name}; engines present: {', '.join(available_engines())}")
    print(f"{'engine':<16}{'provider':<28}{'size':>10}{'ms/frame':>10}{'fps':>8}{'PSNR dB':>9}")
    for size in args.sizes.split(","):
        h, w = (int(v) for v in size.split("x"))
        frame = fit(src, h, w)
        ref = reference.run(frame)
        for label, eng in engines:
            ms = ms_per_frame(eng, frame, args.runs)
            print(f"{label:<16}{eng.provider:<28}{size:>10}{ms:>10.1f}{1000 / ms:>8.1f}{psnr(ref, eng.run(frame)):>9.2f}")
    auto = open_engine(args.style)
    print(f"auto chose: {auto.name} ({auto.provider})")
    for note in auto.notes:
        print(f"  {note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
