"""Super-resolution nets (torch): the paper's ``sr`` net and a real-time ``srfast`` for CPUs.

Convention shared with the style nets: input RGB in [0, 1], NCHW float; output RGB in
roughly [0, 1] (clamped only at export), exactly ``factor`` times the input's height and
width, odd sizes included.

- ``sr`` (Johnson et al. 2016, supplementary Table 2): a 9x9 conv and residual blocks at
  the *low* resolution, then log2(f) learned x2 stages, then a 9x9 conv to RGB. Most of
  its arithmetic is at the output resolution (the x2 stages and the last conv), which is
  what makes it slow on CPUs (~100 GMAC for 320x240 -> 1280x960).
- ``srfast``: every layer at the *input* resolution (depthwise-separable residual
  blocks), and a sub-pixel output (Shi et al. 2016, "ESPCN"): the last conv predicts the
  f*f sub-pixels of every output pixel, which a pixel shuffle rearranges. A fixed-shape
  skip path (a 5x5 conv per colour, initialised to bicubic interpolation weights) makes
  the untrained net a bicubic upscaler, so training only learns the detail on top.

Neither net uses a data-dependent normalisation at inference (batch norm is an affine
map in eval mode; ``srfast`` has none): overlapping tiles of a large frame then give the
same pixels as the whole frame, which is what makes tiling seamless.
"""

from __future__ import annotations

import copy
import math
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from stylecam.models.nets.layers import (
    ConvLayer,
    ConvNormReLU,
    NormReLU,
    PixelShuffle,
    ResidualBlocks,
    SeparableConv,
    scaled_tanh,
    table_of,
    upsampling,
)

FACTORS = (2, 4, 8)


def _check_factor(factor: int) -> int:
    if factor not in FACTORS:
        raise ValueError(f"factor must be one of {FACTORS}, not {factor!r}")
    return int(factor)


def _check_norm(kind: str) -> str:
    if kind not in ("batch", "none"):
        raise ValueError(f"SR nets take norm 'batch' or 'none', not {kind!r} (instance norm would make tiles disagree)")
    return kind


class UpsamplingStages(nn.Sequential):
    """log2(f) learned x2 stages, each an upsampling conv, then norm and ReLU."""

    def __init__(self, count: int, channels: int, norm: str, upsample: str) -> None:
        super().__init__(*(m for _ in range(count) for m in (upsampling(upsample, channels, channels),
                                                             *NormReLU(norm, channels))))

    def describe(self) -> list[str]:
        return [row for m in self if hasattr(m, "describe") for row in m.describe()]


class SRNet(nn.Module):
    """The paper's super-resolution net: low-resolution body, log2(f) x2 stages, 9x9 to RGB.

    Its table (x4; ``table()``), plus, by default, a bicubic x4 of the input added to the
    output (the skip):

    ======  ================================================  ===============================
    layer   ``create_model("sr")``                            ``variant="paper"`` (Table 2)
    ======  ================================================  ===============================
    head    64 × 9 × 9 conv, stride 1                         64 × 9 × 9 conv, stride 1
    res     residual block, 64 filters (x4)                   residual block, 64 filters (x4)
    up      x2 nearest upsampling, 64 × 3 × 3 conv, stride 1  64 × 3 × 3 conv, stride 1/2
            (x2)                                              (x2)
    out     3 × 9 × 9 conv, stride 1                          3 × 9 × 9 conv, stride 1
    ======  ================================================  ===============================
    """

    TABLE = (
        "64 × 9 × 9 conv, stride 1",
        *["residual block, 64 filters"] * 4,
        *["x2 nearest upsampling, 64 × 3 × 3 conv, stride 1"] * 2,
        "3 × 9 × 9 conv, stride 1",
    )
    PAPER_TABLE = (*TABLE[:5], *["64 × 3 × 3 conv, stride 1/2"] * 2, TABLE[-1])
    subpixel_output = False

    def __init__(self, factor: int, channels: int, blocks: int, norm: str, upsample: str, output: str,
                 skip: str = "none") -> None:
        super().__init__()
        self.factor = _check_factor(factor)
        if skip not in ("none", "bicubic"):
            raise ValueError(f"skip must be 'none' or 'bicubic', not {skip!r}")
        if skip == "bicubic" and output == "tanh":
            raise ValueError("skip='bicubic' adds to a linear output; it cannot be combined with output='tanh'")
        self.skip = skip
        _check_norm(norm)
        self.head = ConvNormReLU(ConvLayer(3, channels, 9), norm)
        self.res = ResidualBlocks(channels, blocks, norm)
        self.up = UpsamplingStages(int(math.log2(self.factor)), channels, norm, upsample)
        self.out = ConvLayer(channels, 3, 9)
        if output not in ("linear", "tanh"):
            raise ValueError(f"output must be 'linear' or 'tanh', not {output!r}")
        self.output = output
        if skip == "bicubic":
            with torch.no_grad():  # the untrained net is exactly bicubic interpolation
                self.out.conv.weight.zero_()
                self.out.conv.bias.zero_()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.out(self.up(self.res(self.head(x))))
        if self.skip == "bicubic":
            y = y + F.interpolate(x, scale_factor=float(self.factor), mode="bicubic", align_corners=False)
        if self.output == "tanh":
            y = scaled_tanh(y)
        return y

    def table(self) -> list[str]:
        return table_of(self)

    def swap_colours(self) -> SRNet:
        """A copy that maps BGR to BGR (first conv's inputs and last conv's outputs reversed):
        exact, and free at run time, unlike a channel flip in the exported graph."""
        net = copy.deepcopy(self)
        first, last = net.head.first_conv, net.out.conv
        with torch.no_grad():
            first.weight.copy_(first.weight.flip(1))
            last.weight.copy_(last.weight.flip(0))
            last.bias.copy_(last.bias.flip(0))
        return net


