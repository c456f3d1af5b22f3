"""The perceptual losses of Johnson et al. 2016 (section 3), written as the formulas read.

Each loss is averaged over the batch; within an image it is exactly the paper's
per-image quantity, which the unit tests check against NumPy.
"""

from __future__ import annotations

import torch


def gram(features: torch.Tensor) -> torch.Tensor:
    """G = F F^T / (C H W), one C x C matrix per image (paper eq. 3)."""
    b, c, h, w = features.shape
    f = features.reshape(b, c, h * w)
    return torch.bmm(f, f.transpose(1, 2)) / (c * h * w)


def feature_loss(output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """||phi(y_hat) - phi(y)||_2^2 / (C H W) (paper eq. 2)."""
    return (output - target).pow(2).mean()


def style_loss(grams: dict[str, torch.Tensor], target_grams: dict[str, torch.Tensor]) -> torch.Tensor:
    """Sum over layers of ||G(y_hat) - G(y_s)||_F^2 (paper eq. 4), batch-averaged.

    ``target_grams`` may hold one Gram per layer (shape 1 x C x C) for the style image;
    it broadcasts over the batch.
    """
    total = torch.zeros((), device=next(iter(grams.values())).device)
    for name, g in grams.items():
        total = total + (g - target_grams[name]).pow(2).sum(dim=(1, 2)).mean()
    return total


def tv_loss(image: torch.Tensor) -> torch.Tensor:
    """Total variation, sum of squared neighbour differences per image (Mahendran &
    Vedaldi 2015, beta = 2, as in the authors' code), on the 0-255 scale the paper's
    lambda_TV values assume."""
    x = image * 255.0
    dh = (x[..., 1:, :] - x[..., :-1, :]).pow(2).sum(dim=(1, 2, 3))
    dw = (x[..., :, 1:] - x[..., :, :-1]).pow(2).sum(dim=(1, 2, 3))
    return (dh + dw).mean()


def pixel_loss(output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """||y_hat - y||_2^2 / (C H W) (paper section 3.3)."""
    return (output - target).pow(2).mean()
