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

from stylecam.models.nets.registry import register


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
    """Depthwise k x k then pointwise 1x1: about 1/8 of a full 3x3 convolution's work."""

    def __init__(self, cin: int, cout: int, kernel: int = 3, stride: int = 1) -> None:
        super().__init__(ConvLayer(cin, cin, kernel, stride, groups=cin), nn.Conv2d(cin, cout, 1))


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
    ``mode="pointwise_first"`` is the same resize + separable conv with its two halves
    split around the resize: the 1x1 channel mix runs at the low resolution (4x fewer
    pixels) and only the cheap depthwise 3x3 runs on the enlarged map.
    """

    def __init__(self, cin: int, cout: int, mode: str, separable: bool = False) -> None:
        super().__init__()
        self.mode = mode
        if mode == "nearest":
            self.conv = SeparableConv(cin, cout) if separable else ConvLayer(cin, cout, 3)
        elif mode == "pointwise_first":
            self.mix = nn.Conv2d(cin, cout, 1)
            self.conv = ConvLayer(cout, cout, 3, groups=cout)
        elif mode == "transposed":
            self.conv = nn.ConvTranspose2d(cin, cout, 3, stride=2, padding=1, output_padding=1)
        else:
            raise ValueError(f"upsample must be 'nearest', 'pointwise_first' or 'transposed', not {mode!r}")

    def forward(self, x: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
        size = like.shape[-2:]
        if self.mode == "nearest":
            return self.conv(F.interpolate(x, size=size, mode="nearest"))
        if self.mode == "pointwise_first":
            return self.conv(F.interpolate(self.mix(x), size=size, mode="nearest"))
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
        separable_encoder: bool = False,
        separable_output: bool = False,
        smooth: str = "full",
    ) -> None:
        super().__init__()
        c1, c2, c3 = channels
        self.enc1 = nn.Sequential(ConvLayer(3, c1, first_kernel, first_stride), _norm(norm, c1), nn.ReLU(inplace=True))
        down = SeparableConv if separable_encoder else ConvLayer
        self.enc2 = nn.Sequential(down(c1, c2, 3, 2), _norm(norm, c2), nn.ReLU(inplace=True))
        self.enc3 = nn.Sequential(down(c2, c3, 3, 2), _norm(norm, c3), nn.ReLU(inplace=True))
        self.res = nn.Sequential(*(ResidualBlock(c3, norm, separable) for _ in range(blocks)))
        self.up1 = Upsample(c3, c2, upsample, separable)
        self.post1 = nn.Sequential(_norm(norm, c2), nn.ReLU(inplace=True))
        self.up2 = Upsample(c2, c1, upsample, separable)
        self.post2 = nn.Sequential(_norm(norm, c1), nn.ReLU(inplace=True))
        # first_stride=2 runs the whole net at half resolution or less; the last conv then
        # predicts 2x2 sub-pixels (pixel shuffle) so no feature map ever has full size,
        # which is what bounds speed on CPUs (memory traffic, not multiply-adds).
        self.shuffle = first_stride
        self.out = (SeparableConv if separable_output else ConvLayer)(c1, 3 * first_stride**2, last_kernel)
        if smooth not in ("full", "subpixel"):
            raise ValueError(f"smooth must be 'full' or 'subpixel', not {smooth!r}")
        self.smooth_at = smooth
        if first_stride > 1:
            _icnr_(self.out[-1].weight if separable_output else self.out[1].weight, first_stride)
            # A 3x3 conv lets neighbouring sub-pixels agree (no 2x2 grid). "full" runs it on
            # the 3-channel frame after the shuffle (81 multiply-adds per pixel, but a slow
            # full-resolution pass on CPUs); "subpixel" runs a 3x3 conv on the 3*s*s
            # sub-pixel channels before the shuffle, which can express the same smoothing
            # and never makes a full-resolution float feature map.
            planes = 3 if smooth == "full" else 3 * first_stride**2
            # "subpixel" is a separable 3x3 on the sub-pixel planes (grouped or full 3x3
            # convs on 12 channels ran 3-5 ms at 640x480 in OpenVINO; this runs in ~1).
            self.smooth = ConvLayer(3, 3, 3) if smooth == "full" else SeparableConv(planes, planes)
        if output not in ("linear", "tanh"):
            raise ValueError(f"output must be 'linear' or 'tanh', not {output!r}")
        self.output = output

    @property
    def subpixel_output(self) -> bool:
        """Whether the net can hand over its output as sub-pixel planes (see forward_subpixels)."""
        return self.shuffle > 1 and self.smooth_at == "subpixel"

    def forward_subpixels(self, x: torch.Tensor) -> torch.Tensor:
        """The output before the pixel shuffle: N x 3*s*s x ceil(H/s) x ceil(W/s).

        An exporter can round and cast these planes to uint8 and rearrange bytes rather
        than floats, so no full-resolution float map exists anywhere in the graph.
        """
        if not self.subpixel_output:
            raise ValueError("forward_subpixels needs first_stride > 1 and smooth='subpixel'")
        return self._activate(self.smooth(self.out(self._features(x))))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.out(self._features(x))
        if self.shuffle > 1:
            if self.smooth_at == "subpixel":
                y = F.pixel_shuffle(self.smooth(y), self.shuffle)[..., : x.shape[-2], : x.shape[-1]]
            else:
                y = self.smooth(F.pixel_shuffle(y, self.shuffle)[..., : x.shape[-2], : x.shape[-1]])
        return self._activate(y)

    def _features(self, x: torch.Tensor) -> torch.Tensor:
        e1 = self.enc1(x)
        e2 = self.enc2(e1)
        y = self.res(self.enc3(e2))
        y = self.post1(self.up1(y, e2))
        return self.post2(self.up2(y, e1))

    def _activate(self, y: torch.Tensor) -> torch.Tensor:
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
    "separable_encoder": False,
    "separable_output": False,
    "smooth": "full",
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
    "separable_encoder": False,
    "separable_output": False,
    "smooth": "full",
}


# The CPU real-time net: lite's shape with every convolution made cheap where it
# costs time on a CPU rather than where it costs multiply-adds. Measured per layer with
# OpenVINO on the project machine at 640x480 (lite 36 ms -> nano 17 ms, f32):
# - a 3x3 first conv (a 5x5 on the full frame cost 2.3 ms);
# - separable stride-2 encoder convs and a separable output conv (the 3x3 16->12 output
#   conv alone cost 5.2 ms);
# - upsampling with the 1x1 channel mix before the resize ("pointwise_first");
# - four residual blocks instead of five;
# - sub-pixel smoothing before the shuffle, so the exported graph rounds and casts at
#   half resolution and rearranges bytes (the full-resolution smoothing conv, shuffle and
#   transpose cost 5-6 ms in float).
# Trained by distillation from a lite (or johnson) style, see training/recipe.py.
NANO_DEFAULTS: dict[str, Any] = {
    **LITE_DEFAULTS,
    "first_kernel": 3,
    "blocks": 4,
    "upsample": "pointwise_first",
    "separable_encoder": True,
    "separable_output": True,
    "smooth": "subpixel",
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


@register("nano")
def nano(**config: Any) -> TransformNet:
    """The CPU real-time net: lite with its time-heavy convolutions made separable."""
    return _build(NANO_DEFAULTS, config)


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