def bicubic_subpixel_kernels(factor: int, a: float = -0.75) -> torch.Tensor:
    """f*f 5x5 kernels: kernel i*f+j gives output sub-pixel (i, j) of a pixel by bicubic
    interpolation (Keys' kernel, a = -0.75 as OpenCV and PyTorch use) of its 5x5
    neighbourhood. Output pixel f*y+i has its centre at input y + (2i+1-f)/(2f)."""

    def keys(t: float) -> float:
        t = abs(t)
        if t <= 1:
            return (a + 2) * t**3 - (a + 3) * t**2 + 1
        if t < 2:
            return a * t**3 - 5 * a * t**2 + 8 * a * t - 4 * a
        return 0.0

    taps = torch.zeros(factor, 5)
    for i in range(factor):
        d = (2 * i + 1 - factor) / (2 * factor)
        for k in range(5):
            taps[i, k] = keys(k - 2 - d)
        taps[i] /= taps[i].sum()
    return torch.einsum("ik,jl->ijkl", taps, taps).reshape(factor * factor, 5, 5)


class BicubicSkip(nn.Sequential):
    """A per-colour 5x5 conv from the input to its f*f sub-pixel planes (replication-padded),
    initialised to bicubic interpolation weights."""

    def __init__(self, factor: int) -> None:
        super().__init__(nn.ReplicationPad2d(2), nn.Conv2d(3, 3 * factor**2, 5, groups=3))

    @property
    def conv(self) -> nn.Conv2d:
        return self[1]

    def describe(self) -> list[str]:
        return [f"{self.conv.out_channels} × 5 × 5 conv per colour, from the input (bicubic skip, added)"]


