"""Growing a trained net: more residual blocks, same output.

A small CPU net that has stopped improving on its objective lacks capacity, not
iterations (composition_viii's `nano` net went 1.7756e5 -> 1.7608e5 -> 1.7473e5 in its
last 350 iterations). Starting a bigger net from scratch would throw its training away.
Instead, new residual blocks are appended with the scale and shift of their last
normalisation set to zero: a block then computes x + 0, so the grown net's output is
unchanged, and training goes on from where it was (Chen et al. 2016, *Net2Net*, the
identity-initialised deeper net).
"""

from __future__ import annotations

import torch

from stylecam.models.nets.registry import create_model


def add_residual_blocks(net: torch.nn.Module, arch: str, count: int) -> torch.nn.Module:
    """``net`` with ``count`` more residual blocks that start as the identity."""
    if count < 1:
        raise ValueError(f"count must be at least 1, not {count}")
    config = dict(net.config)
    config["blocks"] = int(config["blocks"]) + count
    grown = create_model(arch, **config).grow_from(net)
    return grown.to(next(net.parameters()).device)


def remap_optimizer_state(old: torch.nn.Module, new: torch.nn.Module,
                          flat: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Adam state is stored per parameter index; the new blocks shift the decoder's indices."""
    new_index = {name: i for i, (name, _) in enumerate(new.named_parameters())}
    out = {}
    for i, (name, _) in enumerate(old.named_parameters()):
        for key in ("step", "exp_avg", "exp_avg_sq"):
            if f"{i}.{key}" in flat:
                out[f"{new_index[name]}.{key}"] = flat[f"{i}.{key}"]
    return out


def grow_to(net: torch.nn.Module, arch: str, blocks: int,
            optimizer_state: dict[str, torch.Tensor]) -> tuple[torch.nn.Module, dict[str, torch.Tensor]]:
    """The net (and its Adam state) with ``blocks`` residual blocks; unchanged if it has them
    already, so a resumed run given the same command does not grow twice."""
    have = int(net.config["blocks"])
    if blocks < have:
        raise ValueError(f"has {have} residual blocks; --grow-blocks cannot remove any")
    if blocks == have:
        return net, optimizer_state
    grown = add_residual_blocks(net, arch, blocks - have)
    return grown, remap_optimizer_state(net, grown, optimizer_state)
