"""What every style net offers to export, training and tests: the documented hooks.

Code outside ``stylecam.models.nets`` may use these, and nothing else of a net's insides
(no submodule names, no indices), so that a net's layout can change without breaking its
exporter or its grower:

- ``config``: the constructor's arguments; checkpoints record it and rebuild the net from it.
- ``first_conv``: the convolution that reads the RGB input.
- ``output_conv``: the last convolution; its output channels are the colours (3), or, for
  a net with ``subpixel_output``, three colour-major blocks of s*s sub-pixel planes.
- ``residual_blocks``: the stack of residual blocks (``ResidualBlock``) in the middle.
- ``shuffle``: the pixel-shuffle factor s of the output (1: the net works at full size).
- ``subpixel_output`` / ``forward_subpixels(x)``: the output before the pixel shuffle.
- ``swap_colours()``: a copy that maps BGR to BGR (what the exported graph runs).
- ``grow_from(smaller)``: take a trained net with fewer residual blocks, output unchanged.
- ``table()``: the net's layers as rows of its documented table (``TABLE``).

Convention shared by every style net: input is RGB in [0, 1], NCHW float; output is RGB
in roughly [0, 1] (clamped only at export), with exactly the input's height and width,
odd sizes included. Upsampling resizes to the size of the matching encoder feature map
rather than by a fixed factor, which is what makes odd sizes come back exact.
"""

from __future__ import annotations

import copy
from typing import Any

import torch
from torch import nn

from stylecam.models.nets.layers import ResidualBlock, table_of


class StyleNet(nn.Module):
    """Encoder (three convs, two of them stride 2), residual blocks, decoder (two x2 stages).

    Subclasses build ``enc1``..``enc3``, ``res``, ``up1``/``post1``, ``up2``/``post2``
    (the parameter names of every checkpoint) and say what comes after the decoder.
    """

    TABLE: tuple[str, ...] = ()  # the rows of the default net, top to bottom (see table())
    shuffle = 1
    subpixel_output = False
    config: dict[str, Any]

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Encoder, residual blocks and decoder: what the output layers turn into colours."""
        e1 = self.enc1(x)
        e2 = self.enc2(e1)
        y = self.res(self.enc3(e2))
        y = self.post1(self.up1(y, e2))
        return self.post2(self.up2(y, e1))

    @property
    def first_conv(self) -> nn.Conv2d:
        return self.enc1.first_conv

    @property
    def output_conv(self) -> nn.Conv2d:
        raise NotImplementedError

    @property
    def residual_blocks(self) -> nn.Sequential:
        return self.res

    def forward_subpixels(self, x: torch.Tensor) -> torch.Tensor:
        """The output before the pixel shuffle: N x 3*s*s x ceil(H/s) x ceil(W/s).

        An exporter can round and cast these planes to uint8 and rearrange bytes rather
        than floats, so no full-resolution float map exists anywhere in the graph.
        """
        raise ValueError(f"the {type(self).__name__} has no subpixel output (forward_subpixels)")

    def swap_colours(self) -> StyleNet:
        """A copy that takes BGR and returns BGR: the first convolution's input channels and
        the output convolution's colours reversed. Exact, and free at run time (a channel
        flip in the graph exported as a reverse Slice that cost ~7 ms a 640x480 frame on CPUs)."""
        net = copy.deepcopy(self)
        first, last = net.first_conv, net.output_conv
        with torch.no_grad():
            first.weight.copy_(first.weight.flip(1))
            n = last.weight.shape[0] // 3  # planes per colour: 1, or s*s sub-pixels
            order = torch.cat([torch.arange(b * n, (b + 1) * n) for b in (2, 1, 0)])
            last.weight.copy_(last.weight[order])
            last.bias.copy_(last.bias[order])
        return net

    def grow_from(self, smaller: StyleNet) -> StyleNet:
        """Load ``smaller`` (the same net with fewer residual blocks) and start the extra
        blocks as the identity, so this net computes what ``smaller`` did (Net2Net's
        identity-initialised deeper net, Chen et al. 2016). Returns ``self``."""
        have, want = len(smaller.residual_blocks), len(self.residual_blocks)
        same = {k: v for k, v in self.config.items() if k != "blocks"}
        if type(smaller) is not type(self) or same != {k: v for k, v in smaller.config.items() if k != "blocks"}:
            raise ValueError(f"cannot grow a {type(smaller).__name__} {smaller.config} into a "
                             f"{type(self).__name__} {self.config}")
        if want <= have:
            raise ValueError(f"has {want} residual blocks, not more than the {have} of the net to grow from")
        new = list(self.residual_blocks)[have:]
        new_tensors = {id(t) for block in new for t in block.state_dict(keep_vars=True).values()}
        mine = self.state_dict(keep_vars=True)
        missing, unexpected = self.load_state_dict(smaller.state_dict(), strict=False)
        if unexpected or any(id(mine[k]) not in new_tensors for k in missing):
            raise ValueError(f"cannot grow this net: unexpected {unexpected}, missing {missing}")
        for block in new:
            assert isinstance(block, ResidualBlock)
            block.start_as_identity()
        return self

    def table(self) -> list[str]:
        """The rows of this net's layers, top to bottom, in the paper's notation."""
        return table_of(self)


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
