"""The CPU net, lever by lever: how each change from `lite` to `nano` pays at 640x480.

    python bench/bench_cpu_nets.py [--size 640x480] [--runs 30]

Each row is a transform net (random weights: speed does not depend on their values)
exported exactly as `stylecam export` does (uint8 BGR frame in and out, BGR<->RGB folded
into the convolutions) and compiled by OpenVINO on the CPU for a static 640x480 frame,
as the `openvino` engine runs it. Rows are cumulative: each adds one change to the row
above, ending at `nano` as shipped. Prints the median and best of N timed runs after 5
warm-up runs, multiply-adds per pixel and parameters. Needs the `train` extra (torch).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import openvino as ov  # noqa: E402
import torch  # noqa: E402

from stylecam.export.onnx_export import FrameModule, _export_graph  # noqa: E402
from stylecam.models.nets.transform import lite, multiply_adds_per_pixel, nano  # noqa: E402

# (label, factory, config): cumulative changes from lite to nano
STEPS = [
    ("lite (as shipped)", lite, {}),
    ("+ separable output conv", lite, {"separable_output": True}),
    ("+ separable stride-2 encoder convs", lite, {"separable_output": True, "separable_encoder": True}),
    ("+ 3x3 first conv (was 5x5)", lite, {"separable_output": True, "separable_encoder": True, "first_kernel": 3}),
    ("+ 1x1 before the upsampling (pointwise_first)", lite,
     {"separable_output": True, "separable_encoder": True, "first_kernel": 3, "upsample": "pointwise_first"}),
    ("+ sub-pixel smoothing, cast to bytes before the shuffle", lite,
     {"separable_output": True, "separable_encoder": True, "first_kernel": 3, "upsample": "pointwise_first",
      "smooth": "subpixel"}),
    ("+ 4 residual blocks (was 5) = nano", nano, {}),
    ("nano with 3 residual blocks (not shipped)", nano, {"blocks": 3}),
]


def time_net(net: torch.nn.Module, frame: np.ndarray, runs: int, tmp: Path) -> list[float]:
    path = tmp / "net.onnx"
    _export_graph(FrameModule(net.eval()), path)
    core = ov.Core()
    model = core.read_model(str(path))
    model.reshape({model.inputs[0]: list(frame.shape)})
    compiled = core.compile_model(model, "CPU", {"PERFORMANCE_HINT": "LATENCY", "INFERENCE_PRECISION_HINT": "f32"})
    request = compiled.create_infer_request()
    for _ in range(5):
        request.infer({0: frame})
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        request.infer({0: frame})
        times.append((time.perf_counter() - t) * 1000)
    return times


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--size", default="640x480")
    p.add_argument("--runs", type=int, default=30)
    args = p.parse_args()
    w, h = (int(v) for v in args.size.split("x"))
    frame = np.random.default_rng(0).integers(0, 256, (h, w, 3), dtype=np.uint8)
    print(f"OpenVINO {ov.__version__} CPU, f32, static {w}x{h}, {args.runs} runs after 5 warm-up; "
          f"torch {torch.__version__}\n")
    print("| net | multiply-adds / pixel | parameters | median ms | best ms | fps (engine) |")
    print("|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for label, factory, config in STEPS:
            torch.manual_seed(0)
            net = factory(**config)
            times = time_net(net, frame, args.runs, Path(tmp))
            med = statistics.median(times)
            print(f"| {label} | {multiply_adds_per_pixel(net):.0f} | {sum(q.numel() for q in net.parameters()):,} | "
                  f"{med:.1f} | {min(times):.1f} | {1000 / med:.0f} |", flush=True)


if __name__ == "__main__":
    main()
