"""Transform nets (torch): the paper's ``johnson`` net and a light ``lite`` net for CPUs.

Convention shared by every net: input is RGB in [0, 1], NCHW float; output is RGB in
roughly [0, 1] (clamped only at export), with exactly the input's height and width,
odd sizes included. Upsampling resizes to the size of the matching encoder feature map
rather than by a fixed factor, which is what makes odd sizes come back exact.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from models.registry import register


def _norm(kind: str, channels: int) -> nn.Module:
    if kind == "instance":
        return nn.InstanceNorm2d(channels, affine=True)
    if kind == "batch":
        return nn.BatchNorm2d(channels)
    raise ValueError(f"norm must be 'instance' or 'batch', not {kind!r}")


class ConvLayer(nn.Sequential):
    """Reflection padding + convolution: no dark borders from zero padding."""

    def __init__(self, cin: int, cout: int, kernel: int, stride: int = 1, groups: int = 1) -> None:
        super().__init__(
            nn.ReflectionPad2d(kernel // 2),
            nn.Conv2d(cin, cout, kernel, stride=stride, groups=groups),
        )


class SeparableConv(nn.Sequential):
    """Depthwise 3x3 then pointwise 1x1: about 1/8 of a full 3x3 convolution's work."""

    def __init__(self, cin: int, cout: int) -> None:
        super().__init__(ConvLayer(cin, cin, 3, groups=cin), nn.Conv2d(cin, cout, 1))


