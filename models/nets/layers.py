"""The layers every net is built from (torch), each able to say what it is in a table row.

The style nets (``johnson``, ``lite``, ``nano``) and the super-resolution nets share these,
so a convolution, a residual block or an upsampling stage means one thing everywhere.
Every layer's ``describe()`` gives the rows it adds to its net's table, in the notation
of Johnson et al.'s supplementary Table 1 ("64 × 3 × 3 conv, stride 2"); the nets
document their tables with those rows and ``tests/test_nets.py`` checks the two agree.

The submodule layout inside each layer (``ConvLayer`` = padding then conv, and so on) is
what the checkpoints' parameter names are made of: change it and every bundled
checkpoint stops loading. Code outside a layer reaches its convolutions through the
``first_conv`` / ``last_conv`` properties, never by index.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

NORMS = ("instance", "batch", "none")


def norm_layer(kind: str, channels: int) -> nn.Module:
    """Instance norm (our default, Ulyanov et al. 2016), batch norm (the paper's), or
    ``"none"``: an identity placeholder that keeps the parameter names of the normed layout."""
    if kind == "instance":
        return nn.InstanceNorm2d(channels, affine=True)
    if kind == "batch":
        return nn.BatchNorm2d(channels)
    if kind == "none":
        return nn.Identity()
    raise ValueError(f"norm must be one of {', '.join(map(repr, NORMS))}, not {kind!r}")


class ConvLayer(nn.Sequential):
    """Reflection padding + convolution: no dark borders from zero padding."""

    def __init__(self, cin: int, cout: int, kernel: int, stride: int = 1, groups: int = 1) -> None:
        super().__init__(
            nn.ReflectionPad2d(kernel // 2),
            nn.Conv2d(cin, cout, kernel, stride=stride, groups=groups),
        )

    @property
    def conv(self) -> nn.Conv2d:
        return self[1]

    first_conv = last_conv = conv

    def describe(self) -> list[str]:
        c = self.conv
        kind = "depthwise conv" if c.groups > 1 and c.groups == c.in_channels else "conv"
        return [f"{c.out_channels} × {c.kernel_size[0]} × {c.kernel_size[1]} {kind}, stride {c.stride[0]}"]


class SeparableConv(nn.Sequential):
    """Depthwise k x k then pointwise 1x1: about 1/8 of a full 3x3 convolution's work."""

    def __init__(self, cin: int, cout: int, kernel: int = 3, stride: int = 1) -> None:
        super().__init__(ConvLayer(cin, cin, kernel, stride, groups=cin), nn.Conv2d(cin, cout, 1))

    @property
    def first_conv(self) -> nn.Conv2d:
        """The depthwise k x k convolution."""
        return self[0].conv

    @property
    def last_conv(self) -> nn.Conv2d:
        """The pointwise 1x1 convolution (the one that makes the output channels)."""
        return self[1]

    def describe(self) -> list[str]:
        d, p = self.first_conv, self.last_conv
        return [f"{p.out_channels} × {d.kernel_size[0]} × {d.kernel_size[1]} separable conv, stride {d.stride[0]}"]


class ConvNormReLU(nn.Sequential):
    """A convolution followed by normalisation and ReLU: every row of the encoders.

    ``conv`` is a ``ConvLayer`` or a ``SeparableConv``; its row is the row of this layer
    (the paper's table, too, leaves the normalisation and ReLU implied). ``norm=None``:
    conv and ReLU only."""

    def __init__(self, conv: ConvLayer | SeparableConv, norm: str | None) -> None:
        norm_ = [] if norm is None else [norm_layer(norm, conv.last_conv.out_channels)]
        super().__init__(conv, *norm_, nn.ReLU(inplace=True))

    @property
    def first_conv(self) -> nn.Conv2d:
        return self[0].first_conv

    def describe(self) -> list[str]:
        return self[0].describe()


class NormReLU(nn.Sequential):
    """The normalisation and ReLU after an upsampling stage; part of that stage's row."""

    def __init__(self, norm: str, channels: int) -> None:
        super().__init__(norm_layer(norm, channels), nn.ReLU(inplace=True))

    def describe(self) -> list[str]:
        return []


class ResidualBlock(nn.Module):
    """x + two 3x3 convolutions, no ReLU after the addition: Gross and Wilber's design, which
    the paper uses (its supplementary material, Fig. 1), rather than He et al.'s.

    ``norm=None`` leaves the normalisation out altogether (the real-time upscaler's
    blocks); ``"none"`` keeps identity placeholders (the normed layout's parameter names).
    ``separable`` makes both convolutions depthwise-separable (the CPU nets)."""

    def __init__(self, channels: int, norm: str | None, separable: bool = False) -> None:
        super().__init__()
        conv = SeparableConv if separable else ConvLayer

        def normed(c: nn.Module) -> list[nn.Module]:
            return [c, norm_layer(norm, channels)] if norm is not None else [c]

        self.separable = separable
        self.body = nn.Sequential(
            *normed(conv(channels, channels, 3)), nn.ReLU(inplace=True), *normed(conv(channels, channels, 3))
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)

    def start_as_identity(self) -> None:
        """Zero the block's last learned scale (its last norm's, or else its last conv's),
        so that it computes x + 0 and still learns: how a net grows without changing."""
        learned = [m.last_conv if isinstance(m, (ConvLayer, SeparableConv)) else m
                   for m in self.body if isinstance(m, (ConvLayer, SeparableConv, nn.InstanceNorm2d, nn.BatchNorm2d))]
        target = learned[-1]
        with torch.no_grad():
            target.weight.zero_()
            target.bias.zero_()

    def describe(self) -> list[str]:
        channels = self.body[0].last_conv.out_channels
        return [f"residual block, {channels} filters" + (", separable" if self.separable else "")]


class ResidualBlocks(nn.Sequential):
    """The stack of residual blocks in the middle of a net (what growing appends to)."""

    def __init__(self, channels: int, count: int, norm: str | None, separable: bool = False) -> None:
        super().__init__(*(ResidualBlock(channels, norm, separable) for _ in range(count)))

    def describe(self) -> list[str]:
        return [row for block in self for row in block.describe()]


def _resize(x: torch.Tensor, like: torch.Tensor | None, mode: str = "nearest") -> torch.Tensor:
    """x2, or to ``like``'s exact size (what keeps odd sizes exact); nearest or bilinear."""
    extra = {"align_corners": False} if mode == "bilinear" else {}
    if like is None:
        return F.interpolate(x, scale_factor=2.0, mode=mode, **extra)
    return F.interpolate(x, size=like.shape[-2:], mode=mode, **extra)


class UpsampleConv(nn.Module):
    """x2 nearest-neighbour resize, then a 3x3 convolution (Odena et al. 2016: no
    checkerboard, unlike a fractionally-strided conv). Our default upsampling.

    ``mode="bilinear"`` resizes bilinearly instead (Odena et al. tried both): a nearest
    resize repeats every value 2x2, and the nets trained on CPU grew a 2 and 4 px periodic
    pattern on it (docs/fig5.md); same parameters, so a net trained with one loads with the other.
    ``forward(x, like)`` resizes to ``like``'s size rather than by a fixed factor."""

    def __init__(self, cin: int, cout: int, separable: bool = False, mode: str = "nearest") -> None:
        super().__init__()
        self.conv = SeparableConv(cin, cout) if separable else ConvLayer(cin, cout, 3)
        self.mode = mode

    def forward(self, x: torch.Tensor, like: torch.Tensor | None = None) -> torch.Tensor:
        return self.conv(_resize(x, like, self.mode))

    def describe(self) -> list[str]:
        return [f"x2 {self.mode} upsampling, {self.conv.describe()[0]}"]


class TransposedUpsample(nn.Module):
    """The paper's fractionally-strided 3x3 convolution ("stride 1/2"), cropped to ``like``."""

    def __init__(self, cin: int, cout: int) -> None:
        super().__init__()
        self.conv = nn.ConvTranspose2d(cin, cout, 3, stride=2, padding=1, output_padding=1)

    def forward(self, x: torch.Tensor, like: torch.Tensor | None = None) -> torch.Tensor:
        y = self.conv(x)
        return y if like is None else y[..., : like.shape[-2], : like.shape[-1]]

    def describe(self) -> list[str]:
        return [f"{self.conv.out_channels} × 3 × 3 conv, stride 1/2"]


class PointwiseFirstUpsample(nn.Module):
    """A separable upsampling conv split around the resize: the 1x1 channel mix runs at the
    low resolution (4x fewer pixels) and only the cheap depthwise 3x3 on the enlarged map."""

    def __init__(self, cin: int, cout: int) -> None:
        super().__init__()
        self.mix = nn.Conv2d(cin, cout, 1)
        self.conv = ConvLayer(cout, cout, 3, groups=cout)

    def forward(self, x: torch.Tensor, like: torch.Tensor | None = None) -> torch.Tensor:
        return self.conv(_resize(self.mix(x), like))

    def describe(self) -> list[str]:
        return [f"{self.mix.out_channels} × 1 × 1 conv, x2 nearest upsampling, {self.conv.describe()[0]}"]


UPSAMPLERS = ("nearest", "bilinear", "transposed")


def upsampling(mode: str, cin: int, cout: int) -> UpsampleConv | TransposedUpsample:
    """``"nearest"`` (resize + conv, our default), ``"bilinear"`` (resize + conv) or
    ``"transposed"`` (the paper's)."""
    if mode in ("nearest", "bilinear"):
        return UpsampleConv(cin, cout, mode=mode)
    if mode == "transposed":
        return TransposedUpsample(cin, cout)
    raise ValueError(f"upsample must be one of {', '.join(map(repr, UPSAMPLERS))}, not {mode!r}")


class PixelShuffle(nn.Module):
    """s*s sub-pixel planes per colour -> one s times larger image (Shi et al. 2016),
    cropped to ``like``'s size. No parameters: it only names the step in the net's table."""

    def __init__(self, scale: int) -> None:
        super().__init__()
        self.scale = scale

    def forward(self, x: torch.Tensor, like: torch.Tensor | None = None) -> torch.Tensor:
        y = F.pixel_shuffle(x, self.scale)
        return y if like is None else y[..., : like.shape[-2], : like.shape[-1]]

    def describe(self) -> list[str]:
        return [f"pixel shuffle x{self.scale}"]


def table_of(net: nn.Module) -> list[str]:
    """The rows of a net's layers (its direct children), top to bottom, in the paper's notation."""
    return [row for layer in net.children() for row in layer.describe()]


def icnr_(weight: torch.Tensor, scale: int) -> None:
    """ICNR init (Aitken et al. 2017): every sub-pixel starts as a copy of the same
    kernel, so a pixel-shuffle output starts free of checkerboard patterns."""
    out_ch = weight.shape[0] // scale**2
    base = torch.empty(out_ch, *weight.shape[1:])
    nn.init.kaiming_uniform_(base, a=5**0.5)
    with torch.no_grad():
        weight.copy_(base.repeat_interleave(scale**2, dim=0))


def scaled_tanh(y: torch.Tensor) -> torch.Tensor:
    """The paper's "scaled tanh" output, which keeps pixels in range; mapped to [0, 1]."""
    return (torch.tanh(y) + 1.0) / 2.0
