"""The CPU nets (torch): ``lite`` and ``nano``, the paper's shape made cheap for a CPU.

Both start with a stride-2 conv, so the whole net runs at half the frame's resolution or
less, and end with a conv that predicts 2x2 sub-pixels of every pixel (a pixel shuffle,
Shi et al. 2016; ICNR-initialised): no feature map ever has the frame's full size, which
is what bounds speed on CPUs (memory traffic, not multiply-adds). A 3x3 smoothing conv
lets neighbouring sub-pixels agree (no 2x2 grid).
"""

from __future__ import annotations

import torch
from torch import nn

from stylecam.models.nets.base import StyleNet
from stylecam.models.nets.layers import (
    ConvLayer,
    ConvNormReLU,
    NormReLU,
    PixelShuffle,
    PointwiseFirstUpsample,
    ResidualBlocks,
    SeparableConv,
    UpsampleConv,
    icnr_,
)

SUBPIXELS = 2  # the output's pixel-shuffle factor: 3 * 2 * 2 = 12 sub-pixel planes


class LiteNet(StyleNet):
    """The light CPU net: half of johnson's widths, separable residual and upsampling convs,
    the stride-2 start and sub-pixel end. About 1/60 of johnson's multiply-adds. Its table:

    ======  ==========================================================
    layer   row (each encoder row then norm, ReLU; post1/post2 after up1/up2)
    ======  ==========================================================
    enc1    16 × 5 × 5 conv, stride 2
    enc2    32 × 3 × 3 conv, stride 2
    enc3    64 × 3 × 3 conv, stride 2
    res     residual block, 64 filters, separable (x5)
    up1     x2 nearest upsampling, 32 × 3 × 3 separable conv, stride 1
    up2     x2 nearest upsampling, 16 × 3 × 3 separable conv, stride 1
    out     12 × 3 × 3 conv, stride 1  (3 colours x 2x2 sub-pixels)
    pixels  pixel shuffle x2
    smooth  3 × 3 × 3 conv, stride 1  (on the full-size frame)
    ======  ==========================================================
    """

    TABLE = (
        "16 × 5 × 5 conv, stride 2",
        "32 × 3 × 3 conv, stride 2",
        "64 × 3 × 3 conv, stride 2",
        *["residual block, 64 filters, separable"] * 5,
        "x2 nearest upsampling, 32 × 3 × 3 separable conv, stride 1",
        "x2 nearest upsampling, 16 × 3 × 3 separable conv, stride 1",
        "12 × 3 × 3 conv, stride 1",
        "pixel shuffle x2",
        "3 × 3 × 3 conv, stride 1",
    )
    shuffle = SUBPIXELS

    def __init__(self, channels: tuple[int, int, int] = (16, 32, 64), blocks: int = 5) -> None:
        super().__init__()
        c1, c2, c3 = channels
        self.config = {"channels": tuple(channels), "blocks": blocks}
        self.enc1 = ConvNormReLU(ConvLayer(3, c1, 5, stride=2), "instance")
        self.enc2 = ConvNormReLU(ConvLayer(c1, c2, 3, stride=2), "instance")
        self.enc3 = ConvNormReLU(ConvLayer(c2, c3, 3, stride=2), "instance")
        self.res = ResidualBlocks(c3, blocks, "instance", separable=True)
        self.up1 = UpsampleConv(c3, c2, separable=True)
        self.post1 = NormReLU("instance", c2)
        self.up2 = UpsampleConv(c2, c1, separable=True)
        self.post2 = NormReLU("instance", c1)
        self.out = ConvLayer(c1, 3 * SUBPIXELS**2, 3)
        self.pixels = PixelShuffle(SUBPIXELS)
        self.smooth = ConvLayer(3, 3, 3)
        icnr_(self.out.conv.weight, SUBPIXELS)

    @property
    def output_conv(self) -> nn.Conv2d:
        return self.smooth.conv

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.smooth(self.pixels(self.out(self.features(x)), x))


