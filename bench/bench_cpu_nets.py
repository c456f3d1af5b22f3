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

from stylecam.export.onnx_export import FrameModule, export_graph  # noqa: E402
from stylecam.models.nets import layers  # noqa: E402
from stylecam.models.nets.base import StyleNet, multiply_adds_per_pixel  # noqa: E402
from stylecam.models.nets.cpu_nets import LiteNet, NanoNet  # noqa: E402
from stylecam.models.runtime.engines import ov_core  # noqa: E402


class LeverNet(StyleNet):
    """lite with some of nano's levers pulled: the rows between the two shipped nets. Built
    here from the shared layers, because these nets exist only to be timed (not registered)."""

    shuffle = 2

    def __init__(self, separable_output: bool = False, separable_encoder: bool = False, first_kernel: int = 5,
                 pointwise_first: bool = False, subpixel_smoothing: bool = False) -> None:
        super().__init__()
        c1, c2, c3 = 16, 32, 64
        down = layers.SeparableConv if separable_encoder else layers.ConvLayer
        self.config = {}
        self.enc1 = layers.ConvNormReLU(layers.ConvLayer(3, c1, first_kernel, stride=2), "instance")
        self.enc2 = layers.ConvNormReLU(down(c1, c2, 3, stride=2), "instance")
        self.enc3 = layers.ConvNormReLU(down(c2, c3, 3, stride=2), "instance")
        self.res = layers.ResidualBlocks(c3, 5, "instance", separable=True)
        self.up1 = layers.PointwiseFirstUpsample(c3, c2) if pointwise_first else layers.UpsampleConv(c3, c2, separable=True)
        self.post1 = layers.NormReLU("instance", c2)
        self.up2 = layers.PointwiseFirstUpsample(c2, c1) if pointwise_first else layers.UpsampleConv(c2, c1, separable=True)
        self.post2 = layers.NormReLU("instance", c1)
        self.out = layers.SeparableConv(c1, 12) if separable_output else layers.ConvLayer(c1, 12, 3)
        self.subpixel_output = subpixel_smoothing
        self.smooth = layers.SeparableConv(12, 12) if subpixel_smoothing else layers.ConvLayer(3, 3, 3)
        self.pixels = layers.PixelShuffle(2)

    @property
    def output_conv(self) -> torch.nn.Conv2d:
        return self.smooth.last_conv

    def forward_subpixels(self, x: torch.Tensor) -> torch.Tensor:
        return self.smooth(self.out(self.features(x)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.subpixel_output:
            return self.pixels(self.forward_subpixels(x), x)
        return self.smooth(self.pixels(self.out(self.features(x)), x))


# (label, class, levers): cumulative changes from lite to nano
STEPS = [
    ("lite (as shipped)", LiteNet, {}),
    ("+ separable output conv", LeverNet, {"separable_output": True}),
    ("+ separable stride-2 encoder convs", LeverNet, {"separable_output": True, "separable_encoder": True}),
    ("+ 3x3 first conv (was 5x5)", LeverNet, {"separable_output": True, "separable_encoder": True, "first_kernel": 3}),
    ("+ 1x1 before the upsampling (pointwise_first)", LeverNet,
     {"separable_output": True, "separable_encoder": True, "first_kernel": 3, "pointwise_first": True}),
    ("+ sub-pixel smoothing, cast to bytes before the shuffle", LeverNet,
     {"separable_output": True, "separable_encoder": True, "first_kernel": 3, "pointwise_first": True,
      "subpixel_smoothing": True}),
    ("+ 4 residual blocks (was 5) = nano", NanoNet, {}),
    ("nano with 3 residual blocks (not shipped)", NanoNet, {"blocks": 3}),
]


def time_net(net: torch.nn.Module, frame: np.ndarray, runs: int, tmp: Path) -> list[float]:
    path = tmp / "net.onnx"
    export_graph(FrameModule(net.eval()), path)
    core = ov_core()
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
