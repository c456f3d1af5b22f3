"""The paper's transform net (torch): Johnson et al. 2016, supplementary Table 1, top to bottom.

Two choices differ from the paper by default, and both are documented options:
``norm="instance"`` (Ulyanov et al. 2016; the paper has batch norm) and
``upsample="nearest"`` (nearest resize + conv, Odena et al. 2016: no checkerboard; the
paper has fractionally-strided convs), with a linear output (the paper has a scaled tanh).
``create_model("johnson", variant="paper")`` selects all three of the paper's (``PAPER``).
The paper pads the image by reflection once, at the start, and leaves the residual blocks'
convolutions unpadded (their identity connections crop); here every convolution pads its
own input by reflection and the upsampling rows resize to the matching encoder map's
size, so the output has exactly the input's size, odd sizes included.
"""

from __future__ import annotations

import torch

from stylecam.models.nets.base import StyleNet
from stylecam.models.nets.layers import (
    ConvLayer,
    ConvNormReLU,
    NormReLU,
    ResidualBlocks,
    scaled_tanh,
    upsampling,
)

OUTPUTS = ("linear", "tanh")


class JohnsonNet(StyleNet):
    """The paper's style transfer net, layer by layer (``table()``; default widths):

    ======  ================================================  ===============================
    layer   ``create_model("johnson")``                       ``variant="paper"`` (Table 1)
    ======  ================================================  ===============================
    enc1    32 × 9 × 9 conv, stride 1                         32 × 9 × 9 conv, stride 1
    enc2    64 × 3 × 3 conv, stride 2                         64 × 3 × 3 conv, stride 2
    enc3    128 × 3 × 3 conv, stride 2                        128 × 3 × 3 conv, stride 2
    res     residual block, 128 filters (x5)                  residual block, 128 filters (x5)
    up1     x2 nearest upsampling, 64 × 3 × 3 conv, stride 1  64 × 3 × 3 conv, stride 1/2
    up2     x2 nearest upsampling, 32 × 3 × 3 conv, stride 1  32 × 3 × 3 conv, stride 1/2
    out     3 × 9 × 9 conv, stride 1                          3 × 9 × 9 conv, stride 1
    ======  ================================================  ===============================

    Every conv but the last is followed by a normalisation (instance; the paper: batch)
    and a ReLU (``post1``/``post2`` for the upsampling rows); a residual block is two
    3x3 convs with a norm after each and a ReLU between. The output is linear, or the
    paper's scaled tanh. ``channels`` are the widths of the three resolutions (32, 64,
    128), ``blocks`` the number of residual blocks (5).
    """

    TABLE = (
        "32 × 9 × 9 conv, stride 1",
        "64 × 3 × 3 conv, stride 2",
        "128 × 3 × 3 conv, stride 2",
        *["residual block, 128 filters"] * 5,
        "x2 nearest upsampling, 64 × 3 × 3 conv, stride 1",
        "x2 nearest upsampling, 32 × 3 × 3 conv, stride 1",
        "3 × 9 × 9 conv, stride 1",
    )
    PAPER_TABLE = (
        *TABLE[:8],
        "64 × 3 × 3 conv, stride 1/2",
        "32 × 3 × 3 conv, stride 1/2",
        TABLE[-1],
    )
    # variant="paper": the paper's exact net (batch norm, fractionally-strided convs, tanh).
    PAPER = {"norm": "batch", "upsample": "transposed", "output": "tanh"}

    def __init__(self, channels: tuple[int, int, int] = (32, 64, 128), blocks: int = 5,
                 norm: str = "instance", upsample: str = "nearest", output: str = "linear") -> None:
        super().__init__()
        if output not in OUTPUTS:
            raise ValueError(f"output must be one of {', '.join(map(repr, OUTPUTS))}, not {output!r}")
        c1, c2, c3 = channels
        self.config = {"channels": tuple(channels), "blocks": blocks, "norm": norm, "upsample": upsample,
                       "output": output}
        self.enc1 = ConvNormReLU(ConvLayer(3, c1, 9), norm)               # 32 × 9 × 9 conv, stride 1
        self.enc2 = ConvNormReLU(ConvLayer(c1, c2, 3, stride=2), norm)    # 64 × 3 × 3 conv, stride 2
        self.enc3 = ConvNormReLU(ConvLayer(c2, c3, 3, stride=2), norm)    # 128 × 3 × 3 conv, stride 2
        self.res = ResidualBlocks(c3, blocks, norm)                       # residual block, 128 filters (x5)
        self.up1 = upsampling(upsample, c3, c2)                           # x2 to 64 filters (nearest + conv,
        self.post1 = NormReLU(norm, c2)                                   #   or 3 × 3 conv, stride 1/2)
        self.up2 = upsampling(upsample, c2, c1)                           # x2 to 32 filters
        self.post2 = NormReLU(norm, c1)
        self.out = ConvLayer(c1, 3, 9)                                    # 3 × 9 × 9 conv, stride 1
        self.output = output

    @property
    def output_conv(self) -> torch.nn.Conv2d:
        return self.out.conv

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.out(self.features(x))
        return scaled_tanh(y) if self.output == "tanh" else y


def johnson(variant: str = "default", **config: object) -> JohnsonNet:
    """``create_model("johnson")``; ``variant="paper"`` selects batch norm, transposed convs, tanh."""
    if variant not in ("default", "paper"):
        raise ValueError(f"variant must be 'default' or 'paper', not {variant!r}")
    return JohnsonNet(**{**(JohnsonNet.PAPER if variant == "paper" else {}), **config})