class SRFastNet(nn.Module):
    """Real-time CPU upscaler: every layer at the input resolution, sub-pixel output.

    out = pixel_shuffle(learned(x) + skip(x)), where ``skip`` is a per-colour 5x5 conv to
    the f*f sub-pixel planes that starts as bicubic interpolation (and is trained too).
    Channel c*f*f + i*f + j of the planes is sub-pixel (i, j) of colour c, pixel_shuffle's order.
    Its table (x4, ``table()``):

    ======  ========================================================================
    layer   row
    ======  ========================================================================
    head    16 × 3 × 3 conv, stride 1  (then ReLU)
    res     residual block, 16 filters, separable (x4)
    out     48 × 3 × 3 separable conv, stride 1  (3 colours x 4x4 sub-pixels)
    skip    48 × 5 × 5 conv per colour, from the input (bicubic skip, added)
    pixels  pixel shuffle x4  (the exporter does it on bytes: ``forward_subpixels``)
    ======  ========================================================================
    """

    TABLE = (
        "16 × 3 × 3 conv, stride 1",
        *["residual block, 16 filters, separable"] * 4,
        "48 × 3 × 3 separable conv, stride 1",
        "48 × 5 × 5 conv per colour, from the input (bicubic skip, added)",
        "pixel shuffle x4",
    )
    subpixel_output = True

    def __init__(self, factor: int, channels: int, blocks: int) -> None:
        super().__init__()
        self.factor = _check_factor(factor)
        self.shuffle = self.factor
        planes = 3 * self.factor**2
        self.head = ConvNormReLU(ConvLayer(3, channels, 3), norm=None)
        self.res = ResidualBlocks(channels, blocks, norm=None, separable=True)
        self.out = SeparableConv(channels, planes)
        self.skip = BicubicSkip(self.factor)
        self.pixels = PixelShuffle(self.factor)
        with torch.no_grad():
            # The learned path starts at zero, so the untrained net is exactly the bicubic skip.
            self.out.last_conv.weight.zero_()
            self.out.last_conv.bias.zero_()
            kernels = bicubic_subpixel_kernels(self.factor)
            self.skip.conv.weight.copy_(kernels.repeat(3, 1, 1).unsqueeze(1))
            self.skip.conv.bias.zero_()

    def forward_subpixels(self, x: torch.Tensor) -> torch.Tensor:
        """The output before the pixel shuffle: N x 3*f*f x H x W (see the exporter)."""
        return self.out(self.res(self.head(x))) + self.skip(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pixels(self.forward_subpixels(x))

    def table(self) -> list[str]:
        return table_of(self)

    def swap_colours(self) -> SRFastNet:
        """A copy that maps BGR to BGR: the head's input channels flipped, and the colour
        *blocks* of sub-pixel planes of the learned and skip paths reversed."""
        net = copy.deepcopy(self)
        n = self.factor**2
        order = torch.cat([torch.arange(b * n, (b + 1) * n) for b in (2, 1, 0)])
        with torch.no_grad():
            first = net.head.first_conv
            first.weight.copy_(first.weight.flip(1))
            for conv in (net.out.last_conv, net.skip.conv):
                conv.weight.copy_(conv.weight[order])
                conv.bias.copy_(conv.bias[order])
        return net


# Johnson et al. 2016, supplementary material, Table 2 (x4: 64 channels, 4 residual blocks,
# two x2 stages, 9x9 first and last convs; batch norm; scaled tanh). Our defaults keep the
# shape and batch norm, and use nearest-upsample + conv and a linear output (as the style
# nets do), plus a global bicubic skip (the net learns the residual over bicubic, as in
# Kim et al. 2016, "VDSR"): the paper trains 200k iterations, our two shared CPU cores
# manage a few hundred, and from scratch the net stays far below bicubic in that time
# (PSNR ~14 dB after 40 iterations, measured), while with the skip it starts at bicubic.
# variant="paper" selects transposed convs and tanh, without the skip.
SR_DEFAULTS: dict[str, Any] = {"factor": 4, "channels": 64, "blocks": 4, "norm": "batch",
                               "upsample": "nearest", "output": "linear", "skip": "bicubic"}
SR_PAPER: dict[str, Any] = {"upsample": "transposed", "output": "tanh", "skip": "none"}

# The CPU real-time net. Width and depth chosen by timing 320x240 -> 1280x960 in OpenVINO
# on the project machine (2 shared cores, under load; best of 12): 8 channels and no
# blocks (the bicubic skip, the uint8 sub-pixel rearrangement and the I/O) 37 ms, 16
# channels x 4 blocks 61 ms, 32 x 4 twice that. The H.264 encoder needs ~38 ms of a
# 1280x960 frame at the same time, so 16 x 4 is what leaves room for 15 frames/s end to end.
SRFAST_DEFAULTS: dict[str, Any] = {"factor": 4, "channels": 16, "blocks": 4}


def _build(cls: type[nn.Module], defaults: dict[str, Any], config: dict[str, Any]) -> nn.Module:
    unknown = set(config) - set(defaults)
    if unknown:
        raise TypeError(f"unknown config keys: {', '.join(sorted(unknown))}")
    merged = {**defaults, **config}
    net = cls(**merged)
    net.config = merged  # recorded in checkpoints so the net can be rebuilt exactly
    return net


def sr(**config: Any) -> SRNet:
    """The paper's SR net (``factor`` 2, 4 or 8); ``variant="paper"`` = transposed convs + tanh."""
    if config.pop("variant", None) == "paper":
        config = {**SR_PAPER, **config}
    return _build(SRNet, SR_DEFAULTS, config)


def srfast(**config: Any) -> SRFastNet:
    """The real-time CPU upscaler: all layers at the input resolution, sub-pixel output."""
    return _build(SRFastNet, SRFAST_DEFAULTS, config)


def is_upscaler(net: nn.Module) -> bool:
    return isinstance(net, (SRNet, SRFastNet))