class NanoNet(StyleNet):
    """The CPU real-time net: lite with every convolution made cheap where it costs *time*
    on a CPU rather than where it costs multiply-adds. Measured per layer with OpenVINO on
    the project machine at 640x480 (lite 36 ms -> nano 17 ms, f32; bench/bench_cpu_nets.py):

    - a 3x3 first conv (a 5x5 on the full frame cost 2.3 ms);
    - separable stride-2 encoder convs and a separable output conv (the 3x3 16->12 output
      conv alone cost 5.2 ms);
    - upsampling with the 1x1 channel mix before the resize (``PointwiseFirstUpsample``);
    - four residual blocks instead of five;
    - smoothing on the sub-pixel planes before the shuffle (a separable 3x3: grouped or
      full 3x3 convs on 12 channels ran 3-5 ms at 640x480 in OpenVINO, this ~1), so the
      exported graph rounds and casts at half resolution and rearranges bytes (the
      full-resolution smoothing conv, shuffle and transpose cost 5-6 ms in float).

    Trained by distillation from a lite (or johnson) style, see training/recipe.py. Its table:

    ======  =====================================================================
    layer   row
    ======  =====================================================================
    enc1    16 × 3 × 3 conv, stride 2  (then norm, ReLU, as every encoder row)
    enc2    32 × 3 × 3 separable conv, stride 2
    enc3    64 × 3 × 3 separable conv, stride 2
    res     residual block, 64 filters, separable (x4)
    up1     32 × 1 × 1 conv, x2 nearest upsampling, 32 × 3 × 3 depthwise conv, stride 1
    up2     16 × 1 × 1 conv, x2 nearest upsampling, 16 × 3 × 3 depthwise conv, stride 1
    out     12 × 3 × 3 separable conv, stride 1  (3 colours x 2x2 sub-pixels)
    smooth  12 × 3 × 3 separable conv, stride 1  (on the sub-pixel planes)
    pixels  pixel shuffle x2  (the exporter does it on bytes: ``forward_subpixels``)
    ======  =====================================================================
    """

    TABLE = (
        "16 × 3 × 3 conv, stride 2",
        "32 × 3 × 3 separable conv, stride 2",
        "64 × 3 × 3 separable conv, stride 2",
        *["residual block, 64 filters, separable"] * 4,
        "32 × 1 × 1 conv, x2 nearest upsampling, 32 × 3 × 3 depthwise conv, stride 1",
        "16 × 1 × 1 conv, x2 nearest upsampling, 16 × 3 × 3 depthwise conv, stride 1",
        "12 × 3 × 3 separable conv, stride 1",
        "12 × 3 × 3 separable conv, stride 1",
        "pixel shuffle x2",
    )
    shuffle = SUBPIXELS
    subpixel_output = True

    def __init__(self, channels: tuple[int, int, int] = (16, 32, 64), blocks: int = 4) -> None:
        super().__init__()
        c1, c2, c3 = channels
        planes = 3 * SUBPIXELS**2
        self.config = {"channels": tuple(channels), "blocks": blocks}
        self.enc1 = ConvNormReLU(ConvLayer(3, c1, 3, stride=2), "instance")
        self.enc2 = ConvNormReLU(SeparableConv(c1, c2, 3, stride=2), "instance")
        self.enc3 = ConvNormReLU(SeparableConv(c2, c3, 3, stride=2), "instance")
        self.res = ResidualBlocks(c3, blocks, "instance", separable=True)
        self.up1 = PointwiseFirstUpsample(c3, c2)
        self.post1 = NormReLU("instance", c2)
        self.up2 = PointwiseFirstUpsample(c2, c1)
        self.post2 = NormReLU("instance", c1)
        self.out = SeparableConv(c1, planes)
        self.smooth = SeparableConv(planes, planes)
        self.pixels = PixelShuffle(SUBPIXELS)
        icnr_(self.out.last_conv.weight, SUBPIXELS)

    @property
    def output_conv(self) -> nn.Conv2d:
        return self.smooth.last_conv

    def forward_subpixels(self, x: torch.Tensor) -> torch.Tensor:
        return self.smooth(self.out(self.features(x)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pixels(self.forward_subpixels(x), x)


def lite(**config: object) -> LiteNet:
    """``create_model("lite")``: the light CPU net."""
    return LiteNet(**config)


def nano(**config: object) -> NanoNet:
    """``create_model("nano")``: the CPU real-time net."""
    return NanoNet(**config)