class ResidualBlock(nn.Module):
    def __init__(self, channels: int, norm: str, separable: bool = False) -> None:
        super().__init__()
        conv = (lambda: SeparableConv(channels, channels)) if separable else (
            lambda: ConvLayer(channels, channels, 3)
        )
        self.body = nn.Sequential(
            conv(), _norm(norm, channels), nn.ReLU(inplace=True), conv(), _norm(norm, channels)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


class Upsample(nn.Module):
    """x2 up to an exact target size, then a convolution.

    ``mode="nearest"`` is nearest-neighbour resize + conv (Odena et al. 2016, no
    checkerboard); ``mode="transposed"`` is the paper's fractionally-strided conv.
    """

    def __init__(self, cin: int, cout: int, mode: str, separable: bool = False) -> None:
        super().__init__()
        self.mode = mode
        if mode == "nearest":
            self.conv = SeparableConv(cin, cout) if separable else ConvLayer(cin, cout, 3)
        elif mode == "transposed":
            self.conv = nn.ConvTranspose2d(cin, cout, 3, stride=2, padding=1, output_padding=1)
        else:
            raise ValueError(f"upsample must be 'nearest' or 'transposed', not {mode!r}")

    def forward(self, x: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
        size = like.shape[-2:]
        if self.mode == "nearest":
            return self.conv(F.interpolate(x, size=size, mode="nearest"))
        return self.conv(x)[..., : size[0], : size[1]]


def _icnr_(weight: torch.Tensor, scale: int) -> None:
    """ICNR init (Aitken et al. 2017): every sub-pixel starts as a copy of the same
    kernel, so a pixel-shuffle output starts free of checkerboard patterns."""
    out_ch = weight.shape[0] // scale**2
    base = torch.empty(out_ch, *weight.shape[1:])
    nn.init.kaiming_uniform_(base, a=5**0.5)
    with torch.no_grad():
        weight.copy_(base.repeat_interleave(scale**2, dim=0))


class TransformNet(nn.Module):
    """Encoder (two stride-2 convs), residual blocks, decoder (two x2 stages)."""

    def __init__(
        self,
        channels: tuple[int, int, int],
        blocks: int,
        first_kernel: int,
        last_kernel: int,
        norm: str,
        upsample: str,
        output: str,
        separable: bool,
        first_stride: int = 1,
    ) -> None:
        super().__init__()
        c1, c2, c3 = channels
        self.enc1 = nn.Sequential(ConvLayer(3, c1, first_kernel, first_stride), _norm(norm, c1), nn.ReLU(inplace=True))
        self.enc2 = nn.Sequential(ConvLayer(c1, c2, 3, 2), _norm(norm, c2), nn.ReLU(inplace=True))
        self.enc3 = nn.Sequential(ConvLayer(c2, c3, 3, 2), _norm(norm, c3), nn.ReLU(inplace=True))
        self.res = nn.Sequential(*(ResidualBlock(c3, norm, separable) for _ in range(blocks)))
        self.up1 = Upsample(c3, c2, upsample, separable)
        self.post1 = nn.Sequential(_norm(norm, c2), nn.ReLU(inplace=True))
        self.up2 = Upsample(c2, c1, upsample, separable)
        self.post2 = nn.Sequential(_norm(norm, c1), nn.ReLU(inplace=True))
        # first_stride=2 runs the whole net at half resolution or less; the last conv then
        # predicts 2x2 sub-pixels (pixel shuffle) so no feature map ever has full size,
        # which is what bounds speed on CPUs (memory traffic, not multiply-adds).
        self.shuffle = first_stride
        self.out = ConvLayer(c1, 3 * first_stride**2, last_kernel)
        if first_stride > 1:
            _icnr_(self.out[1].weight, first_stride)
            # A 3x3 conv after the shuffle lets neighbouring sub-pixels agree (no 2x2 grid);
            # on 3 channels it costs 81 multiply-adds per pixel.
            self.smooth = ConvLayer(3, 3, 3)
        if output not in ("linear", "tanh"):
            raise ValueError(f"output must be 'linear' or 'tanh', not {output!r}")
        self.output = output

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        e1 = self.enc1(x)
        e2 = self.enc2(e1)
        y = self.res(self.enc3(e2))
        y = self.post1(self.up1(y, e2))
        y = self.post2(self.up2(y, e1))
        y = self.out(y)
        if self.shuffle > 1:
            y = self.smooth(F.pixel_shuffle(y, self.shuffle)[..., : x.shape[-2], : x.shape[-1]])
        if self.output == "tanh":
            # The paper's "scaled tanh" keeps outputs in range; mapped to [0, 1] here.
            y = (torch.tanh(y) + 1.0) / 2.0
        return y


JOHNSON_DEFAULTS: dict[str, Any] = {
    "first_stride": 1,
    "channels": (32, 64, 128),
    "blocks": 5,
    "first_kernel": 9,
    "last_kernel": 9,
    "norm": "instance",
    "upsample": "nearest",
    "output": "linear",
    "separable": False,
}

# The paper's exact variant (Johnson et al. 2016, supplementary material, Table 1).
JOHNSON_PAPER = {"norm": "batch", "upsample": "transposed", "output": "tanh"}

# A light net for CPUs: half of johnson's widths, depthwise-separable residual and
# upsampling convs, a stride-2 first conv and a pixel-shuffle output, so that every
# feature map is at most half the frame's size. About 1/60 of johnson's multiply-adds.
LITE_DEFAULTS: dict[str, Any] = {
    "channels": (16, 32, 64),
    "blocks": 5,
    "first_kernel": 5,
    "last_kernel": 3,
    "first_stride": 2,
    "norm": "instance",
    "upsample": "nearest",
    "output": "linear",
    "separable": True,
}


def _build(defaults: dict[str, Any], config: dict[str, Any]) -> TransformNet:
    unknown = set(config) - set(defaults)
    if unknown:
        raise TypeError(f"unknown config keys: {', '.join(sorted(unknown))}")
    merged = {**defaults, **config}
    merged["channels"] = tuple(merged["channels"])
    net = TransformNet(**merged)
    net.config = merged  # recorded in checkpoints so the net can be rebuilt exactly
    return net


@register("johnson")
def johnson(**config: Any) -> TransformNet:
    """Johnson et al. 2016; ``variant="paper"`` selects batch norm, transposed convs, tanh."""
    if config.pop("variant", None) == "paper":
        config = {**JOHNSON_PAPER, **config}
    return _build(JOHNSON_DEFAULTS, config)


@register("lite")
def lite(**config: Any) -> TransformNet:
    """The light CPU net: same shape as johnson, far fewer multiply-adds."""
    return _build(LITE_DEFAULTS, config)


def multiply_adds_per_pixel(net: nn.Module, size: int = 256) -> float:
    """Conv multiply-adds per input pixel, counted with hooks on a real forward pass."""
    total = 0

    def hook(module: nn.Module, inputs: Any, output: torch.Tensor) -> None:
        nonlocal total
        w = module.weight
        total += output.numel() // output.shape[0] * w.shape[1] * w.shape[2] * w.shape[3]

    handles = [m.register_forward_hook(hook) for m in net.modules() if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d))]
    with torch.no_grad():
        net.eval()(torch.zeros(1, 3, size, size))
    for h in handles:
        h.remove()
    return total / (size * size)
